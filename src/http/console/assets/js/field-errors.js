// A refused field's reason printed next to it, as the server-drawn forms do (account-password.ts):
// a `.field-error` right after the input, named first in its aria-describedby, so a screen reader
// reads it with the field, and the eye finds it there rather than only in the form's summary.
// api-forms.js adds them on a 4xx and takes them away before the next answer is shown.

const ERROR_CLASS = 'field-error';

function describedBy(field) {
  return (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
}

/** `reasons`: Map of field element → the reasons to print at it. */
export function showFieldErrors(form, reasons) {
  clearFieldErrors(form);
  for (const [field, lines] of reasons) {
    const error = document.createElement('p');
    error.className = ERROR_CLASS;
    error.id = `field-error-${field.id || field.name}`;
    error.textContent = lines.join('; ');
    // A box's label holds it (label.inline): the reason goes after the label, not inside it.
    const anchor = field.type === 'checkbox' || field.type === 'radio' ? (field.closest('label') ?? field) : field;
    anchor.after(error);
    field.setAttribute('aria-describedby', [error.id, ...describedBy(field)].join(' '));
  }
}

export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll(`.${ERROR_CLASS}`)) {
    const field = [...form.elements].find((el) => describedBy(el).includes(error.id));
    const rest = field ? describedBy(field).filter((id) => id !== error.id) : [];
    if (field && rest.length) field.setAttribute('aria-describedby', rest.join(' '));
    else field?.removeAttribute('aria-describedby');
    error.remove();
  }
}
