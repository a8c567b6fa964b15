// Entry point pickers: in a <form data-picker data-pick-id="groupId">, each
// <tr data-pick="group id"> holds a checkbox and a role <select> (no names, so
// they are not sent); the form's hidden data-type="json" field holds the list
// [{<pick-id>: id, role}] of the checked rows, ready for api-forms.js.
export function wirePickers(root) {
  for (const form of root.querySelectorAll('form[data-picker]')) {
    const field = form.querySelector('input[type="hidden"][data-type="json"]');
    if (!field) continue;
    const key = form.dataset.pickId || 'id';
    const sync = () => {
      const picked = [...form.querySelectorAll('tr[data-pick]')]
        .filter((row) => row.querySelector('input[type="checkbox"]').checked)
        .map((row) => ({ [key]: row.dataset.pick, role: row.querySelector('select').value }));
      field.value = JSON.stringify(picked);
    };
    for (const row of form.querySelectorAll('tr[data-pick]')) {
      const box = row.querySelector('input[type="checkbox"]');
      // Choosing a role for an entry point means joining it.
      row.querySelector('select').addEventListener('change', () => {
        box.checked = true;
        sync();
      });
      box.addEventListener('change', sync);
    }
    sync();
  }
}
