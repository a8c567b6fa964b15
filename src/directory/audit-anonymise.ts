import type { Em } from '../db/orm.ts';

/**
 * The one write to existing audit rows (the trail is append-only, issue 7, and
 * a database trigger refuses anything else): when a deleted user is purged
 * after 30 days, the events by or about them keep what happened (ids, action,
 * time, the names of changed fields) and lose who they were. Labels become
 * `purged user <id>`, as does any detail value that is one of their names,
 * addresses or numbers; other email addresses in those details are removed too;
 * changed fields keep their names but not their values; the IP address and
 * browser of their own requests are dropped.
 */
export interface PurgedPerson {
  orgId: string;
  userId: string;
  /** userName, emails, names, phone numbers… as they were before the purge. */
  personalValues: string[];
}

export function purgedLabel(userId: string): string {
  return `purged user ${userId}`;
}

export const REMOVED_EMAIL = '[email removed]';
const EMAIL = /[^\s@<>"',;]+@[^\s@<>"',;]+\.[^\s@<>"',;]+/g;
const CHUNK = 500;

interface EventRow {
  id: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  details: unknown;
}

/** Anonymises every audit event by or about these people (each in its own org). */
export async function anonymiseAuditEvents(tx: Em, people: PurgedPerson[]): Promise<number> {
  let updated = 0;
  for (const person of people) {
    const rows = (await tx.execute(
      `select id, actor_type, actor_id, target_type, target_id, details from audit_events
       where org_id = ? and ((target_type = 'user' and target_id = ?) or (actor_type = 'user' and actor_id = ?)) order by id`,
      [person.orgId, person.userId, person.userId],
    )) as EventRow[];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const records = rows.slice(i, i + CHUNK).map((row) => anonymisedRow(row, person));
      await tx.execute(
        `update audit_events a set
           actor_label = case when v.by_them then v.label else a.actor_label end,
           target_label = case when v.about_them then v.label else a.target_label end,
           details = v.details,
           ip = case when v.by_them then null else a.ip end,
           user_agent = case when v.by_them then null else a.user_agent end
         from jsonb_to_recordset(?::jsonb) as v(id bigint, by_them boolean, about_them boolean, label text, details jsonb)
         where a.org_id = ? and a.id = v.id`,
        [JSON.stringify(records), person.orgId],
      );
      updated += records.length;
    }
  }
  return updated;
}

function anonymisedRow(row: EventRow, person: PurgedPerson) {
  const details = typeof row.details === 'string' ? (JSON.parse(row.details) as unknown) : (row.details ?? {});
  const aboutThem = row.target_type === 'user' && row.target_id === person.userId;
  return {
    id: String(row.id),
    by_them: row.actor_type === 'user' && row.actor_id === person.userId,
    about_them: aboutThem,
    label: purgedLabel(person.userId),
    details: anonymiseDetails(details, person, { aboutThem }),
  };
}

/**
 * Details with the person's data replaced. In an event about them, `changes`
 * keeps each field's name while its before/after values (their old title,
 * phone…) become the placeholder; in an event by them about something else (a
 * group they renamed), the change stays and only their own data goes.
 */
export function anonymiseDetails(details: unknown, person: Pick<PurgedPerson, 'userId' | 'personalValues'>, options: { aboutThem: boolean }): unknown {
  const placeholder = purgedLabel(person.userId);
  const personal = new Set(person.personalValues.filter((v) => v.trim().length > 1).map((v) => v.trim().toLowerCase()));
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (personal.has(value.trim().toLowerCase())) return placeholder;
      return value.replace(EMAIL, (email) => (personal.has(email.toLowerCase()) ? placeholder : REMOVED_EMAIL));
    }
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  if (!details || typeof details !== 'object' || Array.isArray(details)) return scrub(details);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    out[key] = options.aboutThem && key === 'changes' && value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).map((field) => [field, { from: placeholder, to: placeholder }]))
      : scrub(value);
  }
  return out;
}
