// Whether the admin edited a field since the page was drawn: the value, tick or choice the markup
// gave it is its default, and a field back at its default is no edit (ticked, then unticked again).
// Read by api-forms.js (data-only-changed sends only edited fields) and drafts.js (keeps only those).

export function isEdited(el) {
  if (el.type === 'checkbox' || el.type === 'radio') return el.checked !== el.defaultChecked;
  if (el.tagName === 'SELECT') {
    if (el.multiple) return [...el.options].some((o) => o.selected !== o.defaultSelected);
    // With no option marked selected, the page showed the first one.
    const drawn = [...el.options].findLast((o) => o.defaultSelected) ?? el.options[0];
    return el.selectedOptions[0] !== drawn;
  }
  return 'defaultValue' in el && el.value !== el.defaultValue;
}
