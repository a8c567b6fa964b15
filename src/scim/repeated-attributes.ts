import { duplicateKey } from '../lib/json-duplicate-keys.ts';
import { ScimError } from './errors.ts';

/** The SCIM surface, however a client cases it (Express routes are case-insensitive). */
const SCIM_PATH = /^\/scim\/v2(\/|$)/i;

export function isScimPath(path: string): boolean {
  return SCIM_PATH.test(path);
}

/**
 * A SCIM body naming one attribute twice in one object, by the same name or by names that
 * differ only in case (RFC 7643 §2.1: attribute names are case-insensitive), is 400
 * invalidSyntax naming both spellings and where: JSON.parse would keep the last one and
 * readResource would let the later spelling win, either way silently dropping a value.
 * Read from the raw text (express.json's verify), since the parsed body has lost the first.
 */
export function refuseRepeatedAttributes(raw: Buffer): void {
  const found = duplicateKey(raw.toString('utf8'), (key) => key.toLowerCase());
  if (!found) return;
  const where = found.path ? ` in ${found.path}` : '';
  const detail = found.first === found.second
    ? `The body gives "${found.first}" twice${where}: send each attribute once`
    : `The body gives "${found.first}" and "${found.second}"${where}, which name one attribute (SCIM attribute names are case-insensitive, RFC 7643 §2.1): send each attribute once`;
  throw new ScimError(400, detail, 'invalidSyntax');
}
