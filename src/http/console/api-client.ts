import type { Request } from 'express';

/**
 * The console reads through the admin API alone (issue 10): each page asks
 * /api/orgs/:org/… over loopback with the visitor's own cookie, so a page can
 * show nothing the API would refuse, and the permission checks live in one place.
 * The request goes to the address and port this request arrived on, which is
 * where this process listens, whatever PUBLIC_URL says.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface ConsoleApi {
  /** `/api/orgs/<slug>`: where the browser's own calls go too. */
  readonly base: string;
  get<T>(path: string, query?: Query): Promise<T>;
  /** Like get, but a 403 or 404 answers null (a section the visitor may not see). */
  maybe<T>(path: string, query?: Query): Promise<T | null>;
}

function loopbackOrigin(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

export function consoleApi(req: Request, orgSlug: string, timeoutMs = 15_000): ConsoleApi {
  const base = `/api/orgs/${encodeURIComponent(orgSlug)}`;
  const origin = loopbackOrigin(req);
  const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': req.ctx.requestId };
  const cookie = req.get('cookie');
  if (cookie) headers.cookie = cookie;
  const ua = req.get('user-agent');
  if (ua) headers['user-agent'] = ua;

  const get = async <T>(path: string, query: Query = {}): Promise<T> => {
    const url = new URL(`${base}${path}`, origin);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null;
    if (!res.ok) {
      const error = body?.error;
      throw new ApiError(res.status, error?.code ?? 'error', error?.message ?? `The admin API answered ${res.status}`, error?.details ?? {});
    }
    return body as T;
  };

  return {
    base,
    get,
    async maybe<T>(path: string, query?: Query): Promise<T | null> {
      try {
        return await get<T>(path, query);
      } catch (error) {
        if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return null;
        throw error;
      }
    },
  };
}
