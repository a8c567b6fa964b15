import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { validateConnectionName } from '../../directory/saml-connections.ts';
import { NotFoundError } from '../../directory/errors.ts';
import { addEncryptionKey, connectionKeys, MAX_ENCRYPTION_KEYS, removeEncryptionKey, toEncryptionKeyView } from '../../directory/saml-encryption-keys.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const nameParams = z.strictObject({ name: z.string().max(100) });
const keyParams = z.strictObject({ name: z.string().max(100), id: z.string().max(100) });

/**
 * A connection's assertion-encryption keys, under /saml/:name (the default
 * connection is /saml/default/…): the IdP encrypts to the certificate, the
 * ACS decrypts with whichever key it names. Keys belong to a configured
 * connection; an unknown name is 404.
 */
export const samlEncryptionKeyRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/saml/:name/encryption-keys',
      tag: 'SAML',
      summary: "A SAML connection's assertion-encryption keys",
      description: 'Newest first, each with its certificate (PEM, what the IdP admin uploads), its SHA-256 fingerprint and validity. Private keys are never shown.',
      permission: 'settings.manage',
      params: nameParams,
      responses: { 200: { description: '{requireEncryptedAssertions, keys: [{id, createdAt, certificate, fingerprint256, subject, notBefore, notAfter, expiresInDays, expired}]}' } },
    },
    async ({ container, req, res, params }) => {
      const { connection, keys } = await connectionKeys(req.ctx.em, scopeFor(req).orgId, params.name);
      const now = container.clock.now();
      res.json({ requireEncryptedAssertions: connection.requireEncryptedAssertions, keys: keys.map((k) => toEncryptionKeyView(k, now)) });
    },
  ),
  apiRoute(
    {
      method: 'get',
      path: '/saml/:name/encryption-keys/:id/certificate',
      tag: 'SAML',
      summary: "An encryption key's certificate as a file to upload at the IdP",
      description: 'PEM, as a download named after the org and connection (.cer: the file Entra\'s Token encryption and Okta\'s Encryption Certificate take).',
      permission: 'settings.manage',
      params: keyParams,
      responses: { 200: { description: 'The certificate (PEM)', contentType: 'application/x-pem-file' } },
    },
    async ({ req, res, params }) => {
      const scope = scopeFor(req);
      const key = (await connectionKeys(req.ctx.em, scope.orgId, params.name)).keys.find((k) => k.id === params.id);
      if (!key) throw new NotFoundError('SamlEncryptionKey', params.id);
      res.setHeader('Content-Disposition', `attachment; filename="gatehouse-${scope.orgSlug}-${params.name}-encryption-${key.createdAt.toISOString().slice(0, 10)}.cer"`);
      res.type('application/x-pem-file').send(key.certificate);
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/saml/:name/encryption-keys',
      tag: 'SAML',
      summary: 'Add an assertion-encryption key to a SAML connection',
      description: `Gatehouse makes an RSA-2048 key and a self-signed certificate valid for ten years, publishes it in the connection's SP metadata and decrypts assertions encrypted to it from now on. At most ${MAX_ENCRYPTION_KEYS} keys (403 limit_exceeded). Audited as saml.encryption_key_added.`,
      // Which keys the ACS decrypts with decides which assertions it reads: an org admin's, as the connection is.
      permission: 'org_admin',
      params: nameParams,
      responses: { 201: { description: 'The key: {id, createdAt, certificate, fingerprint256, notBefore, notAfter, …}' } },
    },
    async ({ container, req, res, params }) => {
      const view = await addEncryptionKey(req.ctx.em, scopeFor(req), validateConnectionName(params.name), container.clock.now());
      res.status(201).json(view);
    },
  ),
  apiRoute(
    {
      method: 'delete',
      path: '/saml/:name/encryption-keys/:id',
      tag: 'SAML',
      summary: 'Remove an assertion-encryption key',
      description: 'Assertions encrypted to it are refused from then on (reason decryption_failed). 409 conflict for the only key of a connection with requireEncryptedAssertions. Audited as saml.encryption_key_removed.',
      permission: 'org_admin',
      params: keyParams,
      responses: { 204: { description: 'Removed' } },
    },
    async ({ container, req, res, params }) => {
      await removeEncryptionKey(req.ctx.em, scopeFor(req), validateConnectionName(params.name), params.id, container.clock.now());
      res.status(204).end();
    },
  ),
];
