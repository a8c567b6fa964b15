import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';
import { Group } from './group.ts';
import { uuidv7 } from '../../lib/ids.ts';

/**
 * "IdP group Nurses → entry point Ward 5, role editor". The IdP group is named
 * by its display name (SCIM Group displayName, SAML group claim value), compared
 * case-insensitively; deleting the entry point deletes its mappings.
 */
export const GroupMappingSchema = defineEntity({
  name: 'GroupMapping',
  tableName: 'group_mappings',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    idpGroup: p.string().length(300),
    group: () => p.manyToOne(Group).deleteRule('cascade').index('group_mappings_group_index'),
    role: p.string().length(100),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
  uniques: [
    {
      name: 'group_mappings_org_idp_group_group_unique',
      expression:
        'create unique index "group_mappings_org_idp_group_group_unique" on "group_mappings" ("org_id", lower("idp_group"), "group_id")',
    },
  ],
});

export class GroupMapping extends GroupMappingSchema.class {}
GroupMappingSchema.setClass(GroupMapping);
