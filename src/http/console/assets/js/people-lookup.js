// Finding a person of the org by what admins know them by: their email or their username.
import { callApi } from './api.js';

/**
 * The person whose email or userName is exactly this text (case-insensitive), among any status but
 * deleted (a pending invitee can join an entry point, a disabled person still be a manager), or null.
 * `q` is a substring search, so "bo@acme.com" also answers "jacobo@acme.com": every page is read
 * until the exact match turns up, not only the first.
 */
export async function findPerson(text) {
  const wanted = text.trim().toLowerCase();
  for (const status of ['enabled', 'disabled']) {
    let cursor = null;
    do {
      const page = await callApi('GET', `/users?status=${status}&limit=200&q=${encodeURIComponent(wanted)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const found = page.users.find((u) => (u.email ?? '').toLowerCase() === wanted || u.userName.toLowerCase() === wanted);
      if (found) return found;
      cursor = page.nextCursor;
    } while (cursor);
  }
  return null;
}
