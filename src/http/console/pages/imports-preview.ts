import { html, queryString, when, type Html } from '../html.ts';
import type { ConsoleRoute } from '../page.ts';
import { can } from '../viewer.ts';
import type { Permission } from '../../../directory/permissions.ts';
import { importModeLabels } from './imports.ts';
import { actionLabels, rowsTable, type PreviewRow } from './imports-rows.ts';

interface ImportSummary {
  id: string;
  /** The permissions the commit needs besides users.edit (directory/import-needs.ts). */
  commitNeeds?: string[];
  mode: string;
  status: 'previewed' | 'committing' | 'committed';
  fileName: string | null;
  encoding: string;
  delimiter: string;
  options: { noInvite?: boolean; createGroups?: boolean; exceptScim?: boolean };
  columns: { recognised?: Record<string, string>; readOnly?: string[]; unknown?: string[]; duplicates?: string[] };
  counts: Record<string, number>;
  massDisable: { disable: number; enabled: number; threshold: number; needsForce: boolean };
  progress: { processed: number; total: number; applied: number; failed: number } & Record<string, number>;
  createdAt: string;
  createdBy?: string | null;
  committedAt: string | null;
}

const ROWS_PER_PAGE = 200;

function countsList(counts: Record<string, number>): Html {
  const items = [...Object.keys(actionLabels), 'errors'].map(
    (k) => html`<div><dt>${k === 'errors' ? 'With problems' : actionLabels[k]}</dt><dd data-count="${k}">${counts[k] ?? 0}</dd></div>`,
  );
  return html`<dl class="import-counts">${items}</dl>`;
}

function filterTabs(id: string, query: Record<string, string>): Html {
  const views = [{ label: 'All rows' }, ...Object.entries(actionLabels).map(([action, label]) => ({ label, action })), { label: 'With problems', errors: 'true' }];
  const current = (v: { action?: string; errors?: string }) => (v.action ?? '') === (query.action ?? '') && (v.errors ?? '') === (query.errors ?? '');
  return html`<nav aria-label="Rows shown"><ul class="tabs">${views.map(
    (v) => html`<li><a href="/console/imports/${id}${queryString({ action: 'action' in v ? v.action : undefined, errors: 'errors' in v ? v.errors : undefined })}"${current(v) ? html` aria-current="true"` : ''}>${v.label}</a></li>`,
  )}</ul></nav>`;
}

function facts(s: ImportSummary): Html {
  const options = [s.options.noInvite && 'no invitations', s.options.createGroups && 'create missing entry points', s.options.exceptScim && 'except SCIM-provisioned people'].filter(Boolean);
  const columns = Object.values(s.columns.recognised ?? {});
  return html`<dl class="facts">
<dt>Mode</dt><dd>${importModeLabels[s.mode] ?? s.mode}</dd>
<dt>File</dt><dd>${s.fileName ?? '—'} (${s.encoding}, separated by “${s.delimiter}”)</dd>
<dt>Options</dt><dd>${options.length ? options.join(', ') : 'none'}</dd>
<dt>Columns read</dt><dd>${columns.join(', ') || '—'}</dd>
${s.columns.unknown?.length ? html`<dt>Columns ignored</dt><dd>${s.columns.unknown.join(', ')} (not recognised)</dd>` : ''}
${s.columns.duplicates?.length ? html`<dt>Duplicate columns</dt><dd>${s.columns.duplicates.join(', ')} (the first one is used)</dd>` : ''}
<dt>Uploaded</dt><dd>${when(s.createdAt)}${s.createdBy ? ` by ${s.createdBy}` : ''}</dd>
</dl>`;
}

function progressBox(s: ImportSummary, visible: boolean): Html {
  const max = Math.max(s.progress.total, 1);
  const value = s.status === 'committed' ? max : s.progress.processed;
  return html`<div class="import-progress" data-import-progress${visible ? '' : html` hidden`}>
<label for="import-progress-bar">Commit progress</label>
<progress id="import-progress-bar" max="${max}" value="${value}">${value} of ${max}</progress>
<p data-import-progress-text>${s.status === 'previewed' ? '' : `${s.progress.processed} of ${s.progress.total} rows processed`}</p>
</div>`;
}

function commitForm(s: ImportSummary, missing: string[]): Html {
  const committable = (s.counts.create ?? 0) + (s.counts.update ?? 0) + (s.counts.disable ?? 0);
  if (!committable) return html`<p class="notice">No row of this file would change anything: there is nothing to commit.</p>`;
  // Said before any click: the commit would answer 403 naming the first of them.
  if (missing.length) {
    return html`<h2>Commit</h2>
<p class="notice">Committing this import needs the ${missing.join(' and ')} permission${missing.length === 1 ? '' : 's'}, which you do not hold: ask an org admin to commit it, or to grant ${missing.length === 1 ? 'it' : 'them'}.</p>`;
  }
  const resume = s.status === 'committing';
  const force = s.massDisable.needsForce
    ? html`<div class="alert" role="alert"><p>This import disables ${s.massDisable.disable} of ${s.massDisable.enabled} enabled people, more than the organization’s mass-disable threshold (${Math.round(s.massDisable.threshold * 100)}%).</p>
<p>Committing all rows, or selected rows that disable that many, needs your confirmation; rows that disable fewer do not.</p>
<label class="inline"><input type="checkbox" name="force"> I have checked the preview: disable them anyway</label></div>`
    : '';
  return html`<h2>Commit</h2>
<form class="import-commit" data-import-commit="${s.id}">
${force}
${resume
  ? html`<p class="hint">A commit of this import stopped before the end. Resuming applies the rest of the rows it had selected.</p>
<button type="submit" value="all">Resume the commit</button>`
  : html`<p class="hint">Select rows in the table to apply only those, or apply every row that has an action.</p>
<button type="submit" value="selected">Commit selected rows</button>
<button type="submit" value="all" class="secondary">Commit all ${committable} rows</button>`}
</form>
${progressBox(s, resume)}
<div data-import-done hidden><p class="notice">The import is committed. <a href="/console/imports/${s.id}">See the final report</a></p></div>`;
}

function report(s: ImportSummary, base: string): Html {
  const p = s.progress;
  return html`<h2>Final report</h2>
<p>Committed ${when(s.committedAt)}.</p>
${progressBox(s, true)}
<dl class="import-counts">
<div><dt>Applied</dt><dd data-report="applied">${p.applied}</dd></div>
<div><dt>Created</dt><dd data-report="create">${p.create ?? 0}</dd></div>
<div><dt>Updated</dt><dd data-report="update">${p.update ?? 0}</dd></div>
<div><dt>Disabled</dt><dd data-report="disable">${p.disable ?? 0}</dd></div>
<div><dt>Failed</dt><dd data-report="failed">${p.failed}</dd></div>
</dl>
<p><a class="button secondary" href="${base}/imports/${s.id}/report.csv" download>Download the report (CSV: each row’s line, person, action, outcome and problems)</a></p>`;
}

/** /console/imports/:id: the stored preview (counts, rows, problems), the commit with its progress, the final report. */
export const importPreviewRoute: ConsoleRoute = {
  path: '/imports/:id',
  title: 'Import preview',
  section: '/console/imports',
  requirement: 'users.edit',
  wide: true,
  async render({ api, params, query, viewer }) {
    const id = encodeURIComponent(params.id!);
    const summary = await api.get<ImportSummary>(`/imports/${id}`);
    const filters = { action: query.action, errors: query.errors };
    const page = await api.get<{ rows: PreviewRow[]; nextCursor: number | null }>(`/imports/${id}/rows`, { ...filters, cursor: query.cursor, limit: ROWS_PER_PAGE });
    const committed = summary.status === 'committed';
    const next = page.nextCursor ? html`<a href="/console/imports/${summary.id}${queryString({ ...filters, cursor: page.nextCursor })}" rel="next">Next rows</a>` : '';
    const first = query.cursor ? html`<a href="/console/imports/${summary.id}${queryString(filters)}">First rows</a>` : '';
    return {
      title: committed ? 'Import report' : 'Import preview',
      body: html`<p><a href="/console/imports">Upload another file</a></p>
${facts(summary)}
<h2>Rows per action</h2>
${countsList(summary.counts)}
${committed ? report(summary, api.base) : commitForm(summary, (summary.commitNeeds ?? []).filter((p) => !can(viewer, p as Permission)))}
<h2>Rows</h2>
${filterTabs(summary.id, query)}
${rowsTable(page.rows, { selectable: summary.status === 'previewed', outcomes: committed })}
<p class="pager">${first} ${next}</p>`,
    };
  },
};
