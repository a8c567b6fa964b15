// Row selection: <input data-select-all="row"> toggles every checkbox named `row`;
// <a data-export-selected="row"> adds `ids=` of the checked rows to its href
// (the whole current view when nothing is checked).
export function wireSelection(root) {
  for (const all of root.querySelectorAll('input[data-select-all]')) {
    const name = all.dataset.selectAll;
    all.addEventListener('change', () => {
      for (const box of root.querySelectorAll(`input[name="${name}"]`)) box.checked = all.checked;
      root.dispatchEvent(new Event('selection:change'));
    });
  }
  for (const link of root.querySelectorAll('a[data-export-selected]')) {
    const name = link.dataset.exportSelected;
    const base = link.getAttribute('href');
    const label = link.textContent;
    const update = () => {
      const ids = [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((b) => b.value);
      const url = new URL(base, location.origin);
      if (ids.length) url.searchParams.set('ids', ids.join(','));
      link.setAttribute('href', url.pathname + url.search);
      link.textContent = ids.length ? `Export ${ids.length} selected` : label;
    };
    root.addEventListener('change', update);
    root.addEventListener('selection:change', update);
  }
}
