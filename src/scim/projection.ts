import { findAttribute, resolvePath } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './schema/types.ts';
import { ScimError } from './errors.ts';

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

interface Selected {
  schema: SchemaDef;
  attribute: AttributeDef;
  sub?: AttributeDef;
}

function resolveAll(type: ResourceTypeDef, paths: string[] | undefined, parameter: string): Selected[] {
  return (paths ?? []).map((path) => {
    const resolved = resolvePath(type, path);
    if (!resolved) throw new ScimError(400, `Unknown attribute '${path}' in ${parameter}`, 'invalidValue');
    return resolved.parent
      ? { schema: resolved.schema, attribute: resolved.parent, sub: resolved.attribute }
      : { schema: resolved.schema, attribute: resolved.attribute };
  });
}

/** Where an attribute of `schema` lives in the JSON: top level for the core schema, else under its URN. */
function container(resource: Json, type: ResourceTypeDef, schema: SchemaDef): Json | undefined {
  if (schema.id === type.schema.id) return resource;
  const ext = resource[schema.id];
  return ext && typeof ext === 'object' ? (ext as Json) : undefined;
}

/**
 * RFC 7644 §3.4.2.5 and RFC 7643 §2.4 `returned`: applies `attributes` or
 * `excludedAttributes` to one resource. `returned: always` attributes (id…) stay;
 * `returned: request` ones appear only when asked for by name.
 */
export function project(resource: Json, type: ResourceTypeDef, projection: Projection): Json {
  const included = resolveAll(type, projection.attributes, 'attributes');
  const excluded = resolveAll(type, projection.excludedAttributes, 'excludedAttributes');
  if (!included.length && !excluded.length) return resource;
  const out: Json = { schemas: resource.schemas };
  const schemas = [type.schema, ...type.extensions.map((e) => e.schema)];
  for (const schema of schemas) {
    const source = container(resource, type, schema);
    if (!source) continue;
    const target: Json = {};
    for (const [key, value] of Object.entries(source)) {
      const attribute = findAttribute(schema.attributes, key);
      if (!attribute) {
        // Unknown attributes (kept raw) and the extension objects follow the default rules.
        if (!included.length && !(key.startsWith('urn:') && schemas.some((s) => s.id === key))) target[key] = value;
        continue;
      }
      const kept = keep(attribute, value, schema, included, excluded);
      if (kept !== undefined) target[attribute.name] = kept;
    }
    if (schema.id === type.schema.id) Object.assign(out, target);
    else if (Object.keys(target).length) out[schema.id] = target;
  }
  return out;
}

function keep(attribute: AttributeDef, value: unknown, schema: SchemaDef, included: Selected[], excluded: Selected[]): unknown {
  if (attribute.returned === 'always') return value;
  if (attribute.returned === 'never') return undefined;
  const mine = (list: Selected[]) => list.filter((s) => s.schema.id === schema.id && s.attribute.name === attribute.name);
  if (included.length) {
    const asked = mine(included);
    if (!asked.length) return undefined;
    if (asked.some((s) => !s.sub)) return value;
    return pickSubs(value, asked.map((s) => s.sub!));
  }
  const dropped = mine(excluded);
  if (attribute.returned === 'request') return undefined;
  if (!dropped.length) return value;
  if (dropped.some((s) => !s.sub)) return undefined;
  return dropSubs(value, dropped.map((s) => s.sub!));
}

function mapValue(value: unknown, fn: (item: Json) => Json): unknown {
  if (Array.isArray(value)) return value.map((item) => (item && typeof item === 'object' ? fn(item as Json) : item));
  return value && typeof value === 'object' ? fn(value as Json) : value;
}

function pickSubs(value: unknown, subs: AttributeDef[]): unknown {
  const names = new Set(subs.map((s) => s.name.toLowerCase()));
  return mapValue(value, (item) => Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k.toLowerCase()))));
}

function dropSubs(value: unknown, subs: AttributeDef[]): unknown {
  const names = new Set(subs.filter((s) => s.returned !== 'always').map((s) => s.name.toLowerCase()));
  return mapValue(value, (item) => Object.fromEntries(Object.entries(item).filter(([k]) => !names.has(k.toLowerCase()))));
}

/** Whether a projection will return `name` (so reads can skip loading groups or members). */
export function wants(type: ResourceTypeDef, projection: Projection, name: string): boolean {
  const lower = name.toLowerCase();
  const hits = (list?: string[]) => (list ?? []).some((p) => p.toLowerCase() === lower || p.toLowerCase().startsWith(`${lower}.`) || p.toLowerCase().endsWith(`:${lower}`));
  if (projection.attributes?.length) return hits(projection.attributes);
  if (projection.excludedAttributes?.some((p) => p.toLowerCase() === lower || p.toLowerCase().endsWith(`:${lower}`))) return false;
  void type;
  return true;
}
