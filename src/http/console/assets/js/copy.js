// <button data-copy="element-id"> copies that element's text and says so.
import { announce } from './api.js';

export function wireCopyButtons(root) {
  for (const button of root.querySelectorAll('button[data-copy]')) {
    button.type = 'button';
    button.addEventListener('click', async () => {
      const text = document.getElementById(button.dataset.copy)?.textContent ?? '';
      try {
        await navigator.clipboard.writeText(text.trim());
        announce('Copied to the clipboard.');
      } catch {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById(button.dataset.copy));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        announce('Selected: press Ctrl+C (⌘C) to copy.');
      }
    });
  }
}
