import { scopeFor } from '../context.ts';
import { getOrgSettings, updateOrgSettings } from '../../directory/org-settings.ts';
import { orgSettingsPatch } from '../../directory/org-settings-schema.ts';
import { getLicense } from '../../directory/license.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';

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
      body: orgSettingsPatch,
      bodyValidatedByDomain: true,
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
