import { escapeHtml } from '../lib/html.ts';

/** The page a person sees when sign-in fails: what to do, and a reference for support. Styled like every page (the console's stylesheet). */
export function errorPage(input: { title: string; message: string; requestId: string; action?: { href: string; label: string } | undefined }): string {
  const action = input.action ? `<p><a href="${escapeHtml(input.action.href)}" class="button">${escapeHtml(input.action.label)}</a></p>\n` : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(input.title)} · Gatehouse</title>
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/console.css"></head>
<body class="public">
<main id="main">
<p class="brand">Gatehouse</p>
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.message)}</p>
${action}<p class="hint">Reference: <code>${escapeHtml(input.requestId)}</code></p>
<p><a href="/console/login">Back to sign-in</a></p>
</main>
</body>
</html>
`;
}
