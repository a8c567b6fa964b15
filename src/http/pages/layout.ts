import { escapeHtml } from '../../lib/html.ts';

/**
 * The shell of every server-rendered page outside the console (sign-in,
 * invitations, second factor): plain HTML that works without JavaScript, styled
 * by the console's stylesheet, with `lang`, a viewport and a title per page.
 * Every interpolated value goes through `escapeHtml` (or is built from it).
 */
export { escapeHtml };

export function layout(input: { title: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(input.title)} · Gatehouse</title>
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body class="public">
<main id="main">
<p class="brand">Gatehouse</p>
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
