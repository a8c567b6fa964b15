import type { NextFunction, Request, Response } from 'express';
import type { Container } from '../container.ts';
import type { Em } from '../db/orm.ts';
import type { Logger } from '../lib/logger.ts';
import type { RequestOrigin, Scope } from '../directory/scope.ts';
import type { Access } from '../directory/permissions.ts';
import { randomUUID } from 'node:crypto';

export interface RequestContext extends RequestOrigin {
  requestId: string;
  log: Logger;
  em: Em;
  /** Set by an authenticator: the org and who acts in it. */
  scope?: Scope;
  /** Set by the admin authenticator: who calls and what they may do. */
  access?: Access;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express augments its Request through this namespace.
  namespace Express {
    interface Request {
      ctx: RequestContext;
    }
  }
}

/** Incoming X-Request-Id is kept only if it looks like an id, so logs cannot be polluted. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export function requestContext(container: Container) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const started = process.hrtime.bigint();
    // The child logger and the forked EntityManager are made on first use: a health
    // check or a request answered from caches should not pay for either.
    let log: Logger | undefined;
    let em: Em | undefined;
    req.ctx = {
      requestId,
      get log() {
        return (log ??= container.logger.child({ requestId }));
      },
      get em() {
        return (em ??= container.fork());
      },
      ip: req.ip,
      userAgent: req.get('user-agent'),
    };
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : 'info';
      if (!container.logger.isLevelEnabled(level)) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = { method: req.method, path: loggablePath(req.originalUrl.split('?')[0] ?? ''), status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      req.ctx.log[level](entry, 'request');
    });
    next();
  };
}

/**
 * The request path as logged: invitation and reset links carry their secret in the path, and
 * so does anything shaped like one of our tokens (`gh_<kind>_…`, lib/tokens.ts); logs are read
 * by more people than the mailbox, so those segments become `:token`.
 */
export function loggablePath(path: string): string {
  return path
    .replace(/^(\/invitations\/|\/auth\/password\/reset\/)[^/]+/i, '$1:token')
    .replace(/\/gh_[^/]*/g, '/:token');
}

export function scopeFor(req: Request): Scope {
  const scope = req.ctx.scope;
  if (!scope) throw new Error('scopeFor() called on a route without an authenticator');
  return scope;
}
