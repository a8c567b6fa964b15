/**
 * Validates a PATCH request body (RFC 7644 §3.5.2) into typed operations. Untrusted input,
 * so it returns a Result with a SCIM error code and a precise detail, and never throws.
 */
import { fail, ok, type Result } from '../../lib/result.ts';
import { entraOpCase } from '../vendor-quirks.ts';
import { getKey, isObject } from './json.ts';
import { PATCH_OP_SCHEMA, type PatchOp } from './types.ts';

export type RequestErrorCode = 'invalidSyntax' | 'invalidValue';

export function parsePatchRequest(body: unknown): Result<PatchOp[], RequestErrorCode> {
  if (!isObject(body)) return fail('invalidSyntax', 'The PATCH body must be a JSON object');
  const schemas = getKey(body, 'schemas');
  // URNs compare case-insensitively (RFC 8141 §3.1 for the NID; SCIM clients vary in case).
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    return fail('invalidSyntax', `"schemas" must contain "${PATCH_OP_SCHEMA}"`);
  }
  // RFC 7643 §2.1 makes attribute names case-insensitive; Entra and Okta send "Operations".
  const list = getKey(body, 'Operations');
  if (!Array.isArray(list)) return fail('invalidSyntax', '"Operations" must be an array of operations');
  // RFC 7644 §3.5.2 asks for "one or more" operations, but Microsoft's SCIM Validator sends an empty
  // list and fails a server that refuses it (scimmyjs/scimmy#59, #90): it is read as the no-op it is.
  if (list.length === 0) return ok([]);
  const ops: PatchOp[] = [];
  for (const [i, raw] of list.entries()) {
    const at = `Operations[${i}]`;
    if (!isObject(raw)) return fail('invalidSyntax', `${at} must be an object`);
    const name = getKey(raw, 'op');
    const op = typeof name === 'string' ? entraOpCase(name) : undefined;
    if (!op) return fail('invalidSyntax', `${at}.op must be "add", "replace" or "remove", got ${JSON.stringify(name) ?? 'nothing'}`);
    const path = getKey(raw, 'path');
    if (path !== undefined && typeof path !== 'string') return fail('invalidSyntax', `${at}.path must be a string`);
    const hasValue = getKey(raw, 'value') !== undefined;
    // RFC 7644 §3.5.2.1/§3.5.2.3: add and replace "MUST contain a 'value' member".
    if (op !== 'remove' && !hasValue) return fail('invalidValue', `${at} (${op}) has no "value"`);
    const next: PatchOp = { op };
    // An empty path is sent by some clients for "no path"; RFC 7644 §3.5.2 makes path optional.
    if (path !== undefined && path.trim() !== '') next.path = path;
    if (hasValue) next.value = getKey(raw, 'value');
    ops.push(next);
  }
  return ok(ops);
}
