// The SSO page's IdP forms. <input type="file" data-metadata-file="textarea-id">
// reads the chosen metadata file into that textarea (the API takes the XML as
// JSON, not a multipart upload); <textarea data-certificate-for="hidden-id">
// keeps that hidden field the one-certificate JSON list the API expects, since
// a PEM's own line breaks would split a plain list field.
import { announce } from './api.js';

export function wireSsoMetadata(root) {
  for (const input of root.querySelectorAll('input[type="file"][data-metadata-file]')) {
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      const target = document.getElementById(input.dataset.metadataFile);
      if (!file || !target) return;
      target.value = await file.text();
      announce(`Read ${file.name}: check it below, then save.`);
    });
  }
  for (const area of root.querySelectorAll('textarea[data-certificate-for]')) {
    const hidden = document.getElementById(area.dataset.certificateFor);
    const sync = () => {
      if (hidden) hidden.value = JSON.stringify(area.value.trim() ? [area.value.trim()] : []);
    };
    area.addEventListener('input', sync);
    sync();
  }
}
