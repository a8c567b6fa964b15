import { html, options, type Html } from '../html.ts';
import type { ConsoleRoute } from '../page.ts';

/** GET /settings (org-settings-schema.ts): every setting, defaults included. */
interface Settings {
  seatLimit: number | null;
  invitationTtlDays: number;
  sessionCap: number;
  ssoEnforced: boolean;
  requireTwoFactor: boolean;
  passwordPolicy: { minLength: number; requireClasses: number };
  roles: string[];
  ssoDomains: string[];
  massDisableThreshold: number;
}

interface License {
  seatLimit: number | null;
  active: number;
  remaining: number | null;
}

/**
 * One form per group, each a PATCH /settings of the fields the admin edited
 * (data-only-changed: a PATCH changes what it names), so saving never
 * overwrites another admin's change made meanwhile, to this group or another.
 * The API validates; its problems name the field and api-forms.js shows them
 * in the form's alert.
 */
function group(id: string, title: string, fields: Html): Html {
  return html`<section aria-labelledby="${id}-heading">
<h2 id="${id}-heading">${title}</h2>
<form id="${id}-form" data-api="PATCH /settings" data-only-changed data-then="reload" data-success="${title}: saved." aria-labelledby="${id}-heading">
${fields}
<button type="submit" aria-label="Save ${title.toLowerCase()}">Save</button>
</form>
</section>`;
}

function numberField(id: string, name: string, label: string, value: number | null, hint: string, step = '1'): Html {
  return html`<label for="${id}">${label}</label>
<input id="${id}" name="${name}" type="number" step="${step}" inputmode="${step === '1' ? 'numeric' : 'decimal'}" data-type="int" value="${value ?? ''}" aria-describedby="${id}-hint">
<p id="${id}-hint" class="hint">${hint}</p>`;
}

function checkbox(name: string, label: string, checked: boolean, hint: string): Html {
  return html`<label class="inline"><input type="checkbox" name="${name}" data-type="bool" aria-describedby="${name}-hint"${checked ? html` checked` : ''}> ${label}</label>
<p id="${name}-hint" class="hint">${hint}</p>`;
}

function seats(settings: Settings, license: License | null): Html {
  const used = license ? license.active : null;
  const bought = settings.seatLimit;
  const summary = bought === null ? html`${used ?? '?'} used, no limit` : html`${used ?? '?'} used of ${bought}`;
  const full = bought !== null && used !== null && used >= bought;
  return html`<p class="seats${full ? ' full' : ''}"><strong>Seats:</strong> ${summary}${full ? html` — <span class="badge badge-expired">full: new people cannot be activated</span>` : ''}</p>`;
}

const classChoices = [0, 1, 2, 3, 4].map((n) => ({ value: String(n), label: n === 0 ? 'No requirement' : `${n} of: lower case, upper case, digits, symbols` }));

export const settingsRoute: ConsoleRoute = {
  path: '/settings',
  title: 'Settings',
  section: '/console/settings',
  requirement: 'settings.manage',
  async render({ api }) {
    const [settings, license] = await Promise.all([api.get<Settings>('/settings'), api.maybe<License>('/license')]);
    const signIn = group(
      'sign-in',
      'Sign-in',
      html`${checkbox('ssoEnforced', 'Single sign-on only (SSO enforced)', settings.ssoEnforced, 'People sign in through your identity provider; Gatehouse passwords stop working. Set up single sign-on (SSO & provisioning) first: until a connection exists this is refused.')}
${checkbox('requireTwoFactor', 'Require a second factor for password sign-in', settings.requireTwoFactor, 'Single sign-on is exempt: your identity provider does its own MFA.')}
<h3 id="sso-domains">Email domains for “Sign in with SSO”</h3>
<p aria-labelledby="sso-domains">${settings.ssoDomains.length ? settings.ssoDomains.join(', ') : 'None yet.'}</p>
<p class="hint">People who enter a work email at one of these domains on the sign-in page go to your identity provider. Ask the Gatehouse operator to add a domain: they check that your organization owns it first, so no one else can claim it.</p>
${numberField('session-cap', 'sessionCap', 'Devices signed in at once, per person (session cap)', settings.sessionCap, 'From 1 to 100; signing in on one more device ends the oldest session.')}`,
    );
    const passwords = group(
      'password-policy',
      'Password policy',
      html`${numberField('min-length', 'passwordPolicy.minLength', 'Shortest password', settings.passwordPolicy.minLength, 'From 8 to 128 characters.')}
<label for="require-classes">Kinds of characters required</label>
<select id="require-classes" name="passwordPolicy.requireClasses" data-type="int">${options(classChoices, String(settings.passwordPolicy.requireClasses))}</select>`,
    );
    const invitations = group(
      'invitations',
      'Invitations and seats',
      html`${seats(settings, license)}
${numberField('invitation-ttl', 'invitationTtlDays', 'Invitation lifetime (days)', settings.invitationTtlDays, 'From 1 to 90 days; an invitation not accepted by then expires.')}
${numberField('seat-limit', 'seatLimit', 'Seats bought', settings.seatLimit, 'Active people allowed at once; leave empty for no limit. Pending invitations hold no seat.')}`,
    );
    const roles = group(
      'roles',
      'Roles',
      html`<label for="roles">Roles a member can have in an entry point (one a line)</label>
<textarea id="roles" name="roles" data-type="list" aria-describedby="roles-hint">${settings.roles.join('\n')}</textarea>
<p id="roles-hint" class="hint">Lower-case names (letters, digits, _ or -). A role that memberships use cannot be removed.</p>`,
    );
    const safety = group(
      'safety',
      'Safety',
      numberField(
        'mass-disable',
        'massDisableThreshold',
        'Mass-disable threshold (share of enabled people)',
        settings.massDisableThreshold,
        'A number above 0 and at most 1 (0.2 = 20%): a CSV import, or disabling selected people on the People page (or in bulk through the API), that would disable more people than this share is held until someone confirms it (force). Disabling selected people always asks first.',
        '0.01',
      ),
    );
    return { body: html`${signIn}${passwords}${invitations}${roles}${safety}` };
  },
};
