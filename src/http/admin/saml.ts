import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { outboundPolicy } from '../../config.ts';
import { deleteSamlConnection } from '../../directory/saml-connection-delete.ts';
import { scopeFor } from '../context.ts';
import { jitPolicies } from '../../db/entities/index.ts';
import {
  DEFAULT_CONNECTION,
  configureSamlConnection,
  expiringCertificates,
  findSamlConnection,
  listSamlConnections,
  spEndpoints,
  toConnectionView,
  validateConnectionName,
} from '../../directory/saml-connections.ts';
import { identityFields } from '../../saml/identity.ts';
import { toConnectionInput } from '../../saml/connection-input.ts';
import { parseFieldsPartly } from '../validate.ts';
import type { FieldProblem } from '../../directory/errors.ts';
import { checkUrlShape } from '../../lib/outbound-url.ts';
import { fetchIdpMetadata } from '../../saml/metadata-url.ts';
import { recordMetadataFetch, refreshSamlConnection } from '../../saml/metadata-refresh.ts';
import { apiRoute, type ApiRoute } from './route.ts';
import { ifMatchOf, sendVersioned } from './versioned.ts';

const settingsBody = z.strictObject({
  idpMetadataXml: z.string().min(1).max(1_000_000).optional(),
  idpEntityId: z.string().trim().min(1).max(1000).optional(),
  idpSsoUrl: z.string().trim().min(1).max(2000).optional(),
  idpCertificates: z.array(z.string().min(1).max(20_000)).min(1).max(5, 'at most 5 certificates').optional(),
  idpMetadataUrl: z.string().max(2000).optional(),
  allowIdpInitiated: z.boolean().optional(),
  allowSha1: z.boolean().optional(),
  requireEncryptedAssertions: z.boolean().optional(),
  jit: z.enum(jitPolicies, { error: `must be one of ${jitPolicies.join(', ')}` }).optional(),
  attributeMapping: z.partialRecord(z.enum(identityFields), z.string().min(1).max(500)).optional(),
  allowedRedirectUrls: z.array(z.string().min(1).max(2000)).max(50).optional(),
});

const nameParams = z.strictObject({ name: z.string().max(100) });

/** What GET answers, even before the IdP side is known (Entra wants the Identifier and Reply URL before it gives out metadata). */
async function read(container: Container, req: Request, name: string) {
  const scope = scopeFor(req);
  const { publicUrl } = container.config;
  const now = container.clock.now();
  const all = (await listSamlConnections(req.ctx.em, scope.orgId)).map((c) => toConnectionView(c, scope.orgSlug, publicUrl, now));
  const current = all.find((c) => c.name === name);
  const base = current ? { configured: true, ...current } : { configured: false, name, ...spEndpoints(publicUrl, scope.orgSlug, name), idp: null };
  // The SCIM base URL goes into the same IdP app (Okta's "Provisioning", Entra's "Tenant URL"); app.ts mounts SCIM there.
  return { ...base, scimBaseUrl: `${publicUrl}/scim/v2`, expiringCertificates: expiringCertificates(all), connections: all.map((c) => c.name) };
}

/**
 * The view, with its version as a weak ETag (as SCIM's resources carry theirs) once the
 * connection exists. Before, no ETag at all: express would hash the body into one that
 * names no version, and an If-Match with it could only be refused. The view also shows what
 * changes without the version (the org's other connections, certificates' days left), so the
 * tag carries a digest of it (W/"3.1a2b…"): an If-None-Match with an older copy is not a 304.
 */
function sendView(res: Response, status: number, view: Awaited<ReturnType<typeof read>>): void {
  if ('version' in view) return sendVersioned(res, status, view, view.version, view);
  res.status(status).type('application/json').end(JSON.stringify(view));
}

/** Writes the connection: If-Match, when given, must name its current version (412 otherwise). */
async function configure(container: Container, req: Request, name: string) {
  const { input, fetched } = await connectionInput(container, req, name);
  const now = container.clock.now();
  const outcome = await configureSamlConnection(req.ctx.em, scopeFor(req), name, input, now, ifMatchOf(req));
  // The metadata just came from the URL: the background refresh counts its interval from here.
  if (fetched) await recordMetadataFetch(req.ctx.em, outcome.connection.id, now, null);
  return outcome;
}

type SettingsBody = Parameters<typeof toConnectionInput>[0];

/**
 * A PUT that gives no IdP side (no metadata, entity ID, SSO URL or
 * certificates) changes only the options of an existing connection: the
 * stored IdP side is kept, so an admin can switch the JIT policy without
 * pasting the certificates again. A new connection still needs its IdP side.
 */
async function withStoredIdp(req: Request, name: string, body: SettingsBody): Promise<SettingsBody> {
  const given = body.idpMetadataXml !== undefined || body.idpEntityId !== undefined || body.idpSsoUrl !== undefined || body.idpCertificates !== undefined;
  if (given) return body;
  const stored = await findSamlConnection(req.ctx.em, scopeFor(req).orgId, name);
  if (!stored) return body;
  return {
    ...body,
    idpEntityId: stored.idpEntityId,
    idpSsoUrl: stored.idpSsoUrl,
    idpCertificates: stored.idpCertificates,
    idpMetadataUrl: body.idpMetadataUrl ?? stored.idpMetadataUrl ?? undefined,
  };
}

/**
 * PUT's body → the connection's input, every problem named in one 400: the fields of a
 * wrong type, the IdP side, and the domain's rules on the rest (connection-input.ts).
 */
async function connectionInput(container: Container, req: Request, name: string) {
  const { value, problems } = parseFieldsPartly(settingsBody, req.body);
  const body = await fromMetadataUrl(container, value as SettingsBody, problems);
  const fetched = body !== value;
  return { input: toConnectionInput(await withStoredIdp(req, name, body), container.clock.now(), problems), fetched };
}

/**
 * An idpMetadataUrl given without metadata XML or the IdP fields is fetched, under the
 * webhooks' SSRF rules, and used as pasted XML would be; a failure is a problem named
 * idpMetadataUrl (and nothing is written). A URL given beside them is only stored, for
 * a later refresh, once it passes the same rules.
 */
async function fromMetadataUrl(container: Container, body: SettingsBody, problems: FieldProblem[]): Promise<SettingsBody> {
  const url = body.idpMetadataUrl;
  if (url === undefined) return body;
  const policy = outboundPolicy(container.config);
  try {
    checkUrlShape(url, policy);
  } catch (error) {
    problems.push({ field: 'idpMetadataUrl', reason: (error as Error).message });
    return body;
  }
  const given = body.idpMetadataXml !== undefined || body.idpEntityId !== undefined || body.idpSsoUrl !== undefined || body.idpCertificates !== undefined;
  if (given) return body;
  const fetched = await fetchIdpMetadata(url, policy);
  if (!fetched.ok) {
    problems.push({ field: 'idpMetadataUrl', reason: fetched.detail });
    return body;
  }
  return { ...body, idpEntityId: fetched.value.entityId, idpSsoUrl: fetched.value.ssoUrl, idpCertificates: fetched.value.certificates };
}

const readResponse = { 200: { description: 'configured, the SP URLs to enter at the IdP, the IdP side when set, expiringCertificates, connections' } };
const writeResponses = { 200: { description: 'The connection, updated' }, 201: { description: 'The connection, created' } };

/**
 * /saml (the `default` connection) and /saml/:name. An unknown name still
 * answers with its SP side, so the IdP app can be created first.
 */
export const samlApiRoutes: ApiRoute[] = [
  apiRoute(
    { method: 'get', path: '/saml', tag: 'SAML', summary: 'The default SAML connection', permission: 'settings.manage', responses: readResponse },
    async ({ container, req, res }) => sendView(res, 200, await read(container, req, DEFAULT_CONNECTION)),
  ),
  apiRoute(
    {
      method: 'put',
      path: '/saml',
      tag: 'SAML',
      summary: 'Configure the default SAML connection (IdP metadata, or entity ID, SSO URL and certificates)',
      // The IdP it trusts may sign in anyone, org admins included: configuring it is an org admin's.
      permission: 'org_admin',
      body: settingsBody,
      // Checked in connectionInput, with the connection's own rules, so one 400 names every bad field.
      bodyValidatedByDomain: true,
      responses: writeResponses,
    },
    async ({ container, req, res }) => {
      const { created } = await configure(container, req, DEFAULT_CONNECTION);
      sendView(res, created ? 201 : 200, await read(container, req, DEFAULT_CONNECTION));
    },
  ),
  apiRoute(
    { method: 'get', path: '/saml/:name', tag: 'SAML', summary: 'A named SAML connection', permission: 'settings.manage', params: nameParams, responses: readResponse },
    async ({ container, req, res, params }) => sendView(res, 200, await read(container, req, validateConnectionName(params.name))),
  ),
  apiRoute(
    {
      method: 'put',
      path: '/saml/:name',
      tag: 'SAML',
      summary: 'Configure a named SAML connection',
      // The IdP it trusts may sign in anyone, org admins included: configuring it is an org admin's.
      permission: 'org_admin',
      params: nameParams,
      body: settingsBody,
      // Checked in connectionInput, with the connection's own rules, so one 400 names every bad field.
      bodyValidatedByDomain: true,
      responses: writeResponses,
    },
    async ({ container, req, res, params }) => {
      const name = validateConnectionName(params.name);
      const { created } = await configure(container, req, name);
      sendView(res, created ? 201 : 200, await read(container, req, name));
    },
  ),
  ...[DEFAULT_CONNECTION, null].map((fixed) =>
    apiRoute(
      {
        method: 'post',
        path: fixed ? '/saml/refresh' : '/saml/:name/refresh',
        tag: 'SAML',
        summary: fixed ? 'Refresh the default SAML connection from its IdP metadata URL' : 'Refresh a named SAML connection from its IdP metadata URL',
        description: 'Fetches idpMetadataUrl again and takes the entity ID, SSO URL and certificates from it, keeping the options; audited as saml.configured when something changed. 400 naming idpMetadataUrl when it is not set or the fetch fails.',
        // It changes which certificates the connection trusts, as a PUT does.
        permission: 'org_admin',
        ...(fixed ? {} : { params: nameParams }),
        responses: { 200: { description: '{changed, certificatesAdded, certificatesRemoved (SHA-256 fingerprints), connection}' } },
      },
      async ({ container, req, res, params }) => {
        const name = fixed ?? validateConnectionName((params as { name: string }).name);
        const scope = scopeFor(req);
        const now = container.clock.now();
        const outcome = await refreshSamlConnection(req.ctx.em, scope, name, outboundPolicy(container.config), now);
        const connection = toConnectionView(outcome.connection, scope.orgSlug, container.config.publicUrl, now);
        // No ETag: this answer is a report of the refresh, not GET's view (whose tag also covers the org's other
        // connections); `connection.version` is the version an If-Match on a later PUT names.
        res.json({ changed: outcome.changed, certificatesAdded: outcome.certificatesAdded, certificatesRemoved: outcome.certificatesRemoved, connection });
      },
    ),
  ),
  ...[DEFAULT_CONNECTION, null].map((fixed) =>
    apiRoute(
      {
        method: 'delete',
        path: fixed ? '/saml' : '/saml/:name',
        tag: 'SAML',
        summary: fixed ? 'Delete the default SAML connection' : 'Delete a named SAML connection',
        description: 'It signs nobody in from then on; its NameID links go, the people stay. 409 for the only connection of an org that enforces single sign-on. If-Match (the ETag of GET): 412 precondition_failed when it changed or went since.',
        permission: 'org_admin',
        ...(fixed ? {} : { params: nameParams }),
        responses: { 200: { description: '{deleted: true, name, linksRemoved}' } },
      },
      async ({ req, res, params }) => {
        const name = fixed ?? (params as { name: string }).name;
        res.json(await deleteSamlConnection(req.ctx.em, scopeFor(req), name, ifMatchOf(req)));
      },
    ),
  ),
];
