// <form data-import-commit="importId">: POST /imports/:id/commit with the selected row numbers (the
// submit button's value "selected") or "all", and while that call runs, polls GET /imports/:id to move
// the <progress> in [data-import-progress] (processed of total, then the managers' pass). When the commit answers, the bar is
// full and [data-import-done] offers the final report.
import { ApiFailure, announce, callApi } from './api.js';
import { showProblems } from './api-forms.js';

const POLL_MS = 400;

function show(box, summary) {
  const bar = box.querySelector('progress');
  const done = summary.status === 'committed';
  const { progress } = summary;
  // After the rows, the Manager column's last pass is a phase of its own (managerPassTotal, managerPassDone).
  const managers = !done && progress.managerPassTotal !== undefined;
  const max = Math.max(managers ? progress.managerPassTotal : progress.total, 1);
  const at = managers ? progress.managerPassDone : progress.processed;
  bar.max = max;
  bar.value = done ? max : Math.min(at, max);
  bar.textContent = `${bar.value} of ${max}`;
  box.querySelector('[data-import-progress-text]').textContent = managers
    ? `All ${progress.total} rows processed; setting managers: ${at} of ${progress.managerPassTotal}`
    : `${progress.processed} of ${progress.total} rows processed`;
}

async function commit(form, event) {
  event.preventDefault();
  const id = form.dataset.importCommit;
  const box = document.querySelector('[data-import-progress]');
  const which = event.submitter?.value ?? 'all';
  const rows = which === 'selected' ? [...document.querySelectorAll('input[name="row"]:checked')].map((el) => Number(el.value)) : 'all';
  if (Array.isArray(rows) && !rows.length) {
    showProblems(form, { problems: [], message: 'Select at least one row, or commit all rows.' });
    return;
  }
  const body = { rows };
  if (form.elements.force) body.force = form.elements.force.checked;
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  box.hidden = false;
  announce('Committing the import…');
  let finished = false;
  const request = callApi('POST', `/imports/${encodeURIComponent(id)}/commit`, body).finally(() => (finished = true));
  const poll = async () => {
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (finished) break;
      try {
        show(box, await callApi('GET', `/imports/${encodeURIComponent(id)}`));
      } catch {
        // A failed poll only delays the bar; the commit's own answer decides.
      }
    }
  };
  try {
    const [summary] = await Promise.all([request, poll()]);
    show(box, summary);
    form.hidden = true;
    document.querySelectorAll('input[name="row"], input[data-select-all]').forEach((el) => (el.disabled = true));
    const failed = summary.progress.failed ? `, ${summary.progress.failed} failed` : '';
    announce(`Import committed: ${summary.progress.applied} rows applied${failed}.`);
    const done = document.querySelector('[data-import-done]');
    if (done) done.hidden = false;
  } catch (error) {
    box.hidden = true;
    announce('');
    showProblems(form, error instanceof ApiFailure ? inConsoleWords(error) : { problems: [], message: `Could not reach Gatehouse: ${error.message}` });
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// The API asks for "force": true; here that is the confirmation box above the buttons.
function inConsoleWords(error) {
  const numbers = error.details?.massDisable;
  if (error.details?.reason !== 'mass_disable_threshold' || !numbers) return error;
  const share = `${numbers.disable} of ${numbers.enabled} enabled people, more than the threshold of ${Math.round(numbers.threshold * 100)}%`;
  return { problems: [], message: `These rows would disable ${share}. Nothing was committed: tick “disable them anyway” to commit them.` };
}

export function wireImportProgress(root) {
  for (const form of root.querySelectorAll('form[data-import-commit]')) form.addEventListener('submit', (event) => commit(form, event));
}
