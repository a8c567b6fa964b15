import { html, type Html } from './html.ts';
import { can, type Viewer } from './viewer.ts';
import type { Requirement } from '../../directory/permissions.ts';

/** The console's sections, in the order of the navigation; each shows only to those who may use it. */
export const sections: ReadonlyArray<{ href: string; label: string; requirement: Requirement | Requirement[] }> = [
  { href: '/console/users', label: 'Users', requirement: null },
  { href: '/console/invite', label: 'Invite people', requirement: 'users.invite' },
  { href: '/console/groups', label: 'Entry points', requirement: null },
  { href: '/console/imports', label: 'Import CSV', requirement: 'users.edit' },
  { href: '/console/exports', label: 'Exports', requirement: ['users.export', 'audit.read'] },
  { href: '/console/sso', label: 'SSO & provisioning', requirement: 'settings.manage' },
  { href: '/console/settings', label: 'Settings', requirement: 'settings.manage' },
  { href: '/console/audit', label: 'Audit', requirement: 'audit.read' },
];

/** The signed-in person's own account page, linked next to their name in every page's header. */
const ACCOUNT_PASSWORD = '/console/account/password';

export function canAny(viewer: Viewer, requirement: Requirement | Requirement[]): boolean {
  return Array.isArray(requirement) ? requirement.some((r) => can(viewer, r)) : can(viewer, requirement);
}

function head(title: string, meta: Html): Html {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${meta}
<title>${title} · Gatehouse</title>
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>`;
}

/**
 * A signed-in page: skip link, header with the org and the person, the
 * sections they may use (the current one marked with aria-current), then the page.
 * `api-base` and `csrf-token` tell the scripts where and how to send changes.
 */
export function consolePage(input: { title: string; viewer: Viewer; active: string; body: Html; wide?: boolean }): string {
  const { viewer } = input;
  const nav = sections
    .filter((s) => canAny(viewer, s.requirement))
    .map((s) => html`<li><a href="${s.href}"${s.href === input.active ? html` aria-current="page"` : ''}>${s.label}</a></li>`);
  const meta = html`<meta name="api-base" content="/api/orgs/${viewer.orgSlug}">
<meta name="csrf-token" content="${viewer.csrf}">`;
  return `<!doctype html>
<html lang="en">
${head(input.title, meta)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="/console">Gatehouse</a> <span class="org">${html`${viewer.orgName}`}</span></p>
<nav aria-label="Sections"><ul>${html`${nav}`}</ul></nav>
<form class="signout" method="post" action="/console/logout">
<span class="who">${html`${viewer.displayName}`}</span>
${html`<a href="${ACCOUNT_PASSWORD}"${input.active === ACCOUNT_PASSWORD ? html` aria-current="page"` : ''}>Change password</a>`}
<button type="submit">Sign out</button>
</form>
</header>
<main id="main" tabindex="-1"${input.wide ? ' class="wide"' : ''}>
<h1>${html`${input.title}`}</h1>
<p class="status" role="status" aria-live="polite" data-status></p>
${input.body}
</main>
<noscript><p class="noscript">Reading works without JavaScript; changes need it switched on.</p></noscript>
</body>
</html>
`;
}

/** Field problems as the admin API names them, for a form's alert box. */
export function problemList(messages: readonly string[]): Html {
  if (!messages.length) return html``;
  return html`<div class="alert" role="alert"><ul>${messages.map((m) => html`<li>${m}</li>`)}</ul></div>`;
}
