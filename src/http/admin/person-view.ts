import type { PersonRecord } from '../../directory/people.ts';
import { userStatus, type UserStatus } from '../../directory/status.ts';

/** A user as the admin API shows it (CONVENTIONS 6: the one place that knows both shapes). */
export interface PersonView {
  id: string;
  userName: string;
  email: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  middleName: string | null;
  nickName: string | null;
  status: UserStatus;
  source: string;
  orgRole: string;
  department: string | null;
  officeLocation: string | null;
  title: string | null;
  phone: string | null;
  division: string | null;
  organization: string | null;
  costCenter: string | null;
  employeeNumber: string | null;
  preferredLanguage: string | null;
  locale: string | null;
  timezone: string | null;
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
    email: user.email,
    displayName: user.displayName,
    givenName: user.givenName,
    familyName: user.familyName,
    middleName: user.middleName,
    nickName: user.nickName,
    status: userStatus(user, now),
    source: user.source,
    orgRole: user.orgRole,
    department: user.department,
    officeLocation: user.officeLocation,
    title: user.title,
    phone: user.phone,
    division: user.division,
    organization: user.organization,
    costCenter: user.costCenter,
    employeeNumber: user.employeeNumber,
    preferredLanguage: user.preferredLanguage,
    locale: user.locale,
    timezone: user.timezone,
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
