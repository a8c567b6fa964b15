import type { MultiValue } from '../../db/entities/index.ts';
import { isEnabled } from '../../directory/lifecycle.ts';
import type { UserFields, UserRecord } from '../../directory/user-record.ts';
import { emptyUserFields } from '../../directory/user-record.ts';
import { etagOf } from '../../lib/etag.ts';
import { enterpriseUserSchemaId } from '../schema/enterprise-user.ts';
import { userSchemaId } from '../schema/user.ts';
import { rawExtensionUrns } from './schemas.ts';

type Json = Record<string, unknown>;

export interface MapContext {
  /** Absolute base of the SCIM surface, e.g. https://id.example.com/scim/v2 */
  baseUrl: string;
}

/** name.* sub-attribute ↔ column-backed field. */
const nameParts = [
  ['givenName', 'givenName'],
  ['familyName', 'familyName'],
  ['middleName', 'middleName'],
  ['honorificPrefix', 'honorificPrefix'],
  ['honorificSuffix', 'honorificSuffix'],
] as const;

/** Core attributes held in columns; everything else in the body is kept raw in scimAttributes. */
const scalarCore = ['externalId', 'displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'] as const;
const enterpriseScalars = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

function compact(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== null && v !== undefined));
}

function isEmpty(object: Json): boolean {
  for (const _ in object) return false;
  return true;
}

/**
 * Raw sub-attributes overlaid with column values, nulls dropped. Written as
 * plain loops: every listed user goes through here (a page renders 100), so
 * the entries/fromEntries arrays the general form allocates were a visible
 * share of a page's CPU. With no raw keys (the usual case) no key can move.
 */
function overlay(raw: Json | undefined, columns: ReadonlyArray<readonly [string, unknown]>): Json {
  if (raw && !isEmpty(raw)) return compact({ ...raw, ...Object.fromEntries(columns) });
  const out: Json = {};
  for (const [key, value] of columns) if (value !== null && value !== undefined) out[key] = value;
  return out;
}

export interface MapOptions {
  /**
   * The resource a PATCH applies to: a manager reads leave out (deleted) is kept as `{value}`,
   * so operations that leave the manager alone keep the pointer, and a `remove` clears it.
   */
  patchBase?: boolean;
}

/**
 * RFC 7643 §4.3: `value` as the IdP gave it, `$ref` the manager's location, `displayName` the
 * manager's own (readOnly, filled in here). A manager who is deleted, or not of this org, is left
 * out (user.manager is null: directory/user-record.ts managerSql).
 */
function managerOf(user: UserRecord, raw: Json | undefined, ctx: MapContext, options: MapOptions): Json | undefined {
  if (!user.managerId || (!user.manager && !options.patchBase)) return undefined;
  const shown = user.manager ? { $ref: `${ctx.baseUrl}/Users/${user.managerId}`, displayName: user.manager.displayName } : {};
  return compact({ ...(raw ?? {}), value: user.managerId, ...shown });
}

/** CONVENTIONS 6: the only place that knows both a stored user and its SCIM shape (RFC 7643 §4.1, §4.3). */
/**
 * The user's ETag (and meta.version): the row version, and a digest of what the resource shows
 * from other rows — the manager named (by id and name, or none while deleted) and the groups'
 * ids and names — so a renamed, deleted or restored manager, or a group joined, left or renamed,
 * gives a new tag without the user's row changing (etag.ts).
 */
export function userEtag(user: UserRecord): string {
  const groups = user.groups?.length ? user.groups.map((g) => [g.id, g.displayName]) : undefined;
  if (user.managerId === null && !groups) return etagOf(user.version);
  return etagOf(user.version, [user.managerId === null ? null : (user.manager && [user.manager.id, user.manager.displayName]), groups ?? null]);
}

export function toUserResource(user: UserRecord, ctx: MapContext, options: MapOptions = {}): Json {
  const raw = user.scimAttributes ?? {};
  const name = overlay(raw.name as Json | undefined, nameParts.map(([sub, field]) => [sub, user[field]] as const));
  const rawEnterprise = raw[enterpriseUserSchemaId] as Json | undefined;
  const manager = managerOf(user, rawEnterprise?.manager as Json | undefined, ctx, options);
  const enterprise = overlay(rawEnterprise, [...enterpriseScalars.map((k) => [k, user[k]] as const), ['manager', manager] as const]);
  const hasEnterprise = !isEmpty(enterprise);
  // RFC 7643 §3: the core schema, the enterprise one when present, then each custom extension kept raw.
  const custom = rawExtensionUrns(raw, userSchemaId, enterpriseUserSchemaId);
  const schemas = hasEnterprise ? [userSchemaId, enterpriseUserSchemaId] : [userSchemaId];
  const resource: Json = { schemas: custom.length ? [...schemas, ...custom] : schemas, id: user.id };
  for (const key of scalarCore) {
    const value = user[key];
    if (value !== null && value !== undefined) resource[key] = value;
  }
  resource.userName = user.userName;
  if (!isEmpty(name)) resource.name = name;
  resource.active = isEnabled(user.state);
  if (user.emails.length) resource.emails = user.emails;
  if (user.phoneNumbers.length) resource.phoneNumbers = user.phoneNumbers;
  // The raw rest (addresses, roles, unknown attributes…), as a spread would place it
  // (defineProperty for a stored "__proto__" key, which an assignment would not copy).
  for (const key in raw) {
    if (key === 'name' || key === enterpriseUserSchemaId) continue;
    if (key === '__proto__') Object.defineProperty(resource, key, { value: raw[key], enumerable: true, writable: true, configurable: true });
    else resource[key] = raw[key];
  }
  if (user.groups) {
    const groups: Json[] = new Array(user.groups.length);
    for (let i = 0; i < user.groups.length; i++) {
      const g = user.groups[i]!;
      groups[i] = { value: g.id, $ref: `${ctx.baseUrl}/Groups/${g.id}`, display: g.displayName, type: 'direct' };
    }
    resource.groups = groups;
  }
  if (hasEnterprise) resource[enterpriseUserSchemaId] = enterprise;
  resource.meta = {
    resourceType: 'User',
    created: user.createdAt.toISOString(),
    lastModified: user.updatedAt.toISOString(),
    location: `${ctx.baseUrl}/Users/${user.id}`,
    version: userEtag(user),
  };
  return resource;
}

export interface UserInput {
  fields: UserFields;
  /** undefined when the body did not say (a PUT without `active` must not deactivate). */
  active: boolean | undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * A canonical SCIM user (see resource-input.ts) → domain fields. Column-backed
 * attributes go to columns; the rest (addresses, photos, roles, unknown
 * attributes and extensions) is kept in scimAttributes. `password` is accepted
 * and dropped: Okta sends it even with password sync off, and Gatehouse keeps
 * one credential per person that an IdP must not overwrite.
 */
export function fromUserResource(resource: Json): UserInput {
  const fields = emptyUserFields(text(resource.userName) ?? '');
  const rest: Json = {};
  for (const [key, value] of Object.entries(resource)) {
    switch (key) {
      case 'schemas':
      case 'userName':
      case 'active':
      case 'password':
      case 'id':
      case 'meta':
      case 'groups':
        break;
      case 'name': {
        const name = { ...(value as Json) };
        for (const [sub, field] of nameParts) {
          fields[field] = text(name[sub]);
          delete name[sub];
        }
        if (Object.keys(name).length) rest.name = name;
        break;
      }
      case 'emails':
        fields.emails = value as MultiValue[];
        break;
      case 'phoneNumbers':
        fields.phoneNumbers = value as MultiValue[];
        break;
      case enterpriseUserSchemaId: {
        const ext = { ...(value as Json) };
        for (const k of enterpriseScalars) {
          fields[k] = text(ext[k]);
          delete ext[k];
        }
        const manager = ext.manager as Json | undefined;
        delete ext.manager;
        if (manager) {
          fields.managerId = text(manager.value);
          const { value: _v, displayName: _d, $ref: _r, ...more } = manager;
          if (Object.keys(more).length) ext.manager = more;
        }
        if (Object.keys(ext).length) rest[enterpriseUserSchemaId] = ext;
        break;
      }
      default:
        if ((scalarCore as readonly string[]).includes(key)) (fields as unknown as Json)[key] = text(value);
        else rest[key] = value;
    }
  }
  fields.scimAttributes = rest;
  return { fields, active: typeof resource.active === 'boolean' ? resource.active : undefined };
}
