// <form data-token-secret="box-id" data-api="POST /tokens" data-then="event">:
// the API's answer carries the new token's secret once; this shows it in the
// box with a copy button. It is never stored: a reload shows only its hint.
import { wireCopyButtons } from './copy.js';

function paragraph(text, className) {
  const p = document.createElement('p');
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

export function wireTokenSecrets(root) {
  for (const form of root.querySelectorAll('form[data-token-secret]')) {
    form.addEventListener('api:done', (event) => {
      const answer = event.detail ?? {};
      const box = document.getElementById(form.dataset.tokenSecret);
      if (!box || !answer.token) return;
      const heading = document.createElement('h3');
      heading.textContent = `Token “${answer.name}” created`;
      heading.tabIndex = -1;
      const secret = paragraph(answer.token, 'secret');
      secret.id = `token-secret-${answer.id}`;
      const copy = document.createElement('button');
      copy.dataset.copy = secret.id;
      copy.className = 'secondary';
      copy.textContent = 'Copy the token';
      const done = document.createElement('a');
      done.href = location.pathname;
      done.textContent = 'I have copied it: show the token list';
      box.replaceChildren(
        heading,
        paragraph('Copy it now and paste it into your identity provider. It is shown only once: Gatehouse keeps only a hash.', 'notice'),
        secret,
        copy,
        paragraph(''),
      );
      box.lastChild.append(done);
      box.hidden = false;
      wireCopyButtons(box);
      form.reset();
      heading.focus();
    });
  }
}
