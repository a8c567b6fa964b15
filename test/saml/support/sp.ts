import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import type { Container } from '../../../src/container.ts';
import { createUser } from '../../../src/directory/users.ts';
import { emptyUserFields, type UserRecord } from '../../../src/directory/user-record.ts';
import type { UserSource } from '../../../src/db/entities/index.ts';
import { testActor, type SeededOrg } from '../../support/app.ts';
import { buildResponse, encode, IDP_ENTITY_ID, IDP_SSO_URL, idpKey, readAuthnRequest, sign, type ResponseOptions, type SignOptions } from './idp.ts';

export const PUBLIC_URL = 'https://gatehouse.test';

export function endpointsOf(slug: string, connection?: string) {
  const base = connection ? `${PUBLIC_URL}/saml/${slug}/${connection}` : `${PUBLIC_URL}/saml/${slug}`;
  return { spEntityId: base, acsUrl: `${base}/acs`, acsPath: `${base.slice(PUBLIC_URL.length)}/acs`, loginPath: `${base.slice(PUBLIC_URL.length)}/login` };
}

/** Configures the org's SAML connection through the admin API, as an admin would. */
export async function configureSaml(app: Express, org: SeededOrg, settings: Record<string, unknown> = {}, connection?: string) {
  const res = await request(app)
    .put(`/api/orgs/${org.slug}/saml${connection ? `/${connection}` : ''}`)
    .set('Authorization', `Bearer ${org.tokens.admin}`)
    .send({ idpEntityId: IDP_ENTITY_ID, idpSsoUrl: IDP_SSO_URL, idpCertificates: [idpKey.cert], ...settings });
  assert.ok(res.status === 200 || res.status === 201, JSON.stringify(res.body));
  return res.body;
}

export async function seedUser(
  container: Container,
  org: SeededOrg,
  userName: string,
  options: { source?: UserSource; externalId?: string; active?: boolean; givenName?: string; email?: string } = {},
): Promise<UserRecord> {
  const fields = emptyUserFields(userName);
  fields.emails = [{ value: options.email ?? userName, type: 'work', primary: true }];
  fields.externalId = options.externalId ?? null;
  fields.givenName = options.givenName ?? 'Original';
  return createUser(container.fork(), { orgId: org.id, orgSlug: org.slug, actor: testActor }, fields, {
    source: options.source ?? 'scim',
    ...(options.active === false ? { active: false } : {}),
  });
}

/** A signed Response for the org's connection; `sign: false` leaves it unsigned. */
export function responseFor(
  slug: string,
  options: Partial<ResponseOptions> & { signed?: 'assertion' | 'response' | 'both' | false; signing?: SignOptions; connection?: string } = {},
): string {
  const ep = endpointsOf(slug, options.connection);
  let xml = buildResponse({ audience: ep.spEntityId, acsUrl: ep.acsUrl, ...options });
  const signed = options.signed ?? 'assertion';
  if (signed === 'assertion' || signed === 'both') xml = sign(xml, 'assertion', options.signing);
  if (signed === 'response' || signed === 'both') xml = sign(xml, 'response', options.signing);
  return xml;
}

/** `cookie`: the browser's Cookie header (the binding cookie `startSpLogin` got, for an SP-initiated response). */
export function postAcs(app: Express, slug: string, xmlOrBase64: string, extra: { relayState?: string; json?: boolean; raw?: boolean; connection?: string; cookie?: string } = {}) {
  const body: Record<string, string> = { SAMLResponse: extra.raw ? xmlOrBase64 : encode(xmlOrBase64) };
  if (extra.relayState) body.RelayState = extra.relayState;
  const req = request(app).post(endpointsOf(slug, extra.connection).acsPath).type('form').send(body);
  if (extra.cookie) req.set('Cookie', extra.cookie);
  return extra.json ? req.set('Accept', 'application/json') : req;
}

/**
 * A browser starting an SP-initiated sign-in: GET …/login, as a person's browser does. Returns the
 * AuthnRequest it was redirected with, and the browser-binding cookie it was given (`name=value`,
 * to send back with the response to the ACS) with its Set-Cookie header as sent.
 */
export async function startSpLogin(app: Express, slug: string, options: { connection?: string; relayState?: string } = {}) {
  const login = request(app).get(endpointsOf(slug, options.connection).loginPath);
  if (options.relayState) login.query({ RelayState: options.relayState });
  const res = await login.expect(302);
  const authn = readAuthnRequest(res.headers.location!);
  const setCookie = ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).find((c) => c.includes('gatehouse_saml.'));
  return { ...authn, setCookie, cookie: setCookie?.split(';')[0] };
}

export function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'] as string[] | undefined;
  assert.ok(header?.length, 'expected a Set-Cookie header');
  return header[0]!.split(';')[0]!;
}
