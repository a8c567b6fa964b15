import { html, queryString, when } from '../html.ts';
import type { ImportSummary } from '../../../directory/imports.ts';
import type { ConsoleRoute } from '../page.ts';

/** The three modes of issue 6, in the words admins use for them. */
export const importModeLabels: Record<string, string> = {
  upsert: 'Add or update people',
  disable: 'Disable legacy profiles',
  sync: 'Weekly sync',
};

const modeHints: Record<string, string> = {
  upsert: 'New addresses become people (invited, unless you say otherwise); known people get the file’s values.',
  disable: 'Everyone in the file is disabled. Use it to switch off profiles an SSO move leaves behind.',
  sync: 'Adds and updates like the first mode, and disables people this organization manages who are not in the file.',
};

/**
 * /console/imports: choose a mode and its options, upload the file; the admin
 * API answers a stored preview (nothing applied yet) and the page moves to it.
 * The API takes the file as a text/csv body, which import-upload.js sends.
 */
export const importsRoute: ConsoleRoute = {
  path: '/imports',
  title: 'Import CSV',
  section: '/console/imports',
  requirement: 'users.edit',
  async render({ api, query }) {
    const recent = await api.get<{ imports: ImportSummary[]; nextCursor: string | null }>('/imports', { limit: 20, cursor: query.cursor });
    const modes = Object.entries(importModeLabels).map(
      ([mode, label]) => html`<div class="import-mode">
<label class="inline"><input type="radio" name="mode" value="${mode}"${mode === 'upsert' ? html` checked` : ''} aria-describedby="mode-${mode}-hint"> ${label}</label>
<p class="hint" id="mode-${mode}-hint">${modeHints[mode]}</p>
</div>`,
    );
    return {
      body: html`<p class="hint">Upload a CSV file with a header row (Email, Name, Groups, Role, Status…; the Users export imports back as it is).
You see a preview of every row first; nothing changes until you commit it.</p>
<form class="import-upload" data-import-upload>
<fieldset>
<legend>What should the file do?</legend>
${modes}
</fieldset>
<fieldset>
<legend>Options</legend>
<label class="inline"><input type="checkbox" name="noInvite"> Add new people as active without sending invitations</label>
<label class="inline"><input type="checkbox" name="createGroups"> Create entry points the file names that do not exist yet</label>
<label class="inline"><input type="checkbox" name="exceptScim"> Keep people provisioned by your identity provider (SCIM) out of it</label>
</fieldset>
<label for="import-file">CSV file</label>
<input id="import-file" name="file" type="file" accept=".csv,text/csv" required>
<button type="submit">Upload and preview</button>
</form>
${recentImports(recent.imports, recent.nextCursor)}`,
    };
  },
};

const statusWords: Record<string, string> = { previewed: 'Preview, not committed', committing: 'Committing (or interrupted: open it to resume)', committed: 'Committed' };

/** The org's latest imports, each linking to its preview or report. */
function recentImports(imports: ImportSummary[], nextCursor: string | null) {
  if (!imports.length) return html`<h2>Recent imports</h2><p class="empty">No file has been imported yet.</p>`;
  const rows = imports.map(
    (i) => html`<tr>
<td><a href="/console/imports/${i.id}">${i.fileName ?? 'Untitled file'}</a></td>
<td>${importModeLabels[i.mode] ?? i.mode}</td>
<td>${statusWords[i.status] ?? i.status}</td>
<td class="num">${Object.entries(i.counts).reduce((sum, [action, n]) => (action === 'errors' || action === 'notes' ? sum : sum + n), 0)}</td>
<td>${when(String(i.createdAt))}${i.createdBy ? ` by ${i.createdBy}` : ''}</td>
</tr>`,
  );
  return html`<h2>Recent imports</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">File</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col" class="num">Rows</th><th scope="col">Uploaded</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
${nextCursor ? html`<p class="pager"><a href="/console/imports${queryString({ cursor: nextCursor })}" rel="next">Older imports</a></p>` : ''}`;
}
