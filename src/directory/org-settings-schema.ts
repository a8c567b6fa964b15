import { z } from 'zod';

/**
 * The rules of each org setting, declared once as zod schemas: org-settings.ts
 * validates PATCH bodies and stored values with them, and the admin API's
 * OpenAPI document can describe the body from the same `orgSettingsPatch`.
 * Each failure names the field (`passwordPolicy.minLength`, `roles.1`).
 */

function wholeNumber(min: number, max: number) {
  const reason = `must be a whole number from ${min} to ${max}`;
  return z.number({ error: reason }).int(reason).min(min, reason).max(max, reason);
}

const ROLE = /^[a-z][a-z0-9_-]{0,49}$/;

function isRedirectUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // Plain http only for local development; anything else must be https.
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return (url.protocol === 'https:' || (url.protocol === 'http:' && local)) && !url.username && !url.password && !url.hash;
}

const booleanSetting = z.boolean({ error: 'must be true or false' });

const passwordPolicy = z.strictObject(
  {
    minLength: wholeNumber(8, 128).describe('Shortest password allowed'),
    requireClasses: wholeNumber(0, 4).describe('How many of lower case, upper case, digits, symbols a password needs'),
  },
  { error: 'must be an object with minLength and requireClasses' },
);

const rolesReason = 'must be a list of 1 to 50 role names';
const roleReason = 'must be a lower-case name (letters, digits, _ or -, at most 50)';
const urlsReason = 'must be a list of at most 50 URLs';
const urlReason = 'must be an absolute https URL without credentials or fragment (http only for localhost)';
const thresholdReason = 'must be a number greater than 0 and at most 1';
const rpsReason = 'must be a number greater than 0 and at most 100000';
const domainsReason = 'must be a list of at most 50 email domains';
const domainReason = 'must be an email domain such as example.com (no @, no scheme)';

/** A DNS name of at least two labels, lower case: what follows the @ of a work email. */
const EMAIL_DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** Every setting's full value (what GET answers and what a stored value must satisfy). */
export const orgSettingFields = {
  seatLimit: wholeNumber(0, 10_000_000).nullable().describe('Active users allowed at once; null = unlimited. Pending invitees hold no seat'),
  invitationTtlDays: wholeNumber(1, 90).describe('Days an invitation stays valid'),
  sessionCap: wholeNumber(1, 100).describe('Live sessions per person; the oldest ends first'),
  ssoEnforced: booleanSetting.describe('Only SAML sign-in for this org'),
  requireTwoFactor: booleanSetting.describe('Password sign-in needs a second factor (SSO sign-ins are exempt: the IdP does MFA)'),
  passwordPolicy,
  roles: z
    .array(z.string({ error: roleReason }).regex(ROLE, roleReason), { error: rolesReason })
    .min(1, rolesReason)
    .max(50, rolesReason)
    .refine((roles) => new Set(roles).size === roles.length, 'must not repeat a role')
    .describe('Membership roles; a role in use by a membership cannot be removed'),
  allowedRedirectUrls: z
    .array(z.string({ error: urlReason }).max(2000, urlReason).refine(isRedirectUrl, urlReason), { error: urlsReason })
    .max(50, urlsReason)
    .describe('RelayState URLs a SAML sign-in may return to'),
  ssoDomains: z
    .array(z.string({ error: domainReason }).trim().toLowerCase().regex(EMAIL_DOMAIN, domainReason), { error: domainsReason })
    .max(50, domainsReason)
    .refine((domains) => new Set(domains).size === domains.length, 'must not repeat a domain')
    .describe('Email domains whose people “Sign in with SSO” (by work email) sends to this org’s SAML sign-in. Read-only here: the server operator sets them (gatehouse org sso-domains) once the org has shown it owns them; PATCH refuses the field'),
  massDisableThreshold: z
    .number({ error: thresholdReason })
    .gt(0, thresholdReason)
    .max(1, thresholdReason)
    .describe('Share of enabled users a CSV import or a bulk disable may disable before it needs force'),
  scimRateLimit: z
    .strictObject(
      {
        requestsPerSecond: z.number({ error: rpsReason }).gt(0, rpsReason).max(100_000, rpsReason),
        burst: wholeNumber(1, 1_000_000),
      },
      { error: 'must be {requestsPerSecond, burst}, or null for the server default' },
    )
    .nullable()
    .describe('This org’s SCIM request budget (token bucket); null = the server default (SCIM_RATE_LIMIT_RPS/BURST)'),
};

/**
 * PATCH /settings: any subset of the settings, unknown keys refused.
 * `passwordPolicy` may be given in part; the other part keeps its value.
 */
export const orgSettingsPatch = z
  .strictObject({ ...orgSettingFields, passwordPolicy: passwordPolicy.partial() })
  .partial();

export type OrgSettingsPatch = z.infer<typeof orgSettingsPatch>;
