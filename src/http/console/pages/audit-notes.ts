import { html, type Html } from '../html.ts';
import type { ConsoleApi } from '../api-client.ts';

/** Who disabled someone, as the audit details' `disabledBy` (users.disabled_by) says it. */
const disabledByWords: Record<string, string> = {
  admin: 'by an administrator',
  csv: 'by a CSV import',
};

/** The ids of deleted people a SCIM group write named (directory/group-members.ts deletedDetails). */
export function deletedMembersOf(details: Record<string, unknown>): string[] {
  const ids = details.deletedMembersAdded;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

type Named = { id: string; displayName: string | null; email: string | null; userName: string | null };

/**
 * The names of the deleted people the page's entries name: one call, the people list filtered by
 * their ids (status=deleted: the list leaves deleted people out otherwise), and a second only for ids
 * it did not name (restored since). An id without a name (purged, or unreadable) stays an id. At most
 * a page's 50 entries' worth: 200.
 */
export async function deletedMemberNames(api: ConsoleApi, details: Array<Record<string, unknown>>): Promise<Map<string, string>> {
  const ids = [...new Set(details.flatMap(deletedMembersOf))].slice(0, 200);
  const names = new Map<string, string>();
  for (const status of ['deleted', undefined]) {
    const left = ids.filter((id) => !names.has(id));
    if (!left.length) break;
    const page = await api.maybe<{ users: Named[] }>('/users', { ...(status ? { status } : {}), ids: left.join(','), limit: 200 });
    for (const p of page?.users ?? []) {
      const name = p.displayName ?? p.email ?? p.userName;
      if (name) names.set(p.id, name);
    }
  }
  return names;
}

/**
 * What an entry means, in words, where its action or details say more than its changes: a held IdP
 * reactivation (directory/activation-hold.ts), an IdP disable adopting one made here (users.ts
 * saveUser), and a SCIM group write naming members deleted here. Nothing for the others.
 */
export function auditNote(action: string, details: Record<string, unknown>, names: Map<string, string>): Html | null {
  if (action === 'user.activation_held') {
    const by = disabledByWords[String(details.disabledBy)] ?? '';
    return html`<p class="audit-note">The identity provider’s reactivation was not applied: disabled here${by ? ` ${by}` : ''}, they stay disabled until reactivated here.</p>`;
  }
  if (action === 'user.disable_adopted') {
    return html`<p class="audit-note">The identity provider disabled them too: its own reactivation will now apply.</p>`;
  }
  const deleted = deletedMembersOf(details);
  if (!deleted.length) return null;
  const links = deleted.map((id, i) => html`${i ? ', ' : ''}<a href="/console/users/${id}">${names.get(id) ?? id}</a>`);
  return html`<p class="audit-note">Still sent as members by the identity provider, though deleted here (kept hidden until restored): ${links}</p>`;
}
