/**
 * What Okta and Microsoft Entra ID really send, normalised in one place (CONVENTIONS 5) so the
 * PATCH engine can follow RFC 7644 §3.5.2. Each rule is named after the vendor that needs it,
 * exported and tested on its own (test/scim/patch/vendor-quirks.test.ts) and through applyPatch.
 * applyQuirks runs the rewriting rules before the engine; entraBooleanString,
 * entraBooleanLiteral and entraMissingTypedElement need the schema or the current elements, so
 * the engine calls them at the point where it has those.
 *
 * Not quirks, because they are plain RFC 7644 (and tested as such): Okta's path-less
 * deactivate `{"op":"replace","value":{"active":false}}` and Okta's member removal
 * `{"op":"remove","path":"members[value eq \"id\"]"}` with no value.
 */
import type { Filter } from 'scim2-parse-filter';
import { maxFilterLength } from './filter/parse.ts';
import type { AttributeDef, ResourceTypeDef } from './schema/types.ts';
import { schemaPrefix } from './patch/path.ts';
import { findKey, isObject, type Json } from './patch/json.ts';
import type { PatchOp, ScimObject } from './patch/types.ts';

const ENTERPRISE_MANAGER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Entra sends "Replace", "Add", "Remove"; RFC 7644 §3.5.2 spells them lower-case. */
export function entraOpCase(op: string): PatchOp['op'] | undefined {
  const lower = op.toLowerCase();
  return lower === 'add' || lower === 'replace' || lower === 'remove' ? lower : undefined;
}

/** Entra sends booleans (active, primary) as the strings "True"/"False"; any case is accepted. */
export function entraBooleanString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
}

/**
 * Entra's path-less add/replace carries paths as keys: `{"name.givenName": "Al"}`,
 * `{"emails[type eq \"work\"].value": "a@b.c"}`, `{"urn:…:enterprise:2.0:User:department": "X"}`.
 * Each such key becomes its own operation with that path; the ordinary keys stay together.
 * A key that is exactly a schema URN (or an unknown URN holding an object) is the RFC's
 * extension form and is left alone.
 */
export function entraPathKeys(op: PatchOp, type: ResourceTypeDef): PatchOp[] {
  if (op.path !== undefined || op.op === 'remove' || !isObject(op.value)) return [op];
  const plain: Json = {};
  const split: PatchOp[] = [];
  for (const [key, value] of Object.entries(op.value)) {
    if (isPathKey(key, value, type)) split.push({ op: op.op, path: key, value });
    else plain[key] = value;
  }
  if (split.length === 0) return [op];
  return Object.keys(plain).length > 0 ? [{ op: op.op, value: plain }, ...split] : split;
}

function isPathKey(key: string, value: unknown, type: ResourceTypeDef): boolean {
  if (/^urn:/i.test(key)) {
    const known = schemaPrefix(type, key);
    return known ? key.length > known.id.length : !isObject(value);
  }
  return /[.[]/.test(key);
}

/**
 * Entra writes the enterprise `manager` as a bare id string; RFC 7643 §4.3 makes it complex,
 * so `"26118915-…"` becomes `{"value": "26118915-…"}` (by path or inside the extension object).
 * Microsoft's SCIM guide also shows it as a one-element list on path `manager`
 * (`[{"$ref": "…/Users/2819c223-…", "value": "2819c223-…"}]`): the manager is single-valued, so
 * that one element is the value.
 */
export function entraManagerId(op: PatchOp): PatchOp {
  if (op.op === 'remove') return op;
  const path = op.path?.toLowerCase();
  if ((path === ENTERPRISE_MANAGER || path === 'manager') && typeof op.value === 'string') {
    return { ...op, value: { value: op.value } };
  }
  if ((path === ENTERPRISE_MANAGER || path === 'manager') && Array.isArray(op.value) && op.value.length === 1 && isObject(op.value[0])) {
    return { ...op, value: op.value[0] };
  }
  if (!isObject(op.value)) return op;
  if (path === ENTERPRISE.toLowerCase()) return { ...op, value: wrapManager(op.value) };
  if (path !== undefined) return op;
  const extKey = findKey(op.value, ENTERPRISE);
  const ext = extKey === undefined ? undefined : op.value[extKey];
  if (extKey === undefined || !isObject(ext)) return op;
  return { ...op, value: { ...op.value, [extKey]: wrapManager(ext) } };
}

function wrapManager(ext: Json): Json {
  const key = findKey(ext, 'manager');
  return key === undefined || typeof ext[key] !== 'string' ? ext : { ...ext, [key]: { value: ext[key] } };
}

/**
 * Okta renames a group with a path-less replace whose value repeats the group's own `id`
 * (`{"id": "<same id>", "displayName": "New"}`). An id equal to the current one changes nothing
 * and is dropped; a different id stays, and the engine refuses it (id is readOnly, RFC 7643 §3.1).
 */
export function oktaRenameId(op: PatchOp, resource: ScimObject): PatchOp | undefined {
  if (op.op === 'remove') return op;
  if (op.path?.toLowerCase() === 'id') return op.value === resource['id'] ? undefined : op;
  if (op.path !== undefined || !isObject(op.value)) return op;
  const idKey = findKey(op.value, 'id');
  if (idKey === undefined || op.value[idKey] !== resource['id']) return op;
  const { [idKey]: _same, ...rest } = op.value;
  return Object.keys(rest).length > 0 ? { ...op, value: rest } : undefined;
}

/**
 * Entra removes group members with `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`.
 * Read literally (RFC 7644 §3.5.2.2 removes what `path` names) that wipes the whole group
 * (MicrosoftDocs/azure-docs#30826), so it becomes `members[value eq "<id>" or …]`: only the
 * listed elements go. An empty list removes nothing.
 */
export function entraMemberRemoveByValue(op: PatchOp): PatchOp[] {
  if (op.op !== 'remove' || op.path === undefined || !Array.isArray(op.value)) return [op];
  if (!/^[A-Za-z$][\w$-]*$/.test(op.path.trim())) return [op];
  const ids = op.value.map((v) => (isObject(v) ? v[findKey(v, 'value') ?? 'value'] : undefined));
  if (!ids.every((id) => typeof id === 'string')) return [op];
  if (ids.length === 0) return [];
  // SCIM string literals are JSON strings (RFC 7644 §3.4.2.2), so JSON.stringify quotes them.
  // Entra batches membership changes: a long list is cut into filters each within
  // maxFilterLength (100 object ids exceed it), so the IdP's own list is never refused as a filter.
  const filters: string[] = [];
  for (const id of ids) {
    const term = `value eq ${JSON.stringify(id)}`;
    const last = filters.length - 1;
    if (last >= 0 && filters[last]!.length + ' or '.length + term.length <= maxFilterLength) filters[last] += ` or ${term}`;
    else filters.push(term);
  }
  const path = op.path.trim();
  return filters.map((filter) => ({ op: 'remove' as const, path: `${path}[${filter}]` }));
}

/**
 * Entra sends `emails[type eq "work"].value` (also addresses, phoneNumbers) as add or replace
 * for users who have no work email, and `roles[primary eq "True"].value` (Microsoft's
 * SingleAppRoleAssignment mapping) for users who have no role yet. RFC 7644 §3.5.2.3 would answer
 * 400 noTarget and fail every update of that user; instead, for a filter of exactly the form
 * `type eq "X"` or `primary eq true` ("True" as Entra writes it), the engine creates the element
 * `{type: "X", <sub>: value}` or `{primary: true, <sub>: value}`. Returns that seed, or undefined.
 */
export function entraMissingTypedElement(filter: Filter): Json | undefined {
  if (filter.op !== 'eq') return undefined;
  const attr = filter.attrPath.toLowerCase();
  if (attr === 'type' && typeof filter.compValue === 'string') return { type: filter.compValue };
  if (attr === 'primary' && entraBooleanString(filter.compValue) === true) return { primary: true };
  return undefined;
}

/**
 * Entra compares boolean sub-attributes with the strings "True"/"False" in value filters
 * (`roles[primary eq "True"].value`): against a boolean sub-attribute such a string is the boolean,
 * as entraBooleanString makes it in values. Any other literal is returned as is.
 */
export function entraBooleanLiteral<T>(def: AttributeDef | undefined, literal: T): T | boolean {
  if (def?.type !== 'boolean') return literal;
  const value = entraBooleanString(literal);
  return typeof value === 'boolean' ? value : literal;
}

/** The rewriting rules, in order, as the engine's first step. */
export function applyQuirks(ops: PatchOp[], resource: ScimObject, type: ResourceTypeDef): PatchOp[] {
  return ops
    .flatMap((op) => entraPathKeys(op, type))
    .map(entraManagerId)
    .flatMap((op) => oktaRenameId(op, resource) ?? [])
    .flatMap(entraMemberRemoveByValue);
}
