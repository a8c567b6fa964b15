import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';
import { User, userSources } from './user.ts';
import { Group } from './group.ts';
import { uuidv7 } from '../../lib/ids.ts';

export const MembershipSchema = defineEntity({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    group: () => p.manyToOne(Group).deleteRule('cascade'),
    user: () => p.manyToOne(User).deleteRule('cascade').index('memberships_user_index'),
    role: p.string().length(100).default('viewer'),
    source: p.enum(userSources),
    addedAt: p.datetime().onCreate(() => new Date()),
    /** Made by an IdP group mapping (directory/group-mappings.ts): the mapping adds, changes and removes it. */
    viaMapping: p.boolean().default(false),
  },
  uniques: [{ name: 'memberships_group_user_unique', properties: ['group', 'user'] }],
  indexes: [
    { name: 'memberships_org_user_index', properties: ['org', 'user'] },
    // A group's members page by page, oldest first (admin API GET /groups/:id/members).
    { name: 'memberships_group_added_index', properties: ['group', 'addedAt', 'id'] },
  ],
});

export class Membership extends MembershipSchema.class {}
MembershipSchema.setClass(Membership);
