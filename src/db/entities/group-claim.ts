import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';
import { User } from './user.ts';

/**
 * The group claims of a person's last SAML sign-in: what IdP group mappings
 * apply to them between sign-ins (a mapping change, its preview).
 */
export const GroupClaimSchema = defineEntity({
  name: 'GroupClaim',
  tableName: 'group_claims',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    groups: p.json<string[]>().default('[]'),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [{ name: 'group_claims_org_index', properties: ['org'] }],
});

export class GroupClaim extends GroupClaimSchema.class {}
GroupClaimSchema.setClass(GroupClaim);
