import { findAttribute, splitSchemaUrn } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './schema/types.ts';
import { ScimError } from './errors.ts';
import { holdsExtensionObject } from './mappers/schemas.ts';

type Json = Record<string, unknown>;

export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** `attributes=a,b.c` → ['a', 'b.c'] (comma-separated, RFC 7644 §3.4.2.5). */
export function splitAttributeList(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = Array.isArray(value) ? value.join(',') : String(value);
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

// RFC 7644 §3.10: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; `$ref` is
// the one sub-attribute outside that grammar. A schema URN has no spaces, commas or quotes.
const NAME = '(?:[A-Za-z][\\w-]*|\\$ref)';
const ATTRIBUTE_PATH = new RegExp(`^${NAME}(?:\\.${NAME})?$`);
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]*:[^\s,"]+$/i;

/**
 * A name of `attributes` or `excludedAttributes`, fully qualified and lower-cased (names are
 * case-insensitive, RFC 7643 §2.1): `<schema urn>` for a whole schema, `<schema urn>:name`
 * or `<schema urn>:name.sub` for an attribute, core ones included. A URN this server does
 * not know stays as sent: where its schema part ends shows only against a resource's keys.
 */
type Selector = string;

function invalid(path: string, parameter: string, why: string): ScimError {
  return new ScimError(400, `'${path}' in ${parameter} ${why}`, 'invalidValue');
}

/**
 * One name → its selector, or undefined for `schemas` (always returned, RFC 7643 §3: nothing to
 * select or exclude). Names the schema does not know are kept: a resource returns the
 * attributes and extensions it was sent (resource-input.ts), and they select those. Only a
 * name no resource could have (bad syntax, a sub-attribute of a simple attribute) is 400.
 */
function selector(type: ResourceTypeDef, path: string, parameter: string): Selector | undefined {
  if (path.toLowerCase() === 'schemas') return undefined;
  const schemas = [type.schema, ...type.extensions.map((e) => e.schema)];
  if (/^urn:/i.test(path)) {
    // `urn:…:User:userName`, or the dotted `urn:…:enterprise:2.0:User.department` filters and sortBy read too.
    const split = splitSchemaUrn(schemas, path);
    if (split) return qualified(split.schema, [split.schema], split.rest, path, parameter);
    if (!URN.test(path)) throw invalid(path, parameter, 'is not a schema URN or a URN-qualified attribute (RFC 7644 §3.10)');
    // A whole schema (its attributes), or one this server does not know (selects what the resource was sent under it).
    return path.toLowerCase();
  }
  return qualified(type.schema, schemas, path, path, parameter);
}

/** `name[.sub]` in the first of `schemas` that declares `name`, else as an unknown attribute of `fallback`. */
function qualified(fallback: SchemaDef, schemas: SchemaDef[], rest: string, path: string, parameter: string): Selector {
  if (!ATTRIBUTE_PATH.test(rest)) throw invalid(path, parameter, 'is not an attribute name (RFC 7644 §3.10: [schema URN:]name[.subAttribute])');
  const [name, sub] = rest.split('.') as [string, string | undefined];
  const schema = schemas.find((s) => findAttribute(s.attributes, name)) ?? fallback;
  const attribute = findAttribute(schema.attributes, name);
  if (sub !== undefined && attribute && !attribute.subAttributes) throw invalid(path, parameter, `names a sub-attribute, but ${attribute.name} has none`);
  return `${schema.id}:${rest}`.toLowerCase();
}

interface Selection {
  type: ResourceTypeDef;
  included: Selector[];
  excluded: Selector[];
}

/** Pages project every resource with one Projection: read its names once. */
const selections = new WeakMap<Projection, Selection>();

function selection(type: ResourceTypeDef, projection: Projection): Selection {
  const cached = selections.get(projection);
  if (cached?.type === type) return cached;
  const read = (paths: string[] | undefined, parameter: string) =>
    (paths ?? []).map((p) => selector(type, p, parameter)).filter((s): s is Selector => s !== undefined);
  const found = { type, included: read(projection.attributes, 'attributes'), excluded: read(projection.excludedAttributes, 'excludedAttributes') };
  selections.set(projection, found);
  return found;
}

/** What selectors name inside one container (`urn` lower-cased): the whole of it, or `name[.sub]` paths. */
interface Within {
  whole: boolean;
  paths: string[];
}

function within(selectors: Selector[], urn: string): Within {
  const prefix = `${urn}:`;
  return {
    whole: selectors.includes(urn),
    paths: selectors.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length)),
  };
}

/**
 * RFC 7644 §3.4.2.5 and RFC 7643 §2.4 `returned`: applies `attributes` or
 * `excludedAttributes` to one resource. `returned: always` attributes (id…) stay;
 * `returned: request` ones appear only when asked for by name; `schemas` always stays.
 * A schema URN alone names every attribute of that schema (the core one: the top level).
 */
export function project(resource: Json, type: ResourceTypeDef, projection: Projection): Json {
  if (!projection.attributes?.length && !projection.excludedAttributes?.length) return resource;
  const { included, excluded } = selection(type, projection);
  if (!included.length && !excluded.length) return resource;
  const selectors = included.length ? included : excluded;
  const core = type.schema.id.toLowerCase();
  const top = within(selectors, core);
  const out: Json = { schemas: resource.schemas };
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') continue;
    if (holdsExtensionObject(key, value) && key.toLowerCase() !== core) {
      const schema = type.extensions.find((e) => e.schema.id.toLowerCase() === key.toLowerCase())?.schema;
      const kept = projectObject(value, schema, within(selectors, key.toLowerCase()), included.length > 0);
      if (kept !== undefined && Object.keys(kept).length) out[key] = kept;
      continue;
    }
    // A top-level key that is itself a URN (not an object) is selected by that URN.
    const asUrn = /^urn:/i.test(key) && selectors.includes(key.toLowerCase()) ? { whole: false, paths: [key.toLowerCase()] } : top;
    const kept = keep(findAttribute(type.schema.attributes, key), key, value, asUrn, included.length > 0);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** One container's keys by the selectors that fall in it; undefined when none is kept. */
function projectObject(source: Json, schema: SchemaDef | undefined, selected: Within, including: boolean): Json | undefined {
  if (including ? !selected.whole && !selected.paths.length : selected.whole) return undefined;
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) {
    const kept = keep(schema && findAttribute(schema.attributes, key), key, value, selected, including);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function keep(attribute: AttributeDef | undefined, key: string, value: unknown, selected: Within, including: boolean): unknown {
  if (attribute?.returned === 'always') return value;
  if (attribute?.returned === 'never') return undefined;
  const name = key.toLowerCase();
  const mine = selected.paths.filter((p) => p === name || p.startsWith(`${name}.`));
  if (including) {
    if (selected.whole) return attribute?.returned === 'request' && !mine.length ? undefined : value;
    if (!mine.length) return undefined;
    if (mine.includes(name)) return value;
    return pickSubs(value, subNames(mine));
  }
  if (selected.whole || attribute?.returned === 'request') return undefined;
  if (!mine.length) return value;
  if (mine.includes(name)) return undefined;
  // Sub-attributes returned always (none today) survive exclusion like their parents.
  const always = new Set((attribute?.subAttributes ?? []).filter((s) => s.returned === 'always').map((s) => s.name.toLowerCase()));
  return dropSubs(value, subNames(mine).filter((s) => !always.has(s)));
}

function subNames(paths: string[]): string[] {
  return paths.map((p) => p.slice(p.indexOf('.') + 1));
}

function mapValue(value: unknown, fn: (item: Json) => Json): unknown {
  if (Array.isArray(value)) return value.map((item) => (item && typeof item === 'object' ? fn(item as Json) : item));
  return value && typeof value === 'object' ? fn(value as Json) : value;
}

function pickSubs(value: unknown, subs: string[]): unknown {
  const names = new Set(subs);
  return mapValue(value, (item) => Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k.toLowerCase()))));
}

function dropSubs(value: unknown, subs: string[]): unknown {
  const names = new Set(subs);
  return mapValue(value, (item) => Object.fromEntries(Object.entries(item).filter(([k]) => !names.has(k.toLowerCase()))));
}

/**
 * Whether a projection will return the core attribute `name` (so reads can skip loading
 * groups or members). Reads the names as project() does, so a bad one is 400 here already,
 * even when no resource is found to project.
 */
export function wants(type: ResourceTypeDef, projection: Projection, name: string): boolean {
  if (!projection.attributes?.length && !projection.excludedAttributes?.length) return true;
  const { included, excluded } = selection(type, projection);
  const core = type.schema.id.toLowerCase();
  const target = `${core}:${name.toLowerCase()}`;
  if (included.length) return included.some((s) => s === core || s === target || s.startsWith(`${target}.`));
  return !excluded.some((s) => s === core || s === target);
}
