import type { Suffix } from 'scim2-parse-filter';
import { fail, ok, type Result } from '../../lib/result.ts';
import { findAttribute, resolvePath } from '../schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from '../schema/types.ts';
import type { Comparison, FilterAst, ValuePathNode } from './ast.ts';
import { checkOperand, compare, FilterError, not, filterLiteral, place, type Literal, type Op } from './leaf.ts';

export interface SqlOptions {
  /** The alias of the resource's table in the caller's query (`u` in `from users u`). */
  alias: string;
  /** Parameters already in the caller's query; the filter's are appended. */
  params?: unknown[];
  /**
   * `refuse` (the default): an attribute the resource type lacks is invalidFilter. `absent`: it is
   * an attribute this resource does not have, so a comparison on it is false — the root
   * `/.search` (RFC 7644 §3.4.3) runs one filter over several types.
   */
  unknownAttributes?: 'refuse' | 'absent';
}

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/**
 * Translates a parsed filter into one parameterised SQL boolean over `options.alias`, with `?`
 * placeholders (RFC 7644 §3.4.2.2). Every attribute is resolved in the registry; an unknown or
 * unfilterable attribute, a wrong operator or a wrongly typed literal is `invalidFilter`.
 */
export function filterToSql(
  ast: FilterAst,
  resourceType: ResourceTypeDef,
  options: SqlOptions,
): Result<SqlFragment, 'invalidFilter'> {
  const visitor = new Visitor(resourceType, options.alias, [...(options.params ?? [])], options.unknownAttributes === 'absent');
  try {
    const sql = visitor.filter(ast, { alias: options.alias });
    return ok({ sql, params: visitor.params });
  } catch (error) {
    if (error instanceof FilterError) return fail('invalidFilter', error.message);
    throw error;
  }
}

/** Where names resolve: the resource, or (inside `attr[...]`) the sub-attributes of `parent`. */
interface Scope {
  alias: string;
  parent?: AttributeDef;
}

interface Target {
  path: string;
  attribute: AttributeDef;
  parent?: AttributeDef;
}

class Visitor {
  private aliases = 0;
  readonly resourceType: ResourceTypeDef;
  readonly rowAlias: string;
  readonly params: unknown[];
  readonly unknownIsAbsent: boolean;

  constructor(resourceType: ResourceTypeDef, rowAlias: string, params: unknown[], unknownIsAbsent: boolean) {
    this.resourceType = resourceType;
    this.rowAlias = rowAlias;
    this.params = params;
    this.unknownIsAbsent = unknownIsAbsent;
  }

  /** A name this resource type does not have, read as an absent attribute (SqlOptions.unknownAttributes). */
  private absent(path: string, scope: Scope): boolean {
    return this.unknownIsAbsent && !scope.parent && !resolvePath(this.resourceType, path);
  }

  filter(node: FilterAst, scope: Scope): string {
    switch (node.op) {
      case 'and':
      case 'or':
        return `(${node.filters.map((f) => this.filter(f, scope)).join(` ${node.op} `)})`;
      case 'not':
        return not(this.filter(node.filter, scope));
      case '[]':
        return this.valuePath(node, scope);
      default:
        return this.comparison(node, scope);
    }
  }

  private push = (value: unknown): string => {
    this.params.push(value);
    return '?';
  };

  /** RFC 7644 §3.4.2.2: `emails[type eq "work" and value co "@x"]` — one element matching all of it. */
  private valuePath(node: ValuePathNode, scope: Scope): string {
    if (scope.parent) throw new FilterError(`Value filters cannot be nested ('${node.attrPath}[...]' inside '${scope.parent.name}[...]')`);
    if (this.absent(node.attrPath, scope)) return 'false';
    const target = this.resolve(node.attrPath, scope);
    const a = target.attribute;
    if (a.type !== 'complex' || target.parent) {
      throw new FilterError(`'${node.attrPath}' is not a complex attribute, so it takes no [filter]`);
    }
    if (!a.multiValued) return this.filter(node.valFilter, { alias: scope.alias, parent: a });
    return this.exists(target, (alias) => this.filter(node.valFilter, { alias, parent: a }));
  }

  private comparison(node: Comparison | Suffix, scope: Scope): string {
    const op = node.op as Op;
    if (this.absent(node.attrPath, scope)) return 'false';
    let target = this.resolve(node.attrPath, scope);
    const a = target.attribute;
    if (a.type === 'complex') {
      // RFC 7644 §3.4.2.2: a multi-valued attribute matches when any value matches; for complex
      // ones without a sub-attribute that is `value` (Entra's `members eq "<id>"`).
      const sub = findAttribute(a.subAttributes, 'value');
      if (op === 'pr' && a.multiValued) return this.exists(target, () => 'true');
      if (op === 'pr') return this.anyPresent(target, scope);
      if (!sub) {
        throw new FilterError(`'${node.attrPath}' is a complex attribute; compare one of its sub-attributes, e.g. '${a.name}.${a.subAttributes?.[0]?.name}'`);
      }
      target = { path: `${node.attrPath}.value`, attribute: sub, parent: a };
    }
    const value: Literal = node.op === 'pr' ? null : filterLiteral(target.attribute, op, node.compValue, node.raw, target.parent);
    checkOperand(target.path, target.attribute, op, value);
    if (!scope.parent && target.parent?.multiValued) {
      // Any element matches. `emails.value ne "x"` holds when no element equals "x", and
      // `emails.value eq null` when no element has a value, so those negate the positive form.
      const any = (o: Op, v: Literal) => this.exists(target, (alias) => this.leaf(target, o, v, alias));
      if (op !== 'pr' && value === null) return op === 'eq' ? `not ${any('pr', null)}` : any('pr', null);
      return op === 'ne' ? `not ${any('eq', value)}` : any(op, value);
    }
    return this.leaf(target, op, value, scope.alias);
  }

  private leaf(target: Target, op: Op, value: Literal, alias: string): string {
    const storage = target.attribute.storage;
    if (!storage) throw new FilterError(`attribute '${target.path}' cannot be filtered`);
    return compare(target.attribute, place(storage, alias), op, value, this.push);
  }

  /** `name pr`: some sub-attribute of a singular complex attribute has a value. */
  private anyPresent(target: Target, scope: Scope): string {
    const subs = (target.attribute.subAttributes ?? []).filter((s) => s.storage);
    if (subs.length === 0) throw new FilterError(`attribute '${target.path}' cannot be filtered`);
    const parts = subs.map((s) => this.leaf({ path: `${target.path}.${s.name}`, attribute: s }, 'pr', null, scope.alias));
    return `(${parts.join(' or ')})`;
  }

  /** One row per value of a multi-valued attribute, and a condition on it. */
  private exists(target: Target, condition: (alias: string) => string): string {
    const owner = target.parent ?? target.attribute;
    const storage = owner.storage;
    const n = ++this.aliases;
    const row = this.rowAlias;
    if (storage?.kind === 'members') {
      // Deleted users are invisible to SCIM (schema/user.ts), so they are no group's members.
      const m = `f_m${n}`;
      return `exists (select 1 from memberships ${m} join users ${m}u on ${m}u.id = ${m}.user_id where ${m}.group_id = ${row}.id and ${m}u.state <> 'deleted' and ${condition(m)})`;
    }
    if (storage?.kind === 'groups') {
      const m = `f_m${n}`;
      return `exists (select 1 from memberships ${m} where ${m}.user_id = ${row}.id and ${condition(m)})`;
    }
    const source = arraySource(owner, row);
    if (!source) throw new FilterError(`attribute '${owner.name}' cannot be filtered`);
    const e = `f_e${n}`;
    return `exists (select 1 from jsonb_array_elements(${source}) as ${e}(v) where ${condition(e)})`;
  }

  private resolve(path: string, scope: Scope): Target {
    if (scope.parent) {
      // Inside `emails[...]` names are sub-attributes; `emails.type` is accepted for `type` too.
      const prefix = `${scope.parent.name.toLowerCase()}.`;
      const name = path.toLowerCase().startsWith(prefix) ? path.slice(prefix.length) : path;
      const attribute = findAttribute(scope.parent.subAttributes, name);
      if (!attribute) throw new FilterError(`Unknown attribute '${scope.parent.name}.${path}' in filter`);
      return { path: `${scope.parent.name}.${attribute.name}`, attribute, parent: scope.parent };
    }
    const resolved = resolvePath(this.resourceType, path);
    if (!resolved) throw new FilterError(`Unknown attribute '${path}' in filter`);
    return { path, attribute: resolved.attribute, ...(resolved.parent ? { parent: resolved.parent } : {}) };
  }
}

/** The jsonb array behind a multi-valued attribute; anything but an array reads as empty. */
export function arraySource(attribute: AttributeDef, row: string): string | undefined {
  const storage = attribute.storage;
  let json: string;
  if (storage?.kind === 'jsonArray') json = `${row}.${storage.column}`;
  else if (storage?.kind === 'jsonPath') json = `${row}.${storage.column}->${storage.path.map((k) => `'${k.replaceAll("'", "''")}'`).join('->')}`;
  else return undefined;
  return `case when jsonb_typeof(${json}) = 'array' then ${json} else '[]'::jsonb end`;
}
