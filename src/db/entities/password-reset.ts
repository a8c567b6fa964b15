import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';

/**
 * A one-time password-reset link. Keyed by the normalised email rather than the
 * credential: a person provisioned by SCIM, CSV or an admin sets a first password this way.
 */
export const PasswordResetSchema = defineEntity({
  name: 'PasswordReset',
  tableName: 'password_resets',
  extends: BaseSchema,
  properties: {
    email: p.string().length(320),
    tokenHash: p.string().length(64).unique('password_resets_token_hash_unique'),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    /** "self" or the admin/token label that sent it. */
    requestedBy: p.string().length(320),
  },
  indexes: [{ name: 'password_resets_email_index', properties: ['email'] }],
});

export class PasswordReset extends PasswordResetSchema.class {}
PasswordResetSchema.setClass(PasswordReset);
