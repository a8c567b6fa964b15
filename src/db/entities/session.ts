import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { User } from './user.ts';

export const sessionMethods = ['saml', 'password', 'invitation'] as const;

/** A signed-in device. The cookie holds a random token; only its SHA-256 is stored. */
export const SessionSchema = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    user: () => p.manyToOne(User).deleteRule('cascade').index('sessions_user_index'),
    tokenHash: p.string().length(64).unique('sessions_token_hash_unique'),
    method: p.enum(sessionMethods),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(500).nullable(),
    lastSeenAt: p.datetime(),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ name: 'sessions_org_user_index', properties: ['org', 'user'] }],
});

export class Session extends SessionSchema.class {}
SessionSchema.setClass(Session);
