import { html, type Html } from '../html.ts';

/** The body of a page that could not be shown: what happened, in words, and a way on. */
export function errorPage(status: number, message: string): Html {
  const what = status === 403 ? 'You do not have access to this.' : status === 404 ? 'This does not exist (any more).' : status >= 500 ? 'Gatehouse could not answer.' : 'This request could not be completed.';
  return html`<div class="alert" role="alert"><p><strong>${what}</strong></p><p>${message}</p></div>
<p><a href="/console/users">Back to users</a></p>`;
}
