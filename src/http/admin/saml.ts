import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { parseInput } from '../validate.ts';
import { jitPolicies } from '../../db/entities/index.ts';
import {
  DEFAULT_CONNECTION,
  configureSamlConnection,
  expiringCertificates,
  listSamlConnections,
  spEndpoints,
  toConnectionView,
  validateConnectionName,
} from '../../directory/saml-connections.ts';
import { identityFields } from '../../saml/identity.ts';
import { toConnectionInput } from '../../saml/connection-input.ts';

const settingsBody = z.strictObject({
  idpMetadataXml: z.string().min(1).max(1_000_000).optional(),
  idpEntityId: z.string().trim().min(1).max(1000).optional(),
  idpSsoUrl: z.string().trim().min(1).max(2000).optional(),
  idpCertificates: z.array(z.string().min(1).max(20_000)).min(1).max(5, 'at most 5 certificates').optional(),
  idpMetadataUrl: z.string().max(2000).optional(),
  allowIdpInitiated: z.boolean().optional(),
  allowSha1: z.boolean().optional(),
  jit: z.enum(jitPolicies, { error: `must be one of ${jitPolicies.join(', ')}` }).optional(),
  attributeMapping: z.partialRecord(z.enum(identityFields), z.string().min(1).max(500)).optional(),
  allowedRedirectUrls: z.array(z.string().min(1).max(2000)).max(50).optional(),
});

/**
 * /api/orgs/:org/saml (the `default` connection) and /api/orgs/:org/saml/:name.
 * GET answers what the IdP admin must enter, even before the IdP side is known
 * (Entra wants the Identifier and Reply URL before it gives out metadata).
 */
export function samlAdminRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  const { publicUrl } = container.config;
  const nameOf = (req: Request) => validateConnectionName(String(req.params.name ?? DEFAULT_CONNECTION));

  const read = async (req: Request) => {
    const scope = scopeFor(req);
    const name = nameOf(req);
    const now = container.clock.now();
    const all = (await listSamlConnections(req.ctx.em, scope.orgId)).map((c) => toConnectionView(c, scope.orgSlug, publicUrl, now));
    const current = all.find((c) => c.name === name);
    const base = current ? { configured: true, ...current } : { configured: false, name, ...spEndpoints(publicUrl, scope.orgSlug, name), idp: null };
    return { ...base, expiringCertificates: expiringCertificates(all), connections: all.map((c) => c.name) };
  };

  const write = async (req: Request, res: Response) => {
    const scope = scopeFor(req);
    const name = nameOf(req);
    const input = toConnectionInput(parseInput(settingsBody, req.body) as Parameters<typeof toConnectionInput>[0]);
    const { created } = await configureSamlConnection(req.ctx.em, scope, name, input, container.clock.now());
    res.status(created ? 201 : 200).json(await read(req));
  };

  router.get('/', async (req, res) => void res.json(await read(req)));
  router.put('/', write);
  // An unknown name still answers with its SP side, so the IdP app can be created first.
  router.get('/:name', async (req, res) => void res.json(await read(req)));
  router.put('/:name', write);
  return router;
}
