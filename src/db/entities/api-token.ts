import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';

export const tokenScopes = ['scim', 'admin'] as const;
export type TokenScope = (typeof tokenScopes)[number];

/** A bearer token for an IdP (scope scim) or a script (scope admin). Only the SHA-256 is stored. */
export const ApiTokenSchema = defineEntity({
  name: 'ApiToken',
  tableName: 'api_tokens',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    name: p.string().length(200),
    scope: p.enum(tokenScopes),
    tokenHash: p.string().length(64).unique('api_tokens_token_hash_unique'),
    hint: p.string().length(40),
    permissions: p.json<string[]>().default('[]'),
    createdBy: p.string().length(320),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ name: 'api_tokens_org_index', properties: ['org'] }],
});

export class ApiToken extends ApiTokenSchema.class {}
ApiTokenSchema.setClass(ApiToken);
