import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { User } from './user.ts';

export const secondFactorKinds = ['totp', 'email', 'sms'] as const;
export const mfaChallengePurposes = ['verify', 'enroll'] as const;
export const mfaCodeChannels = ['email', 'sms'] as const;

/**
 * A second factor of a person. Keyed by the normalised email like the
 * credential: one password serves every org, and so does its second factor.
 * `secret` is the TOTP key (base32); it is never logged nor shown after enrolment.
 */
export const SecondFactorSchema = defineEntity({
  name: 'SecondFactor',
  tableName: 'second_factors',
  extends: BaseSchema,
  properties: {
    email: p.string().length(320),
    kind: p.enum(secondFactorKinds),
    secret: p.string().length(200).nullable(),
    phone: p.string().length(40).nullable(),
    /** Null while being set up: an unconfirmed factor never satisfies a challenge. */
    confirmedAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    /** RFC 6238 §5.2: the last accepted time step; a code of this step or earlier is a replay. */
    lastUsedStep: p.bigint('number').nullable(),
  },
  indexes: [{ name: 'second_factors_email_index', properties: ['email'] }],
});

export class SecondFactor extends SecondFactorSchema.class {}
SecondFactorSchema.setClass(SecondFactor);

/** One-time recovery codes of a person (SHA-256 only), issued ten at a time at enrolment. */
export const RecoveryCodeSchema = defineEntity({
  name: 'RecoveryCode',
  tableName: 'recovery_codes',
  extends: BaseSchema,
  properties: {
    email: p.string().length(320),
    codeHash: p.string().length(64),
    usedAt: p.datetime().nullable(),
  },
  indexes: [{ name: 'recovery_codes_email_index', properties: ['email'] }],
});

export class RecoveryCode extends RecoveryCodeSchema.class {}
RecoveryCodeSchema.setClass(RecoveryCode);

/**
 * The step between a proven password and a session: a random token (only its
 * SHA-256 is stored) naming the person, the org and the profile that will be
 * signed in. Wrong codes count in `attempts`; the fifth ends it. An email/SMS
 * code sent for it lives on the row (hash, channel, expiry).
 */
export const MfaChallengeSchema = defineEntity({
  name: 'MfaChallenge',
  tableName: 'mfa_challenges',
  extends: BaseSchema,
  properties: {
    tokenHash: p.string().length(64).unique('mfa_challenges_token_hash_unique'),
    email: p.string().length(320),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    user: () => p.manyToOne(User).deleteRule('cascade').index('mfa_challenges_user_index'),
    purpose: p.enum(mfaChallengePurposes),
    expiresAt: p.datetime(),
    attempts: p.integer().default(0),
    completedAt: p.datetime().nullable(),
    /** Enrolment: the factor being set up (confirmed by the next right code). */
    pendingFactor: () => p.manyToOne(SecondFactor).deleteRule('set null').nullable(),
    codeHash: p.string().length(64).nullable(),
    codeChannel: p.enum(mfaCodeChannels).nullable(),
    codeExpiresAt: p.datetime().nullable(),
    codeSentAt: p.datetime().nullable(),
  },
});

export class MfaChallenge extends MfaChallengeSchema.class {}
MfaChallengeSchema.setClass(MfaChallenge);

export type SecondFactorKind = (typeof secondFactorKinds)[number];
export type MfaChallengePurpose = (typeof mfaChallengePurposes)[number];
export type MfaCodeChannel = (typeof mfaCodeChannels)[number];
