import { escapeHtml } from '../../lib/html.ts';

/**
 * The shell of every server-rendered page: plain HTML that works without
 * JavaScript or CSS files, with `lang`, a viewport and a title per page.
 * Every interpolated value goes through `escapeHtml` (or is built from it).
 */
export { escapeHtml };

export function layout(input: { title: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(input.title)} · Gatehouse</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input, select { font: inherit; width: 100%; padding: .4rem; box-sizing: border-box; }
button { font: inherit; margin-top: 1.25rem; padding: .5rem 1rem; }
.error { color: #a00; border-left: 4px solid #a00; padding-left: .75rem; }
.hint { color: #444; font-size: .95em; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(input.title)}</h1>
${input.body}
</main>
</body>
</html>
`;
}

/** An alert read out by screen readers when the page loads after a failed submit. */
export function errorBox(messages: string[]): string {
  if (!messages.length) return '';
  const items = messages.map((m) => `<li>${escapeHtml(m)}</li>`).join('');
  return `<div class="error" role="alert"><p>Please check the following:</p><ul>${items}</ul></div>`;
}

export function messagePage(title: string, paragraphs: string[], link?: { href: string; text: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n') + (link ? `\n<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : '');
  return layout({ title, body });
}
