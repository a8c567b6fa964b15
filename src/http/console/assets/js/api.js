// Calls to the admin API from a console page: same origin, the session cookie,
// and the CSRF token the page carries in <meta name="csrf-token">.
import { keepDrafts } from './drafts.js';

export { announce } from './status.js';
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';

export const apiBase = () => meta('api-base');

// A 400 lists its problems; a conflict (409) names its one field in details.field, its message the
// reason (sometimes led by the field's name, which the form says in its own words instead).
function problemsOf(error) {
  const details = error?.details ?? {};
  if (Array.isArray(details.problems)) return details.problems;
  if (typeof details.field === 'string' && error?.message) {
    const prefix = `${details.field}: `;
    return [{ field: details.field, reason: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message, message: error.message }];
  }
  return [];
}

export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `The server answered ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'error';
    this.problems = problemsOf(body?.error);
    this.details = body?.error?.details ?? {};
  }
}

/**
 * `method` and a path under the org's API base; a plain object body goes as JSON, a Blob (the CSV upload) as it is typed.
 * `ifMatch`: the version the page was drawn from (an ETag), so a change made since is refused (412), not overwritten.
 */
export async function callApi(method, path, body, ifMatch) {
  const headers = { accept: 'application/json', 'x-csrf-token': meta('csrf-token') };
  if (ifMatch) headers['if-match'] = ifMatch;
  let payload;
  if (body instanceof Blob) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(apiBase() + path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.status === 401) {
    // The session ended: to sign in and back to this page, which then gets back what was typed.
    keepDrafts();
    location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.search)}&expired=1`);
    throw new ApiFailure(401, json);
  }
  if (!res.ok) throw new ApiFailure(res.status, json);
  return json;
}
