// <form data-confirm-text="ann@x.test">: the typed confirmation is checked
// before anything is sent, with a message that says what to type. The admin
// API checks it again (DELETE /users/:id refuses a wrong confirmEmail).
// A capture listener runs before api-forms.js's submit handler and stops it.
// The users table's "Delete…" links to the page's #delete: that disclosure opens
// with its field focused (a fragment naming a closed <details> leaves it shut).
export function wireTypedConfirmations(root) {
  const linked = location.hash.length > 1 ? root.getElementById?.(decodeURIComponent(location.hash.slice(1))) : null;
  if (linked?.tagName === 'DETAILS' && linked.querySelector('form[data-confirm-text]')) {
    linked.open = true;
    // After the load: scrolling to the fragment moves focus to the viewport, which would undo it.
    const focus = () => linked.querySelector('input[data-confirm-input]')?.focus();
    if (document.readyState === 'complete') focus();
    else window.addEventListener('load', () => setTimeout(focus), { once: true });
  }
  for (const form of root.querySelectorAll('form[data-confirm-text]')) {
    const expected = form.dataset.confirmText;
    const input = form.querySelector('input[data-confirm-input]');
    if (!input) continue;
    form.addEventListener(
      'submit',
      (event) => {
        form.querySelector('[data-confirm-error]')?.remove();
        if (input.value.trim().toLowerCase() === expected.toLowerCase()) {
          input.removeAttribute('aria-invalid');
          return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        const box = document.createElement('p');
        box.className = 'alert';
        box.id = `${input.id}-error`;
        box.setAttribute('role', 'alert');
        box.dataset.confirmError = '';
        box.textContent = `That is not ${expected}. Type the address exactly as shown to confirm; nothing was deleted.`;
        input.before(box);
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', `${box.id} ${input.dataset.hint ?? ''}`.trim());
        input.focus();
      },
      { capture: true },
    );
  }
}
