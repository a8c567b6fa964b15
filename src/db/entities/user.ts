import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';

/** Stored lifecycle state; the public status (pending/expired/…) is derived from it, see directory/status.ts. */
export const userStates = ['invited', 'active', 'disabled', 'deleted'] as const;
export type UserState = (typeof userStates)[number];

export const userSources = ['scim', 'saml-jit', 'invitation', 'csv', 'admin'] as const;
export type UserSource = (typeof userSources)[number];

/**
 * Who disabled a disabled user: the door the disable came through. `admin` (the admin API, the
 * console, the CLI) and `csv` are local disables, which an IdP's routine `active: true` does not
 * undo (directory/users.ts saveUser); `scim` is the IdP's own. null: before this was recorded
 * and not found in the audit trail, treated as the IdP's.
 */
export const disableSources = ['admin', 'csv', 'scim', 'system'] as const;
export type DisableSource = (typeof disableSources)[number];

export const orgRoles = ['org_admin', 'member'] as const;
export type OrgRole = (typeof orgRoles)[number];

export interface MultiValue {
  value?: string;
  type?: string;
  primary?: boolean;
  display?: string;
  [key: string]: unknown;
}

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    userName: p.string().length(320),
    externalId: p.string().length(320).nullable(),
    givenName: p.string().length(200).nullable(),
    familyName: p.string().length(200).nullable(),
    middleName: p.string().length(200).nullable(),
    honorificPrefix: p.string().length(50).nullable(),
    honorificSuffix: p.string().length(50).nullable(),
    displayName: p.string().length(300).nullable(),
    nickName: p.string().length(200).nullable(),
    title: p.string().length(200).nullable(),
    userType: p.string().length(100).nullable(),
    preferredLanguage: p.string().length(50).nullable(),
    locale: p.string().length(50).nullable(),
    timezone: p.string().length(100).nullable(),
    /** Lower-cased primary address: the column sign-in, invitations and CSV look people up by. */
    email: p.string().length(320).nullable(),
    emails: p.json<MultiValue[]>().default('[]'),
    phone: p.string().length(50).nullable(),
    phoneNumbers: p.json<MultiValue[]>().default('[]'),
    department: p.string().length(200).nullable(),
    employeeNumber: p.string().length(100).nullable(),
    costCenter: p.string().length(100).nullable(),
    organization: p.string().length(200).nullable(),
    division: p.string().length(200).nullable(),
    managerId: p.string().length(320).nullable(),
    officeLocation: p.string().length(200).nullable(),
    state: p.enum(userStates).default('active'),
    orgRole: p.enum(orgRoles).default('member'),
    permissions: p.json<string[]>().default('[]'),
    source: p.enum(userSources),
    /** While `state` is `invited`: when the current invitation lapses (pending → expired). */
    inviteExpiresAt: p.datetime().nullable(),
    lastActiveAt: p.datetime().nullable(),
    disabledAt: p.datetime().nullable(),
    disabledBy: p.enum(disableSources).nullable(),
    deletedAt: p.datetime().nullable(),
    /** Set when a deleted user's personal data was purged (30 days after deletion); the row stays as a tombstone. */
    purgedAt: p.datetime().nullable(),
    /** The licence terms the person accepted when they registered from an invitation (config `eula.version`), and when. */
    eulaVersion: p.string().length(50).nullable(),
    eulaAcceptedAt: p.datetime().nullable(),
    /** Every SCIM attribute as last received, so unknown attributes and extensions round-trip. */
    scimAttributes: p.json<Record<string, unknown>>().default('{}'),
    version: p.integer().version(),
  },
  uniques: [
    // Among the org's users who are not deleted: a deleted user's userName is free again at once
    // (an IdP that deletes and re-creates, or a rehire, gets its 201); restoring them while another
    // user holds it is a conflict (directory/people.ts restoreUser).
    {
      name: 'users_org_user_name_unique',
      expression: `create unique index "users_org_user_name_unique" on "users" ("org_id", lower("user_name")) where "state" <> 'deleted'`,
    },
  ],
  indexes: [
    // (org_id, id) of live users: every listing is "this org's users, in id order" (uuidv7 makes
    // that creation order); partial, so pages and counts are index-only scans.
    {
      name: 'users_org_live_id_index',
      expression: `create index "users_org_live_id_index" on "users" ("org_id", "id") where "state" <> 'deleted'`,
    },
    { name: 'users_org_external_id_index', properties: ['org', 'externalId'] },
    { name: 'users_org_email_index', properties: ['org', 'email'] },
    { name: 'users_org_state_index', properties: ['org', 'state'] },
    // The purge job's scan: deleted users by deletion time, across orgs.
    { name: 'users_deleted_at_index', properties: ['deletedAt'] },
  ],
});

export class User extends UserSchema.class {}
UserSchema.setClass(User);
