import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { SamlConnection } from './saml-connection.ts';
import { User } from './user.ts';

/**
 * An AuthnRequest this org issued. Kept in the database, not in memory, so the
 * instance that receives the Response can check `InResponseTo` whichever
 * instance sent the request; `usedAt` makes each request answerable once, and
 * `browserBinding` only from the browser that asked.
 */
export const SamlRequestSchema = defineEntity({
  name: 'SamlRequest',
  tableName: 'saml_requests',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    connection: () => p.manyToOne(SamlConnection).deleteRule('cascade'),
    requestId: p.string().length(100),
    relayState: p.string().length(2000).nullable(),
    /** SHA-256 (hex) of the nonce in the cookie of the browser the request was issued to (saml/browser-binding.ts). */
    browserBinding: p.string().length(64).nullable(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'saml_requests_org_request_unique', properties: ['org', 'requestId'] }],
});

export class SamlRequest extends SamlRequestSchema.class {}
SamlRequestSchema.setClass(SamlRequest);

/** An assertion ID already accepted by this org, remembered until the assertion expires (replay cache). */
export const SamlAssertionSchema = defineEntity({
  name: 'SamlAssertion',
  tableName: 'saml_assertions',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    assertionId: p.string().length(200),
    expiresAt: p.datetime(),
  },
  uniques: [{ name: 'saml_assertions_org_assertion_unique', properties: ['org', 'assertionId'] }],
  indexes: [{ name: 'saml_assertions_expires_index', properties: ['expiresAt'] }],
});

export class SamlAssertion extends SamlAssertionSchema.class {}
SamlAssertionSchema.setClass(SamlAssertion);

/**
 * The stable link between an IdP subject (NameID) and a user: found first on
 * every login, so a changed email at the IdP does not re-link or duplicate anyone.
 */
export const SsoLinkSchema = defineEntity({
  name: 'SsoLink',
  tableName: 'sso_links',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    connection: () => p.manyToOne(SamlConnection).deleteRule('cascade'),
    user: () => p.manyToOne(User).deleteRule('cascade').index('sso_links_user_index'),
    nameId: p.string().length(1000),
    nameIdFormat: p.string().length(200).nullable(),
    lastLoginAt: p.datetime(),
  },
  uniques: [{ name: 'sso_links_connection_name_id_unique', properties: ['connection', 'nameId'] }],
  indexes: [{ name: 'sso_links_org_user_index', properties: ['org', 'user'] }],
});

export class SsoLink extends SsoLinkSchema.class {}
SsoLinkSchema.setClass(SsoLink);
