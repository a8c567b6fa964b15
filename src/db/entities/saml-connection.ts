import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';

export const jitPolicies = ['off', 'link', 'create'] as const;
export type JitPolicy = (typeof jitPolicies)[number];

export const SamlConnectionSchema = defineEntity({
  name: 'SamlConnection',
  tableName: 'saml_connections',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    name: p.string().length(200).default('default'),
    idpEntityId: p.string().length(1000),
    idpSsoUrl: p.string().length(2000),
    /** PEM certificates; several at once during an IdP's certificate rollover. */
    idpCertificates: p.json<string[]>(),
    idpMetadataUrl: p.string().length(2000).nullable(),
    /** The last successful fetch of idpMetadataUrl (saml/metadata-refresh-job.ts, or a manual refresh). */
    metadataRefreshedAt: p.datetime().nullable(),
    /** The last failed fetch's reason and time; cleared by a successful one. */
    metadataError: p.string().length(1000).nullable(),
    metadataErrorAt: p.datetime().nullable(),
    /** An instance's refresh job is fetching it until then: no other instance takes it meanwhile. */
    metadataLeasedUntil: p.datetime().nullable(),
    nameIdFormat: p.string().length(200).nullable(),
    allowIdpInitiated: p.boolean().default(false),
    allowSha1: p.boolean().default(false),
    /** Plain assertions are refused: only ones encrypted to one of the connection's keys (saml_encryption_keys) sign in. */
    requireEncryptedAssertions: p.boolean().default(false),
    jit: p.enum(jitPolicies).default('off'),
    attributeMapping: p.json<Record<string, string>>().default('{}'),
    allowedRedirectUrls: p.json<string[]>().default('[]'),
    version: p.integer().version(),
  },
  uniques: [{ name: 'saml_connections_org_name_unique', properties: ['org', 'name'] }],
});

export class SamlConnection extends SamlConnectionSchema.class {}
SamlConnectionSchema.setClass(SamlConnection);
