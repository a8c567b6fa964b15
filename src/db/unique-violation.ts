import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** Constraint name → the field an API caller knows it by. */
const fieldByConstraint: Record<string, string> = {
  organizations_slug_unique: 'slug',
  users_org_user_name_unique: 'userName',
  groups_org_display_name_unique: 'displayName',
  credentials_email_unique: 'email',
  saml_connections_org_name_unique: 'name',
  memberships_group_user_unique: 'members',
  invitation_memberships_unique: 'groups',
};

/**
 * CONVENTIONS 8: the database enforces uniqueness; this is the one place that
 * turns its violation into the field that was not unique (or undefined).
 */
export function uniqueViolationField(error: unknown): string | undefined {
  if (!(error instanceof UniqueConstraintViolationException)) return undefined;
  const text = `${error.message} ${(error as { constraint?: string }).constraint ?? ''}`;
  for (const [constraint, field] of Object.entries(fieldByConstraint)) {
    if (text.includes(constraint)) return field;
  }
  return 'id';
}
