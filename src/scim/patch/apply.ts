/**
 * The SCIM PATCH engine (RFC 7644 §3.5.2) as a pure function: (resource, ops, resource type)
 * → resource′ (CONVENTIONS 3). The input is never mutated; `changed` is false when resource′
 * deep-equals the input, so the caller can skip the write for a no-op PATCH.
 */
import { stringify } from 'scim2-parse-filter';
import { jsonEqual } from '../../lib/equal.ts';
import { fail, ok, type Result } from '../../lib/result.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from '../schema/types.ts';
import { applyQuirks, entraMissingTypedElement } from '../vendor-quirks.ts';
import { deleteKey, findKey, getKey, isObject, setKey, type Json } from './json.ts';
import { attrTarget, findAttr, parsePath, refuseSchemaFragment, schemaPrefix, type Target } from './path.ts';
import { PatchFailure, type PatchErrorCode, type PatchOp, type ScimObject } from './types.ts';
import { matches } from './value-filter.ts';
import { prepare, prepareComplex, prepareOne } from './values.ts';

type Mode = 'add' | 'replace';
type AttrTarget = Extract<Target, { kind: 'attr' }>;

export interface PatchOutcome {
  resource: ScimObject;
  changed: boolean;
}

export function applyPatch(resource: ScimObject, ops: PatchOp[], type: ResourceTypeDef): Result<PatchOutcome, PatchErrorCode> {
  const out = structuredClone(resource);
  for (const [i, op] of ops.entries()) {
    try {
      for (const normal of applyQuirks([op], out, type)) applyOne(out, normal, type);
    } catch (e) {
      if (e instanceof PatchFailure) return fail(e.code, `Operations[${i}]: ${e.message}`);
      throw e;
    }
  }
  dropEmptyExtensions(out, resource);
  return ok({ resource: out, changed: !jsonEqual(resource, out) });
}

function applyOne(res: Json, op: PatchOp, type: ResourceTypeDef): void {
  // The op's value is copied so that the result never aliases the caller's request body.
  const value = structuredClone(op.value);
  if (op.op === 'remove') {
    // RFC 7644 §3.5.2.2: "If 'path' is unspecified, the operation fails … 'noTarget'".
    if (op.path === undefined) throw new PatchFailure('noTarget', 'remove needs a path');
    remove(res, parsePath(op.path, type), value);
  } else if (op.path === undefined) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: without a path, the value is an object of attributes.
    if (!isObject(value)) throw new PatchFailure('invalidValue', `${op.op} without a path needs an object value`);
    writeObject(res, type, null, null, value, op.op);
  } else {
    write(res, parsePath(op.path, type), value, op.op, type);
  }
}

/** Each key of a path-less value (or of a value whose path is a schema URN) is its own write. */
function writeObject(res: Json, type: ResourceTypeDef, schema: SchemaDef | null, ext: string | null, value: Json, mode: Mode): void {
  for (const [key, v] of Object.entries(value)) {
    if (schema === null && /^urn:/i.test(key)) {
      const known = schemaPrefix(type, key);
      if (known && known.id.length === key.length) {
        write(res, { kind: 'schema', ext: known === type.schema ? null : known.id, schema: known }, v, mode, type);
      } else {
        if (!known) refuseSchemaFragment(type, key, key);
        write(res, known ? parsePath(key, type) : { kind: 'attr', ext: null, name: key }, v, mode, type);
      }
    } else if (schema === null && key.toLowerCase() === 'schemas') {
      continue; // RFC 7643 §3: the server derives `schemas` from the attributes present.
    } else {
      write(res, attrTarget(type, schema, ext, key), v, mode, type);
    }
  }
}

function write(res: Json, target: Target, value: unknown, mode: Mode, type: ResourceTypeDef): void {
  if (target.kind === 'schema') {
    if (!isObject(value)) throw new PatchFailure('invalidValue', `The value for "${target.schema.id}" must be an object`);
    writeObject(res, type, target.schema, target.ext, value, mode);
    return;
  }
  // RFC 7643 §2.5: null is "unassigned"; replacing with null removes, adding null adds nothing.
  if (value === null) {
    if (mode === 'replace') remove(res, target, undefined);
    return;
  }
  const { def } = target;
  if (def?.mutability === 'readOnly') throw readOnly(def);
  const box = container(res, target.ext, true) as Json;
  if (!def) writeRaw(box, target, value, mode);
  else if (target.filter) writeFiltered(box, target, def, value, mode);
  else if (target.sub !== undefined) writeSub(box, target, def, value);
  else if (def.multiValued) writeMulti(box, def, value, mode);
  else if (def.type === 'complex') {
    // RFC 7644 §3.5.2.1 and §3.5.2.3: both add and replace on a complex attribute set the
    // given sub-attributes and leave the others unchanged.
    const next = prepareOne(def, value) as Json;
    const el = isObject(getKey(box, def.name)) ? { ...(getKey(box, def.name) as Json) } : {};
    for (const [k, v] of Object.entries(next)) assignSub(el, def, k, v);
    setKey(box, def.name, el);
  } else {
    const next = prepareOne(def, value);
    const current = getKey(box, def.name);
    // RFC 7643 §2.2: an immutable attribute may be set once, never changed.
    if (def.mutability === 'immutable' && current !== undefined && !jsonEqual(current, next)) throw immutable(def.name);
    setKey(box, def.name, next);
  }
}

/** Attributes outside the schema are stored as sent, so they round-trip. */
function writeRaw(box: Json, target: AttrTarget, value: unknown, mode: Mode): void {
  const key = findKey(box, target.name) ?? target.name;
  const current = box[key];
  if (target.sub !== undefined) {
    const el = isObject(current) ? { ...current } : {};
    setKey(el, findKey(el, target.sub) ?? target.sub, value);
    box[key] = el;
  } else if (mode === 'add' && Array.isArray(current) && Array.isArray(value)) {
    box[key] = [...current, ...value.filter((v) => !current.some((c) => jsonEqual(c, v)))];
  } else if (mode === 'add' && isObject(current) && isObject(value)) {
    box[key] = { ...current, ...value };
  } else {
    box[key] = value;
  }
}

/**
 * RFC 7644 §3.5.2.1: add appends values not already present — a value present under other
 * sub-attributes (the same address, now `primary` or of another `type`) is merged, the added
 * sub-attributes winning, never listed twice; §3.5.2.3: replace without a filter replaces all values.
 */
function writeMulti(box: Json, def: AttributeDef, value: unknown, mode: Mode): void {
  const items = prepare(def, value) as unknown[];
  const next: unknown[] = mode === 'add' ? [...elements(box, def)] : [];
  const touched: number[] = [];
  for (const item of items) {
    const at = next.findIndex((e) => sameElement(def, e, item));
    const present = at < 0 && mode === 'add' ? next.findIndex((e) => sameValue(def, e, item)) : -1;
    if (present >= 0) {
      next[present] = { ...(next[present] as Json) };
      for (const [k, v] of Object.entries(item as Json)) setKey(next[present] as Json, k, v);
      touched.push(present);
    } else if (at < 0) touched.push(next.push(item) - 1);
    else if (mode === 'replace') touched.push(at);
  }
  keepOnePrimary(next, touched);
  if (next.length > 0) setKey(box, def.name, next);
  else deleteKey(box, def.name);
}

/** `attr[filter]` and `attr[filter].sub` for add and replace (RFC 7644 §3.5.2.3). */
function writeFiltered(box: Json, target: AttrTarget, def: AttributeDef, value: unknown, mode: Mode): void {
  const filter = target.filter!;
  const arr = elements(box, def).map((e) => (isObject(e) ? { ...e } : e));
  let hits = arr.flatMap((e, i) => (matches(filter, e, def.subAttributes) ? [i] : []));
  if (hits.length === 0) {
    const seed = target.sub === undefined ? undefined : entraMissingTypedElement(filter);
    if (!seed) throw new PatchFailure('noTarget', `No value of "${def.name}" matches [${stringify(filter)}]`);
    const el = prepareComplex(def, seed);
    assignSub(el, def, target.sub!, value);
    hits = [arr.push(el) - 1];
  } else {
    for (const i of hits) {
      const el = arr[i] as Json;
      if (target.sub !== undefined) assignSub(el, def, target.sub, value);
      else if (mode === 'add') for (const [k, v] of Object.entries(prepareOne(def, value) as Json)) assignSub(el, def, k, v);
      else arr[i] = replaceElement(def, el, prepareOne(def, value) as Json);
    }
  }
  keepOnePrimary(arr, hits);
  setKey(box, def.name, arr);
}

/** `attr.sub` without a filter: the sub-attribute of a complex value, or of every element. */
function writeSub(box: Json, target: AttrTarget, def: AttributeDef, value: unknown): void {
  const sub = target.sub!;
  if (!def.multiValued) {
    const current = getKey(box, def.name);
    const el = isObject(current) ? { ...current } : {};
    assignSub(el, def, sub, value);
    setKey(box, def.name, el);
    return;
  }
  const arr = elements(box, def).map((e) => (isObject(e) ? { ...e } : {}));
  if (arr.length === 0) throw new PatchFailure('noTarget', `"${def.name}" has no values to set "${sub}" on`);
  for (const el of arr) assignSub(el, def, sub, value);
  keepOnePrimary(arr, arr.map((_, i) => i));
  setKey(box, def.name, arr);
}

/** Sets one sub-attribute, honouring its mutability (RFC 7643 §2.2). */
function assignSub(el: Json, def: AttributeDef, name: string, value: unknown): void {
  const sub = findAttr(def.subAttributes, name);
  if (sub?.mutability === 'readOnly') throw readOnly(sub, def.name);
  if (value === null) {
    deleteKey(el, sub?.name ?? name);
    return;
  }
  const next = sub ? prepare(sub, value, `${def.name}.${sub.name}`) : value;
  const current = getKey(el, sub?.name ?? name);
  if (sub?.mutability === 'immutable' && current !== undefined && !jsonEqual(current, next)) {
    throw immutable(`${def.name}.${sub.name}`);
  }
  setKey(el, sub?.name ?? findKey(el, name) ?? name, next);
}

function replaceElement(def: AttributeDef, current: Json, next: Json): Json {
  for (const sub of def.subAttributes ?? []) {
    const was = getKey(current, sub.name);
    if (sub.mutability === 'immutable' && was !== undefined && !jsonEqual(was, getKey(next, sub.name))) {
      throw immutable(`${def.name}.${sub.name}`);
    }
  }
  return next;
}

function remove(res: Json, target: Target, value: unknown): void {
  if (target.kind === 'schema') {
    if (target.ext === null) throw new PatchFailure('invalidPath', 'The core schema cannot be removed');
    deleteKey(res, target.ext);
    return;
  }
  const { def } = target;
  // RFC 7644 §3.5.2.2: removing a required or readOnly attribute fails with "mutability".
  if (def?.mutability === 'readOnly') throw readOnly(def);
  const box = container(res, target.ext, false);
  if (!box) return;
  if (!def) {
    const key = findKey(box, target.name);
    if (key === undefined) return;
    if (target.sub === undefined) delete box[key];
    else if (isObject(box[key])) box[key] = dropSub({ ...(box[key] as Json) }, target.sub);
    return;
  }
  const subDef = target.subDef;
  if (target.sub !== undefined && (subDef?.required || subDef?.mutability === 'readOnly' || subDef?.mutability === 'immutable')) {
    throw new PatchFailure('mutability', `"${def.name}.${subDef.name}" cannot be removed (${subDef.required ? 'required' : subDef.mutability})`);
  }
  if (target.sub === undefined && !target.filter) {
    if (value !== undefined && def.multiValued) {
      throw new PatchFailure('invalidValue', `remove on "${def.name}" with a value needs a list of {"value": …} elements`);
    }
    const present = getKey(box, def.name) !== undefined;
    if (present && def.required) throw new PatchFailure('mutability', `"${def.name}" is required and cannot be removed`);
    if (present && def.mutability === 'immutable') throw immutable(def.name);
    deleteKey(box, def.name);
    return;
  }
  if (!def.multiValued) {
    const current = getKey(box, def.name);
    if (!isObject(current)) return;
    const el = dropSub({ ...current }, target.sub!);
    if (Object.keys(el).length > 0) setKey(box, def.name, el);
    else deleteKey(box, def.name);
    return;
  }
  // A filter that matches nothing removes nothing: IdPs retry removals (Okta re-sends
  // members[value eq "x"] for a member already gone), and a 400 there would fail the push.
  const hit = (e: unknown): boolean => !target.filter || matches(target.filter, e, def.subAttributes);
  const arr = elements(box, def).flatMap((e) => {
    if (!hit(e)) return [e];
    if (target.sub === undefined || !isObject(e)) return [];
    const el = dropSub({ ...e }, target.sub);
    return contentless(def, el) ? [] : [el];
  });
  if (arr.length > 0) setKey(box, def.name, arr);
  else deleteKey(box, def.name);
}

/** What an entry says about its content rather than being it (RFC 7643 §2.4). */
const DESCRIPTIVE = new Set(['type', 'primary', 'display']);

/**
 * An entry a sub-attribute removal left meaningless, which goes with it: one without its `value`
 * where the attribute has one (Entra's `emails[type eq "work"].value` remove would leave
 * `{type: "work", primary: true}`, an email with no address), or, as an address left by
 * `addresses[type eq "work"].locality`, one with nothing but its type and primary.
 */
function contentless(def: AttributeDef, el: Json): boolean {
  if (findAttr(def.subAttributes, 'value')) return getKey(el, 'value') === undefined;
  return Object.keys(el).every((key) => DESCRIPTIVE.has(key.toLowerCase()));
}

function dropSub(el: Json, name: string): Json {
  deleteKey(el, name);
  return el;
}

/** RFC 7643 §2.4: "primary" true appears at most once; the values this op set win. */
function keepOnePrimary(arr: unknown[], touched: number[]): void {
  const isPrimary = (e: unknown): boolean => isObject(e) && getKey(e, 'primary') === true;
  const winners = touched.filter((i) => isPrimary(arr[i]));
  if (winners.length > 1) throw new PatchFailure('invalidValue', 'At most one value may have "primary": true (RFC 7643 §2.4)');
  if (winners.length === 0) return;
  arr.forEach((e, i) => {
    if (i !== winners[0] && isPrimary(e)) arr[i] = dropSub({ ...(e as Json) }, 'primary');
  });
}

/**
 * Duplicates: an exact copy, or, for references whose `value` is immutable (group members),
 * the same `value` — re-adding a member with a different `display` adds nothing.
 */
function sameElement(def: AttributeDef, a: unknown, b: unknown): boolean {
  if (jsonEqual(a, b)) return true;
  const ref = findAttr(def.subAttributes, 'value');
  if (ref?.mutability !== 'immutable' || !isObject(a) || !isObject(b)) return false;
  const [x, y] = [getKey(a, 'value'), getKey(b, 'value')];
  if (typeof x !== 'string' || typeof y !== 'string') return x !== undefined && x === y;
  return ref.caseExact ? x === y : x.toLowerCase() === y.toLowerCase();
}

/**
 * The same `value` under other sub-attributes (`emails`, `phoneNumbers`, `roles`…: compared as the
 * schema says, case-insensitively unless caseExact). Not for references (sameElement's duplicates).
 */
function sameValue(def: AttributeDef, a: unknown, b: unknown): boolean {
  const attr = findAttr(def.subAttributes, 'value');
  if (!attr || attr.mutability === 'immutable' || !isObject(a) || !isObject(b)) return false;
  const [x, y] = [getKey(a, 'value'), getKey(b, 'value')];
  if (typeof x !== 'string' || typeof y !== 'string') return x !== undefined && jsonEqual(x, y);
  return attr.caseExact ? x === y : x.toLowerCase() === y.toLowerCase();
}

function elements(box: Json, def: AttributeDef): unknown[] {
  const v = getKey(box, def.name);
  return Array.isArray(v) ? v : [];
}

/** The object holding a target's attributes: the resource, or its extension object. */
function container(res: Json, ext: string | null, create: boolean): Json | undefined {
  if (ext === null) return res;
  const key = findKey(res, ext);
  const current = key === undefined ? undefined : res[key];
  if (isObject(current)) {
    if (key !== ext) setKey(res, ext, current);
    return current;
  }
  if (!create) return undefined;
  const made: Json = {};
  setKey(res, ext, made);
  return made;
}

/** An extension object emptied or created empty by the ops is dropped, not stored as {}. */
function dropEmptyExtensions(out: Json, input: Json): void {
  for (const [key, v] of Object.entries(out)) {
    if (/^urn:/i.test(key) && isObject(v) && Object.keys(v).length === 0 && !jsonEqual(input[key], {})) delete out[key];
  }
}

function readOnly(def: AttributeDef, parent?: string): PatchFailure {
  return new PatchFailure('mutability', `"${parent ? `${parent}.` : ''}${def.name}" is readOnly`);
}

function immutable(name: string): PatchFailure {
  return new PatchFailure('mutability', `"${name}" is immutable and already set`);
}
