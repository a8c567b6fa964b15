import { scopeFor } from '../context.ts';
import { getVersionedOrgSettings, updateOrgSettings } from '../../directory/org-settings.ts';
import { orgSettingsPatch } from '../../directory/org-settings-schema.ts';
import { getLicense } from '../../directory/license.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';
import { ifMatchOf, sendVersioned } from './versioned.ts';

/** GET/PATCH /settings and GET /license. */
export const settingsApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get', path: '/settings', tag: 'Settings', summary: 'The organization’s settings (defaults included)',
      description: 'ETag: their version, for If-Match on PATCH.', permission: null, responses: { 200: { description: 'Every setting' } },
    },
    async ({ req, res }) => {
      const { settings, version } = await inTransaction(req, (tx) => getVersionedOrgSettings(tx, scopeFor(req)));
      sendVersioned(res, 200, settings, version);
    },
  ),
  apiRoute(
    {
      method: 'patch',
      path: '/settings',
      tag: 'Settings',
      summary: 'Change some settings; each bad field is named',
      description: 'If-Match (the ETag GET answers): 412 precondition_failed when any setting changed since; without it, the settings given are applied whatever changed.',
      permission: 'settings.manage',
      body: orgSettingsPatch,
      bodyValidatedByDomain: true,
      responses: { 200: { description: 'Every setting, after the change' } },
    },
    async ({ req, res, body }) => {
      const { settings, version } = await inTransaction(req, (tx) => updateOrgSettings(tx, scopeFor(req), body, { ifMatch: ifMatchOf(req) }));
      sendVersioned(res, 200, settings, version);
    },
  ),
  apiRoute(
    { method: 'get', path: '/license', tag: 'Settings', summary: 'Seats: the limit, how many are active, how many remain', permission: null, responses: { 200: { description: '{seatLimit, active, remaining}' } } },
    async ({ req, res }) => void res.json(await inTransaction(req, (tx) => getLicense(tx, scopeFor(req)))),
  ),
];
