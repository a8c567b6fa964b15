import { executeHot, type SqlRunner } from '../db/bound-query.ts';
import { isUuid } from '../lib/ids.ts';
import { jsonEqual } from '../lib/equal.ts';
import { changedKeys } from './audit-changes.ts';
import { ValidationError, type FieldProblem } from './errors.ts';
import type { Scope } from './scope.ts';
import { primaryEmail, primaryPhone, userFieldColumns, type UserFields } from './user-record.ts';

/**
 * A profile's fields as every write path checks and compares them: the column
 * lengths, the required userName, the manager rule, and which fields a write
 * changes (with their before and after for the audit trail).
 */

export const userFieldMaxLength: Readonly<Partial<Record<keyof UserFields, number>>> = {
  userName: 320, externalId: 320, givenName: 200, familyName: 200, middleName: 200, honorificPrefix: 50,
  honorificSuffix: 50, displayName: 300, nickName: 200, title: 200, userType: 100, preferredLanguage: 50,
  locale: 50, timezone: 100, department: 200, employeeNumber: 100, costCenter: 100, organization: 200,
  division: 200, managerId: 320, officeLocation: 200,
};

const maxLengthEntries = Object.entries(userFieldMaxLength) as Array<[keyof UserFields, number]>;

/** The profile's number (the `phone` column, primaryPhone of phoneNumbers) holds at most this many characters. */
export const PHONE_MAX_LENGTH = 50;

/** The profile's address (the `email` column, primaryEmail of emails) holds at most this many characters. */
export const EMAIL_MAX_LENGTH = 320;

/**
 * The text fields longer than their column allows, with the limit: the one
 * length rule of every write path (validateUserFields below, and the CSV
 * preview, which flags a row the commit would refuse).
 */
export function overLongFields(fields: UserFields): Array<{ field: keyof UserFields | 'phone'; limit: number }> {
  const found: Array<{ field: keyof UserFields | 'phone'; limit: number }> = [];
  for (const [field, limit] of maxLengthEntries) {
    const value = fields[field];
    if (typeof value === 'string' && value.length > limit) found.push({ field, limit });
  }
  const phone = Array.isArray(fields.phoneNumbers) ? primaryPhone(fields.phoneNumbers) : null;
  if (phone !== null && phone.length > PHONE_MAX_LENGTH) found.push({ field: 'phone', limit: PHONE_MAX_LENGTH });
  // An IdP's address of any length reached the varchar(320) column as a 500; measured as stored (lower-cased).
  const email = Array.isArray(fields.emails) ? primaryEmail(fields.emails) : null;
  if (email !== null && email.length > EMAIL_MAX_LENGTH) found.push({ field: 'emails', limit: EMAIL_MAX_LENGTH });
  return found;
}

/** No text field of a profile allows fewer characters than this: a value no longer cannot be too long anywhere. */
export const SHORTEST_FIELD_LIMIT = Math.min(...Object.values(userFieldMaxLength), PHONE_MAX_LENGTH, EMAIL_MAX_LENGTH);

export function validateUserFields(fields: UserFields): UserFields {
  const problems: FieldProblem[] = [];
  const userName = typeof fields.userName === 'string' ? fields.userName.trim() : '';
  if (!userName) problems.push({ field: 'userName', reason: 'is required' });
  for (const field of Object.keys(userFieldMaxLength) as Array<keyof UserFields>) {
    const value = fields[field];
    if (value !== null && typeof value !== 'string') problems.push({ field, reason: 'must be a string' });
  }
  for (const field of ['emails', 'phoneNumbers'] as const) {
    if (!Array.isArray(fields[field])) problems.push({ field, reason: 'must be a list' });
  }
  for (const { field, limit } of overLongFields(fields)) problems.push({ field, reason: `must be at most ${limit} characters` });
  if (problems.length) throw new ValidationError(problems);
  // An empty manager is none: Entra clears the enterprise manager by sending an empty value.
  const managerId = typeof fields.managerId === 'string' && fields.managerId.trim() === '' ? null : fields.managerId;
  return { ...fields, userName, managerId };
}

/**
 * The manager (the enterprise extension's `manager.value`, RFC 7643 §4.3: "the id of the SCIM
 * resource representing the User's manager") must be a user of this org who is not deleted:
 * Entra sends the id Gatehouse gave the manager, provisioned first. Anything else (an id of
 * another org, a deleted user, a directory's own reference) is refused, with the same words
 * for another org's user as for an id nobody has; nor the user themself. Callers check it when the manager changes,
 * so a PUT that repeats a manager deleted since still applies.
 */
export async function assertManager(sql: SqlRunner, scope: Pick<Scope, 'orgId'>, managerId: string, userId?: string): Promise<void> {
  if (managerId === userId) {
    throw ValidationError.field('managerId', `${JSON.stringify(managerId)} is this user; a person cannot be their own manager (send an empty value for no manager)`);
  }
  const rows = isUuid(managerId)
    ? await executeHot(sql, 'select state from users where org_id = ? and id = ?', [scope.orgId, managerId], { prepare: true })
    : [];
  if (rows[0] && rows[0].state !== 'deleted') return;
  const reason = rows[0]
    ? `${JSON.stringify(managerId)} is a deleted user; name a user who is not deleted, or send an empty value for no manager`
    : `${JSON.stringify(managerId)} is not the id of a user of this organization; send the id Gatehouse returned for the manager, or an empty value for no manager`;
  throw ValidationError.field('managerId', reason);
}

/** The fields that differ between the stored user and the wanted one. */
export function changedFields(current: UserFields, next: UserFields): Array<keyof UserFields> {
  return userFieldColumns.map(([field]) => field).filter((field) => !jsonEqual(current[field], next[field]));
}

/**
 * Each changed field before and after (the audit trail's "what changed").
 * The raw SCIM attributes can be large: only their changed top-level keys.
 */
export function describeChanges(current: UserFields, next: UserFields, fields: Array<keyof UserFields>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    out[field] = field === 'scimAttributes' ? changedKeys(current.scimAttributes, next.scimAttributes) : { from: current[field], to: next[field] };
  }
  return out;
}
