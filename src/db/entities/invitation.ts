import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { User } from './user.ts';
import { Group } from './group.ts';
import { uuidv7 } from '../../lib/ids.ts';

export const InvitationSchema = defineEntity({
  name: 'Invitation',
  tableName: 'invitations',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    /** The profile created (status pending) when the invitation was issued. */
    user: () => p.manyToOne(User).deleteRule('cascade').index('invitations_user_index'),
    email: p.string().length(320),
    name: p.string().length(300).nullable(),
    message: p.string().length(2000).nullable(),
    invitedById: p.uuid().nullable(),
    invitedByLabel: p.string().length(320),
    tokenHash: p.string().length(64).unique('invitations_token_hash_unique'),
    expiresAt: p.datetime(),
    acceptedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    undeliverableAt: p.datetime().nullable(),
    /**
     * The invitation that replaced this one (the person's address invited again after their deletion):
     * this one can no longer be resent or accepted; the newer one is the person's live invitation.
     */
    supersededBy: p.uuid().nullable(),
    /** The `expiresAt` the expiry job last announced (invitation.expired); a resend moves expiresAt, so it announces again. */
    expiryAnnouncedFor: p.datetime().nullable(),
    plannedMemberships: () => p.oneToMany(InvitationMembership).mappedBy('invitation'),
  },
  indexes: [
    { name: 'invitations_org_email_index', properties: ['org', 'email'] },
    // A person's invitations (the person view's resend/revoke, cascades on delete), whatever their email became.
    { name: 'invitations_org_user_index', properties: ['org', 'user'] },
  ],
});

export class Invitation extends InvitationSchema.class {}
InvitationSchema.setClass(Invitation);

/** A membership the invitee gets when they accept. */
export const InvitationMembershipSchema = defineEntity({
  name: 'InvitationMembership',
  tableName: 'invitation_memberships',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    invitation: () => p.manyToOne(Invitation).deleteRule('cascade'),
    group: () => p.manyToOne(Group).deleteRule('cascade').index('invitation_memberships_group_index'),
    role: p.string().length(100).default('viewer'),
  },
  uniques: [{ name: 'invitation_memberships_unique', properties: ['invitation', 'group'] }],
});

export class InvitationMembership extends InvitationMembershipSchema.class {}
InvitationMembershipSchema.setClass(InvitationMembership);

/**
 * A link a resend replaced (README: it answers 410, not 404 as an unknown one
 * does). Only the SHA-256 of the old token is kept, as for the live one; it
 * goes with its invitation.
 */
export const InvitationReplacedTokenSchema = defineEntity({
  name: 'InvitationReplacedToken',
  tableName: 'invitation_replaced_tokens',
  properties: {
    tokenHash: p.string().length(64).primary(),
    invitation: () => p.manyToOne(Invitation).deleteRule('cascade').index('invitation_replaced_tokens_invitation_index'),
    replacedAt: p.datetime(),
  },
});

export class InvitationReplacedToken extends InvitationReplacedTokenSchema.class {}
InvitationReplacedTokenSchema.setClass(InvitationReplacedToken);
