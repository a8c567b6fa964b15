import { escapeHtml } from '../lib/html.ts';

/** The page a person sees when sign-in fails: what to do, and a reference for support. */
export function errorPage(input: { title: string; message: string; requestId: string }): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(input.title)} · Gatehouse</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.message)}</p>
<p style="color: #555">Reference: <code>${escapeHtml(input.requestId)}</code></p>
</body>
</html>
`;
}
