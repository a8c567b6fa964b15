import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { getOrgSettings, updateOrgSettings } from '../../directory/org-settings.ts';
import { getLicense } from '../../directory/license.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';

/**
 * The PATCH body for the OpenAPI document. The domain (org-settings.ts) owns the
 * rules (ranges, role names, redirect URLs, unknown keys) and names each bad
 * field; this schema only checks shapes, and lets keys it does not list through
 * so the domain's own refusal ("is not a recognised setting") still answers.
 */
const settingsBody = z.looseObject({
  seatLimit: z.number().nullable().optional().describe('Active users allowed at once (0 to 10,000,000); null = unlimited'),
  invitationTtlDays: z.number().optional().describe('Days an invitation stays valid (1 to 90)'),
  sessionCap: z.number().optional().describe('Live sessions per person (1 to 100); the oldest ends first'),
  ssoEnforced: z.boolean().optional().describe('Only SAML sign-in for this org'),
  requireTwoFactor: z.boolean().optional().describe('Password sign-in needs a second factor'),
  passwordPolicy: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('{minLength (8 to 128), requireClasses (0 to 4)}; either part may be given alone'),
  roles: z.array(z.unknown()).optional().describe('Membership roles: 1 to 50 lower-case names'),
  allowedRedirectUrls: z.array(z.unknown()).optional().describe('RelayState URLs allowed after SAML sign-in (https; http only for localhost)'),
  massDisableThreshold: z.number().optional().describe('Share of enabled users (0 < x ≤ 1) a sync or disable import may disable without force'),
});

/** GET/PATCH /settings and GET /license. */
export const settingsApiRoutes: ApiRoute[] = [
  apiRoute(
    { method: 'get', path: '/settings', tag: 'Settings', summary: 'The organization’s settings (defaults included)', permission: null, responses: { 200: { description: 'Every setting' } } },
    async ({ req, res }) => void res.json(await inTransaction(req, (tx) => getOrgSettings(tx, scopeFor(req)))),
  ),
  apiRoute(
    {
      method: 'patch',
      path: '/settings',
      tag: 'Settings',
      summary: 'Change some settings; each bad field is named',
      permission: 'settings.manage',
      body: settingsBody,
      responses: { 200: { description: 'Every setting, after the change' } },
    },
    async ({ req, res, body }) => {
      const { settings } = await inTransaction(req, (tx) => updateOrgSettings(tx, scopeFor(req), body));
      res.json(settings);
    },
  ),
  apiRoute(
    { method: 'get', path: '/license', tag: 'Settings', summary: 'Seats: the limit, how many are active, how many remain', permission: null, responses: { 200: { description: '{seatLimit, active, remaining}' } } },
    async ({ req, res }) => void res.json(await inTransaction(req, (tx) => getLicense(tx, scopeFor(req)))),
  ),
];
