import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { userSources } from './user.ts';

/** An "entry point", "service area" or group: whatever the org calls it. */
export const GroupSchema = defineEntity({
  name: 'Group',
  tableName: 'groups',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    displayName: p.string().length(300),
    externalId: p.string().length(320).nullable(),
    description: p.string().length(1000).nullable(),
    source: p.enum(userSources),
    scimAttributes: p.json<Record<string, unknown>>().default('{}'),
    version: p.integer().version(),
  },
  uniques: [
    {
      name: 'groups_org_display_name_unique',
      expression:
        'create unique index "groups_org_display_name_unique" on "groups" ("org_id", lower("display_name"))',
    },
  ],
  indexes: [
    { name: 'groups_org_id_index', properties: ['org', 'id'] },
    { name: 'groups_org_external_id_index', properties: ['org', 'externalId'] },
  ],
});

export class Group extends GroupSchema.class {}
GroupSchema.setClass(Group);
