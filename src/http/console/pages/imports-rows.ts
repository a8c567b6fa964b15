import { html, type Html } from '../html.ts';

export interface RowProblem {
  column: string | null;
  reason: string;
  message?: string;
}

export interface PreviewRow {
  rowNumber: number;
  line: number | null;
  action: string;
  userId: string | null;
  label: string | null;
  changes: Record<string, unknown>;
  errors: RowProblem[];
  /** What the row does not do that the file asks (an Organization Role): shown with its changes. */
  notes?: RowProblem[];
  outcome: string | null;
}

export const actionLabels: Record<string, string> = {
  create: 'Create',
  update: 'Update',
  unchanged: 'Unchanged',
  disable: 'Disable',
  skip: 'Skip',
};

/** The domain's reason codes (directory/import-plan*.ts, import-groups.ts, import-notes.ts, import-commit.ts) in words. */
const reasonText: Record<string, string> = {
  invalid_email: 'is not a valid email address',
  duplicate_in_file: 'repeats an earlier row',
  not_found: 'matches nobody in this organization',
  scim_managed: 'is managed by your identity provider',
  invalid_role: 'names a role this organization does not have',
  unknown_group: 'names an entry point that does not exist',
  missing_required: 'is required',
  no_seats: 'no seat is left',
  user_deleted: 'this person was deleted',
  conflict: 'conflicts with an existing person',
  org_role_not_imported: 'is not changed by an import',
  role_without_groups: 'applies to no group on this row',
  role_named_in_groups: 'is overridden by the role each group on this row names',
};

export function problemText(p: RowProblem): string {
  const where = p.column ? `Column “${p.column}”` : 'Row';
  const reason = reasonText[p.reason] ?? p.reason.replaceAll('_', ' ');
  // The domain's words add to the reason (the limit, the group), unless they are the reason again.
  return `${where}: ${reason}${p.message && p.message !== reason ? ` (${p.message})` : ''}`;
}

const show = (v: unknown) => (v === null || v === undefined || v === '' ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));

/** `{field: {from, to}}` as "field: from → to"; group additions and new entry points as lists. */
function changeItems(changes: Record<string, unknown>): Html[] {
  return Object.entries(changes).map(([field, change]) => {
    if (field === 'groups' && change && typeof change === 'object' && 'add' in change) {
      const { add, roles } = change as { add: string[]; roles?: Record<string, string> };
      return html`<li>entry points: + ${add.map((name) => (roles?.[name] ? `${name} (${roles[name]})` : name)).join(', ')}</li>`;
    }
    if (field === 'createGroups' && Array.isArray(change)) return html`<li>new entry points: ${change.join(', ')}</li>`;
    if (field === 'groupRoles' && change && typeof change === 'object') {
      return html`${Object.entries(change as Record<string, { from: string; to: string }>).map(([group, r]) => html`<li>role in ${group}: ${r.from} → ${r.to}</li>`)}`;
    }
    if (change && typeof change === 'object' && 'to' in change) {
      const c = change as { from?: unknown; to?: unknown };
      return html`<li>${field}: ${show(c.from)} → ${show(c.to)}</li>`;
    }
    return html`<li>${field}: ${show(change)}</li>`;
  });
}

/** Rows a commit applies: an action and no problem (the domain's `committable`). */
export const committable = (row: PreviewRow) => ['create', 'update', 'disable'].includes(row.action) && !row.errors.length;

export function rowsTable(rows: PreviewRow[], options: { selectable: boolean; outcomes: boolean }): Html {
  if (!rows.length) return html`<p class="empty">No rows in this view.</p>`;
  const body = rows.map((r) => {
    const who = r.label ?? `row ${r.rowNumber}`;
    const select = options.selectable
      ? html`<td>${committable(r) ? html`<input type="checkbox" name="row" value="${r.rowNumber}" aria-label="Select line ${r.line ?? '—'} ${who}">` : ''}</td>`
      : '';
    const changes = changeItems(r.changes);
    const notes = (r.notes ?? []).map((p) => html`<li class="import-note">Not applied: ${problemText(p)}</li>`);
    return html`<tr${r.errors.length ? html` class="import-row-error"` : ''}>
${select}<td class="num">${r.line ?? '—'}</td>
<td>${r.userId ? html`<a href="/console/users/${r.userId}">${who}</a>` : who}</td>
<td><span class="badge import-action-${r.action}">${actionLabels[r.action] ?? r.action}</span></td>
<td>${changes.length ? html`<ul class="import-changes">${changes}</ul>` : ''}${notes.length ? html`<ul class="import-notes">${notes}</ul>` : ''}</td>
<td>${r.errors.length ? html`<ul class="import-errors">${r.errors.map((p) => html`<li>${problemText(p)}</li>`)}</ul>` : ''}</td>
${options.outcomes ? html`<td>${r.outcome ?? '—'}</td>` : ''}
</tr>`;
  });
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Rows of the file</caption>
<thead><tr>${options.selectable ? html`<th scope="col"><input type="checkbox" data-select-all="row" aria-label="Select all rows on this page"></th>` : ''}<th scope="col" class="num">Line</th><th scope="col">Person</th><th scope="col">Action</th><th scope="col">Changes</th><th scope="col">Problems</th>${options.outcomes ? html`<th scope="col">Outcome</th>` : ''}</tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}
