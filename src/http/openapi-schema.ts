import { z } from 'zod';

/**
 * zod → OpenAPI 3.1 pieces. OpenAPI 3.1 Schema Objects are JSON Schema
 * 2020-12 (OAS 3.1 §4.8.24), which is what z.toJSONSchema writes by default, so
 * the schemas that validate requests are the ones the document shows.
 */
export type JsonSchema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

/**
 * A request schema is described as the client sends it (`io: 'input'`: before
 * coercion, defaults and transforms; a field with a default is optional); a
 * response schema as the server writes it. Types JSON cannot carry (a refine's
 * custom check, z.date) become `{}` instead of failing the whole document.
 * Named sub-schemas (`$defs`, from `.meta({id})` or recursion) move to
 * `defs`, for components.schemas, with their references rewritten to point there.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', defs: Record<string, JsonSchema>): JsonSchema {
  const { $schema: _dialect, $defs, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const rewritten = rewriteRefs(def) as JsonSchema;
    if (defs[name] && JSON.stringify(defs[name]) !== JSON.stringify(rewritten)) {
      throw new Error(`Two different schemas are both named "${name}" (zod .meta({id}))`);
    }
    defs[name] = rewritten;
  }
  return rewriteRefs(json) as JsonSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) =>
      key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? [key, `#/components/schemas/${v.slice('#/$defs/'.length)}`] : [key, rewriteRefs(v)],
    ),
  );
}

/** `/users/:id` → `/users/{id}`. Express 5 wildcards and optional groups have no OpenAPI form: refused. */
export function openApiPath(expressPath: string): string {
  if (/[*?(){}]/.test(expressPath)) throw new Error(`The Express path "${expressPath}" has a wildcard or optional part, which OpenAPI cannot describe`);
  const path = expressPath.replace(/:(\w+)/g, '{$1}');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export function pathParamNames(expressPath: string): string[] {
  return [...expressPath.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** The top-level properties of an object schema, each with whether it is required. */
function propertiesOf(json: JsonSchema, what: string): Array<{ name: string; schema: JsonSchema; required: boolean }> {
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (json.type !== 'object' || !properties) throw new Error(`The ${what} schema must be a zod object so each field can be a parameter`);
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, schema]) => ({ name, schema, required: required.has(name) }));
}

function parameter(name: string, where: 'path' | 'query', schema: JsonSchema, required: boolean): Parameter {
  const { description, ...rest } = schema;
  return { name, in: where, required, schema: rest, ...(typeof description === 'string' ? { description } : {}) };
}

/**
 * Path parameters in the order of the path (a name the params schema does not
 * type is a string), then one query parameter per field of the query schema.
 */
export function parametersOf(
  expressPath: string,
  spec: { params?: z.ZodType | undefined; query?: z.ZodType | undefined },
  defs: Record<string, JsonSchema>,
): Parameter[] {
  const names = pathParamNames(expressPath);
  const typed = new Map<string, JsonSchema>();
  if (spec.params) {
    for (const p of propertiesOf(jsonSchemaOf(spec.params, 'input', defs), `params of ${expressPath}`)) {
      if (!names.includes(p.name)) throw new Error(`The params schema of ${expressPath} names "${p.name}", which is not in the path`);
      typed.set(p.name, p.schema);
    }
  }
  const path = names.map((name) => parameter(name, 'path', typed.get(name) ?? { type: 'string' }, true));
  const query = spec.query ? propertiesOf(jsonSchemaOf(spec.query, 'input', defs), `query of ${expressPath}`).map((p) => parameter(p.name, 'query', p.schema, p.required)) : [];
  return [...path, ...query];
}

/** Whether a body may be left out: parseInput reads a missing body as `{}`. */
export function bodyRequired(schema: z.ZodType): boolean {
  try {
    return !schema.safeParse({}).success;
  } catch {
    return true;
  }
}

/** `post` + `/users/{id}/disable` → `postUsersByIdDisable`: stable, readable, unique per method and path. */
export function operationIdOf(method: string, path: string, fallback: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      const word = (param ? param[1]! : segment).split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
      return param ? `By${word}` : word;
    });
  return method + (words.length ? words.join('') : fallback);
}
