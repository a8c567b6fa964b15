import { Router } from 'express';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { getOrgSettings, updateOrgSettings } from '../../directory/org-settings.ts';
import { getLicense } from '../../directory/license.ts';
import { inTransaction } from './in-transaction.ts';

/** GET/PATCH /settings (validated by the domain, which names each bad field) and GET /license. */
export function settingsRoutes(_container: Container): Router {
  const router = Router({ mergeParams: true });
  router.get('/settings', async (req, res) => {
    res.json(await inTransaction(req, (tx) => getOrgSettings(tx, scopeFor(req))));
  });
  router.patch('/settings', async (req, res) => {
    const { settings } = await inTransaction(req, (tx) => updateOrgSettings(tx, scopeFor(req), req.body));
    res.json(settings);
  });
  router.get('/license', async (req, res) => {
    res.json(await inTransaction(req, (tx) => getLicense(tx, scopeFor(req))));
  });
  return router;
}
