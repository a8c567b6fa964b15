import type { NextFunction, Request, Response } from 'express';
import type { Container } from '../container.ts';
import type { Em } from '../db/orm.ts';
import type { SqlRunner } from '../db/bound-query.ts';
import type { Logger } from '../lib/logger.ts';
import type { RequestOrigin, Scope } from '../directory/scope.ts';
import type { Access } from '../directory/permissions.ts';
import type { ValidationError } from '../directory/errors.ts';
import { randomUUID } from 'node:crypto';
import { recordRequest } from './metrics-labels.ts';

export interface RequestContext extends RequestOrigin {
  requestId: string;
  /** When the request arrived (process.hrtime.bigint()), for the request log line. */
  started: bigint;
  log: Logger;
  /** This request's own EntityManager, forked on first use: for transactions and entities. */
  em: Em;
  /** Single statements outside a transaction, with no fork (db/bound-query.ts). */
  sql: SqlRunner;
  /** Set by an authenticator: the org and who acts in it. */
  scope?: Scope;
  /** Set by the admin authenticator: who calls and what they may do. */
  access?: Access;
  /** An admin API body that names a field twice (admin/repeated-fields.ts): its route refuses it once the caller is allowed. */
  repeatedField?: ValidationError | undefined;
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
  const { metrics } = container;
  // One listener for every response, not a closure per request (`this` is the response): a
  // closure here kept the request's whole scope, its EntityManager included, alive with it.
  // On `close`, not `finish`: a connection that closed before the answer was sent (the client gave
  // up, a shutdown cut it) emits no `finish`, and its request would leave no line at all.
  function logRequest(this: Response): void {
    const aborted = !this.writableFinished;
    // Cut off before the headers went out, there was no answer (statusCode would say 200).
    const status = aborted && !this.headersSent ? null : this.statusCode;
    // 501 (SCIM /Me, /Bulk) is an answer, not a failure of the server; a client hanging up is neither.
    const level = status !== null && status >= 500 && status !== 501 ? 'error' : 'info';
    const req = this.req;
    const logged = container.logger.isLevelEnabled(level);
    if (!logged && !metrics) return;
    const ms = Number(process.hrtime.bigint() - req.ctx.started) / 1e6;
    if (metrics) recordRequest(metrics, req.originalUrl, req.method, status, ms / 1000);
    if (!logged) return;
    const entry = { method: req.method, path: loggablePath(req.originalUrl.split('?')[0] ?? ''), status, ms: Math.round(ms * 10) / 10, ...(aborted ? { aborted: true } : {}), ip: req.ctx.ip };
    req.ctx.log[level](entry, 'request');
  }
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    // The child logger and the forked EntityManager are made on first use: a health
    // check or a request answered from caches should not pay for either.
    let log: Logger | undefined;
    let em: Em | undefined;
    req.ctx = {
      requestId,
      started: process.hrtime.bigint(),
      sql: container.statements,
      get log() {
        return (log ??= container.logger.child({ requestId }));
      },
      get em() {
        return (em ??= container.fork());
      },
      // As TRUST_PROXY resolves it: the one address the request line, the throttles and the audit trail all use.
      ip: req.ip,
      userAgent: req.get('user-agent'),
    };
    res.setHeader('X-Request-Id', requestId);
    res.on('close', logRequest);
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
