import type { MultiValue } from '../../db/entities/index.ts';
import { isEnabled } from '../../directory/lifecycle.ts';
import type { PersonRecord } from '../../directory/people.ts';
import { userStatus, type UserStatus } from '../../directory/status.ts';

/**
 * A user as the admin API shows it (CONVENTIONS 6: the one place that knows both shapes).
 * Every key of the change feed's user resource (gatehouse_user_json), by the same name and
 * value, plus invitationId: a consumer that resyncs from GET /users maps both with one mapping.
 */
export interface PersonView {
  id: string;
  userName: string;
  /** What only an IdP gives, read-only here: SCIM's externalId, emails, phoneNumbers, userType, name.honorific*. */
  externalId: string | null;
  email: string | null;
  emails: MultiValue[];
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  middleName: string | null;
  nickName: string | null;
  honorificPrefix: string | null;
  honorificSuffix: string | null;
  userType: string | null;
  status: UserStatus;
  /** SCIM's `active`: true unless disabled or deleted (a pending or expired invitee is active). */
  active: boolean;
  source: string;
  orgRole: string;
  department: string | null;
  officeLocation: string | null;
  title: string | null;
  phone: string | null;
  phoneNumbers: MultiValue[];
  division: string | null;
  organization: string | null;
  costCenter: string | null;
  employeeNumber: string | null;
  preferredLanguage: string | null;
  locale: string | null;
  timezone: string | null;
  /** The manager's id as the IdP gave it, kept while that manager is deleted. */
  managerId: string | null;
  /** The manager as SCIM shows them (its enterprise manager): null when none, or deleted. */
  manager: { id: string; displayName: string | null } | null;
  createdAt: string;
  updatedAt: string;
  lastActiveAt: string | null;
  disabledAt: string | null;
  /**
   * Who disabled them (`admin`, `csv`, `scim`, `system`; null when not known). `admin` and `csv` are
   * disables made here: the IdP's `active: true` does not undo them, only a reactivation here does.
   */
  disabledBy: 'admin' | 'csv' | 'scim' | 'system' | null;
  deletedAt: string | null;
  purgedAt: string | null;
  groups: Array<{ id: string; displayName: string; role: string }>;
  /** For pending and expired people: the invitation to resend or revoke (POST /invitations/:id/…). */
  invitationId: string | null;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toPersonView(user: PersonRecord, now: Date): PersonView {
  return {
    id: user.id,
    userName: user.userName,
    externalId: user.externalId,
    email: user.email,
    emails: user.emails,
    displayName: user.displayName,
    givenName: user.givenName,
    familyName: user.familyName,
    middleName: user.middleName,
    nickName: user.nickName,
    honorificPrefix: user.honorificPrefix,
    honorificSuffix: user.honorificSuffix,
    userType: user.userType,
    status: userStatus(user, now),
    active: isEnabled(user.state),
    source: user.source,
    orgRole: user.orgRole,
    department: user.department,
    officeLocation: user.officeLocation,
    title: user.title,
    phone: user.phone,
    phoneNumbers: user.phoneNumbers,
    division: user.division,
    organization: user.organization,
    costCenter: user.costCenter,
    employeeNumber: user.employeeNumber,
    preferredLanguage: user.preferredLanguage,
    locale: user.locale,
    timezone: user.timezone,
    managerId: user.managerId,
    manager: user.manager ? { id: user.manager.id, displayName: user.manager.displayName } : null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    lastActiveAt: iso(user.lastActiveAt),
    disabledAt: iso(user.disabledAt),
    disabledBy: user.disabledBy,
    deletedAt: iso(user.deletedAt),
    purgedAt: iso(user.purgedAt),
    groups: user.groups.map((g) => ({ id: g.id, displayName: g.displayName, role: g.role })),
    invitationId: user.invitationId,
  };
}
