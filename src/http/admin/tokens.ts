import { Router } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { parseInput } from '../validate.ts';
import { createApiToken, listApiTokens, revokeApiToken, toTokenView } from '../../directory/tokens.ts';
import { tokenScopes } from '../../db/entities/index.ts';

const createBody = z.strictObject({
  scope: z.enum(tokenScopes, { error: `must be one of ${tokenScopes.join(', ')}` }),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
});

/** Token management for scripts: list, create (the secret is shown once), revoke. */
export function tokenRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const tokens = await listApiTokens(req.ctx.em, scopeFor(req));
    res.json({ tokens: tokens.map(toTokenView) });
  });
  router.post('/', async (req, res) => {
    const body = parseInput(createBody, req.body);
    const { token, record } = await createApiToken(req.ctx.em, scopeFor(req), body);
    res.status(201).json({ ...toTokenView(record), token });
  });
  router.delete('/:tokenId', async (req, res) => {
    const record = await revokeApiToken(req.ctx.em, scopeFor(req), String(req.params.tokenId), container.clock.now());
    container.tokenCache.invalidate(record.id);
    res.json(toTokenView(record));
  });
  return router;
}
