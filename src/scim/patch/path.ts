/**
 * RFC 7644 §3.5.2 / §3.10 PATCH paths: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`,
 * each optionally prefixed with a schema URN (`urn:…:enterprise:2.0:User:manager.value`).
 *
 * The path shell is parsed here by hand because scim2-parse-filter parses filters, not paths
 * (it has no notion of a trailing `.sub` after `]` nor of a bare URN). The text inside the
 * brackets is a filter, so it goes through the same parseFilter as every other SCIM filter
 * (CONVENTIONS 2: one filter grammar; strings are JSON strings), and value-filter.ts
 * evaluates its AST.
 */
import { parseFilter, type FilterAst } from '../filter/parse.ts';
import { unstorableLiteral } from '../filter/literals.ts';
import { splitSchemaUrn } from '../schema/registry.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from '../schema/types.ts';
import { PatchFailure } from './types.ts';

/** Where an operation lands. `ext` is the extension URN key, or null for top-level attributes. */
export type Target =
  | { kind: 'schema'; ext: string | null; schema: SchemaDef }
  | {
      kind: 'attr';
      ext: string | null;
      /** Canonical name when known, else the name as sent (unknown attributes are kept raw). */
      name: string;
      def?: AttributeDef;
      filter?: FilterAst;
      sub?: string;
      subDef?: AttributeDef;
    };

const NAME = /^[A-Za-z$][\w$-]*/;

/** RFC 7643 §3.1: common attributes, used when the schema does not declare them itself. */
const COMMON: AttributeDef[] = [
  common('id', 'string', 'readOnly', true),
  common('externalId', 'string', 'readWrite', true),
  common('meta', 'complex', 'readOnly', false),
  common('schemas', 'reference', 'readOnly', true, true),
];

function common(name: string, type: AttributeDef['type'], mutability: AttributeDef['mutability'], caseExact: boolean, multiValued = false): AttributeDef {
  return { name, type, multiValued, required: false, caseExact, mutability, returned: 'default', uniqueness: 'none', description: '' };
}

export function findAttr(defs: AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
}

function schemasOf(type: ResourceTypeDef): SchemaDef[] {
  return [type.schema, ...type.extensions.map((e) => e.schema)];
}

/**
 * The known schema a URN-prefixed string is, or starts with before ':' (or '.', registry.ts
 * dottedSchemaUrn); URNs compare case-insensitively (RFC 8141). What follows it starts one
 * character after the schema's id either way.
 */
export function schemaPrefix(type: ResourceTypeDef, text: string): SchemaDef | undefined {
  const lower = text.toLowerCase();
  return schemasOf(type).find((s) => s.id.toLowerCase() === lower) ?? splitSchemaUrn(schemasOf(type), text)?.schema;
}

/**
 * An undeclared extension URN is kept raw, but one that is only the start of a known schema's
 * URN (`urn:…:enterprise:2.0`, as `urn:…:enterprise:2.0:User.department` or
 * `urn:…:enterprise:2.0:department` would make it) is a mistaken path, never an attribute.
 */
export function refuseSchemaFragment(type: ResourceTypeDef, urn: string, path: string): void {
  const lower = `${urn.toLowerCase()}:`;
  const whole = schemasOf(type).find((s) => s.id.toLowerCase().startsWith(lower));
  if (whole) {
    throw new PatchFailure('invalidPath', `Invalid path "${path}": it names no attribute of "${whole.id}" (RFC 7644 §3.10 writes "${whole.id}:<attribute>")`);
  }
}

/** The index of the `]` closing the `[` at `open`, skipping quoted strings; -1 if unclosed. */
function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ']') return i;
  }
  return -1;
}

function valueFilter(text: string, path: string): FilterAst {
  const parsed = parseFilter(text);
  if (parsed.ok) {
    // An `add` through a value path stores the filter's values (vendor-quirks: Entra's typed element).
    const unstorable = unstorableLiteral(parsed.value);
    if (unstorable) throw new PatchFailure('invalidFilter', `Invalid filter "${text}" in path "${path}": ${unstorable}`);
    return parsed.value;
  }
  // Positions in the detail count from the filter's first character, so the detail names it once.
  const repeated = `Invalid filter '${text}': `;
  const detail = parsed.detail.startsWith(repeated) ? parsed.detail.slice(repeated.length) : parsed.detail;
  throw new PatchFailure('invalidFilter', `Invalid filter "${text}" in path "${path}": ${detail}`);
}

/** Resolves an unprefixed name: core schema, then common attributes, then extensions (lenient). */
function resolveName(type: ResourceTypeDef, name: string): { ext: string | null; def?: AttributeDef } {
  const core = findAttr(type.schema.attributes, name) ?? findAttr(COMMON, name);
  if (core) return { ext: null, def: core };
  for (const { schema } of type.extensions) {
    const def = findAttr(schema.attributes, name);
    if (def) return { ext: schema.id, def };
  }
  return { ext: null };
}

/** Resolves a name inside a given schema (the attribute after a URN prefix or under a URN key). */
export function attrTarget(type: ResourceTypeDef, schema: SchemaDef | null, ext: string | null, name: string): Target {
  if (schema === null) {
    if (ext !== null) return { kind: 'attr', ext, name };
    const found = resolveName(type, name);
    return { kind: 'attr', ext: found.ext, name: found.def?.name ?? name, def: found.def };
  }
  const def = findAttr(schema.attributes, name) ?? (ext === null ? findAttr(COMMON, name) : undefined);
  return { kind: 'attr', ext, name: def?.name ?? name, def };
}

export function parsePath(path: string, type: ResourceTypeDef): Target {
  let rest = path.trim();
  let schema: SchemaDef | null = null;
  let ext: string | null = null;
  if (/^urn:/i.test(rest)) {
    const known = schemaPrefix(type, rest);
    if (known) {
      schema = known;
      ext = known === type.schema ? null : known.id;
      rest = rest.slice(known.id.length + 1);
      if (rest === '') return { kind: 'schema', ext, schema };
    } else {
      // An extension we do not declare: its attributes are kept raw under the URN (split at
      // the last colon before any filter), so they round-trip.
      const head = rest.split('[')[0] ?? rest;
      const cut = head.lastIndexOf(':');
      ext = rest.slice(0, cut);
      refuseSchemaFragment(type, ext, path);
      rest = rest.slice(cut + 1);
    }
  }
  const name = NAME.exec(rest)?.[0];
  if (!name) throw new PatchFailure('invalidPath', `Invalid path "${path}": expected an attribute name`);
  rest = rest.slice(name.length);
  let filter: FilterAst | undefined;
  if (rest.startsWith('[')) {
    const close = closingBracket(rest, 0);
    if (close < 0) throw new PatchFailure('invalidPath', `Invalid path "${path}": unclosed "["`);
    filter = valueFilter(rest.slice(1, close), path);
    rest = rest.slice(close + 1);
  }
  let sub: string | undefined;
  if (rest.startsWith('.')) {
    sub = NAME.exec(rest.slice(1))?.[0];
    if (!sub) throw new PatchFailure('invalidPath', `Invalid path "${path}": expected a sub-attribute after "."`);
    rest = rest.slice(sub.length + 1);
  }
  if (rest !== '') throw new PatchFailure('invalidPath', `Invalid path "${path}": unexpected "${rest}"`);

  const target = attrTarget(type, schema, ext, name);
  if (target.kind !== 'attr') return target;
  const def = target.def;
  if (filter && def && !(def.multiValued && def.type === 'complex')) {
    throw new PatchFailure('invalidPath', `Invalid path "${path}": "${def.name}" is not a multi-valued complex attribute, so it takes no filter`);
  }
  if (filter && !def) {
    throw new PatchFailure('invalidPath', `Invalid path "${path}": "${name}" is not in the schema, so it takes no filter`);
  }
  if (sub === undefined) return { ...target, filter };
  if (def && def.type !== 'complex') {
    throw new PatchFailure('invalidPath', `Invalid path "${path}": "${def.name}" has no sub-attributes`);
  }
  const subDef = findAttr(def?.subAttributes, sub);
  return { ...target, filter, sub: subDef?.name ?? sub, subDef };
}
