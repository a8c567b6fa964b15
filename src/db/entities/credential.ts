import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';

/** One password per person across orgs, keyed by the normalised (lower-cased, trimmed) email. */
export const CredentialSchema = defineEntity({
  name: 'Credential',
  tableName: 'credentials',
  extends: BaseSchema,
  properties: {
    email: p.string().length(320).unique('credentials_email_unique'),
    passwordHash: p.string().length(500),
    passwordChangedAt: p.datetime(),
    failedAttempts: p.integer().default(0),
    lockedUntil: p.datetime().nullable(),
  },
});

export class Credential extends CredentialSchema.class {}
CredentialSchema.setClass(Credential);
