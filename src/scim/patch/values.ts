/**
 * Checks an operation's value against the attribute's RFC 7643 §2.3 type and returns it in
 * canonical form: schema spelling of sub-attribute names (§2.1), booleans from Entra's
 * "True"/"False", unknown sub-attributes kept raw so they round-trip.
 */
import type { AttributeDef } from '../schema/types.ts';
import { entraBooleanString } from '../vendor-quirks.ts';
import { findAttr } from './path.ts';
import { isObject, type Json } from './json.ts';
import { PatchFailure } from './types.ts';

function invalid(def: AttributeDef, label: string, expected: string, value: unknown): PatchFailure {
  // A write-only attribute (password) is a secret: the detail reaches the IdP's logs and ours (debug), so it names the type only.
  const got = def.returned === 'never' ? kindOf(value) : (JSON.stringify(value) ?? String(value));
  return new PatchFailure('invalidValue', `"${label}" must be ${expected}, got ${got}`);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A whole attribute value: an array for multi-valued attributes, else one value. */
export function prepare(def: AttributeDef, value: unknown, label = def.name): unknown {
  if (!def.multiValued) return prepareOne(def, value, label);
  if (!Array.isArray(value)) throw invalid(def, label, 'an array (it is multi-valued)', value);
  return value.map((v) => prepareOne(def, v, label));
}

/** One value of the attribute (an element, for multi-valued ones). */
export function prepareOne(def: AttributeDef, value: unknown, label = def.name): unknown {
  switch (def.type) {
    case 'boolean': {
      const v = entraBooleanString(value);
      if (typeof v !== 'boolean') throw invalid(def, label, 'a boolean', value);
      return v;
    }
    case 'integer':
      if (!Number.isInteger(value)) throw invalid(def, label, 'an integer', value);
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(def, label, 'a number', value);
      return value;
    case 'dateTime':
      // RFC 7643 §2.3.5: an xsd:dateTime string.
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalid(def, label, 'a dateTime string', value);
      return value;
    case 'complex': {
      if (!isObject(value)) throw invalid(def, label, 'an object', value);
      const prepared = prepareComplex(def, value, label);
      // A group member is its `value` (a user's id); one without it names no one, and was refused as `members[value eq ""]`.
      if (def.storage?.kind === 'members' && !prepared.value) {
        throw new PatchFailure('invalidValue', `"${label}" needs a "value", the id of a user of this organization, in each member; got ${JSON.stringify(value)}`);
      }
      return prepared;
    }
    default:
      if (typeof value !== 'string') throw invalid(def, label, 'a string', value);
      return value;
  }
}

/**
 * Sub-attributes of a complex value. Nulls are dropped (RFC 7643 §2.5: null is unassigned);
 * readOnly sub-attributes (manager.displayName, members.display) are ignored as on POST/PUT
 * (RFC 7644 §3.3), since the server computes them.
 */
export function prepareComplex(def: AttributeDef, value: Json, label = def.name): Json {
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = findAttr(def.subAttributes, key);
    if (v === null || v === undefined) continue;
    if (!sub) out[key] = v;
    else if (sub.mutability !== 'readOnly') out[sub.name] = prepare(sub, v, `${label}.${sub.name}`);
  }
  return out;
}
