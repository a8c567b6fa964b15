import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';

/** Org-level settings; defaults live in directory/org-settings.ts, only overrides are stored. */
export type OrgSettingsData = Record<string, unknown>;

export const OrganizationSchema = defineEntity({
  name: 'Organization',
  tableName: 'organizations',
  extends: BaseSchema,
  properties: {
    slug: p.string().length(63).unique('organizations_slug_unique'),
    name: p.string().length(200),
    settings: p.json<OrgSettingsData>().default('{}'),
    version: p.integer().version(),
  },
});

export class Organization extends OrganizationSchema.class {}
OrganizationSchema.setClass(Organization);
