import { ValidationError } from '../../directory/errors.ts';
import { duplicateKey } from '../../lib/json-duplicate-keys.ts';

/** The admin API, however a client cases it (Express routes are case-insensitive). */
const API_PATH = /^\/api\//i;

export function isApiPath(path: string): boolean {
  return API_PATH.test(path);
}

/**
 * An admin API body naming one field twice in one object, as 400 invalid_input naming the field
 * (its path in a nested object): JSON.parse keeps the last value and drops the first without a
 * word. Exact names only: the admin API's names are case-sensitive, so `Name` beside `name` is an
 * unknown field, refused as such by the route's schema. Read from the raw text (express.json's
 * verify), as SCIM's repeated attributes are (scim/repeated-attributes.ts), but kept on the
 * request and thrown by the route (route.ts) after the caller is authenticated and allowed, as
 * a 415 is: an anonymous caller learns nothing of the body rules.
 */
export function repeatedField(raw: Buffer): ValidationError | undefined {
  const found = duplicateKey(raw.toString('utf8'), (key) => key);
  if (!found) return undefined;
  return ValidationError.field(found.path ? `${found.path}.${found.first}` : found.first, 'is given twice: send each field once');
}
