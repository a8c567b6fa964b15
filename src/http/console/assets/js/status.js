/** Announces a message in the page's live region (role=status). */
export function announce(message) {
  const region = document.querySelector('[data-status]');
  if (region) region.textContent = message;
}
