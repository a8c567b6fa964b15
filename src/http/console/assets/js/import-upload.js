// <form data-import-upload>: sends the chosen file to POST /imports as a text/csv body (the admin API
// takes no multipart), the mode and options in the query string, then opens the preview it answers.
import { ApiFailure, announce, callApi } from './api.js';
import { showProblems } from './api-forms.js';

async function upload(form, event) {
  event.preventDefault();
  const file = form.elements.file.files?.[0];
  if (!file) {
    showProblems(form, { problems: [{ field: 'file', reason: 'choose a CSV file to upload' }], message: '' });
    return;
  }
  const params = new URLSearchParams({ mode: form.querySelector('input[name="mode"]:checked')?.value ?? 'upsert', fileName: file.name.slice(0, 300) });
  for (const name of ['noInvite', 'createGroups', 'exceptScim']) if (form.elements[name].checked) params.set(name, 'true');
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  announce(`Reading ${file.name}…`);
  try {
    // The browser's own type for a .csv varies (text/csv, application/vnd.ms-excel, none): name it.
    const summary = await callApi('POST', `/imports?${params}`, new Blob([file], { type: 'text/csv' }));
    location.assign(`/console/imports/${encodeURIComponent(summary.id)}`);
  } catch (error) {
    announce('');
    showProblems(form, error instanceof ApiFailure ? error : { problems: [], message: `Could not reach Gatehouse: ${error.message}` });
  } finally {
    button.disabled = false;
  }
}

export function wireImportUpload(root) {
  for (const form of root.querySelectorAll('form[data-import-upload]')) form.addEventListener('submit', (event) => upload(form, event));
}
