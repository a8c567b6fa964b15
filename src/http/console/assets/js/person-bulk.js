// <form data-bulk-report data-then="event">: the answer of a bulk change
// ({done, failed, results}) is said in words after the page reloads, with the
// reason of each failure, so nobody takes "done" for "all done".
const FLASH = 'gatehouse.flash';

function report(answer) {
  const done = answer?.done ?? 0;
  const failed = (answer?.results ?? []).filter((r) => !r.done);
  const head = `Disabled ${done} ${done === 1 ? 'person' : 'people'}.`;
  if (!failed.length) return head;
  const reasons = [...new Set(failed.map((r) => r.message ?? r.reason))].slice(0, 3).join(' ');
  return `${head} ${failed.length} could not be disabled: ${reasons}`;
}

export function wireBulkReports(root) {
  for (const form of root.querySelectorAll('form[data-bulk-report]')) {
    form.addEventListener('api:done', (event) => {
      sessionStorage.setItem(FLASH, report(event.detail));
      location.reload();
    });
  }
}
