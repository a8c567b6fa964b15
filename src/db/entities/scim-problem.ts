import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';

/**
 * A SCIM request of the org's IdP that Gatehouse refused (a 4xx other than a
 * bad token, a lookup of a missing id or a stale If-Match), kept so the org's
 * admins see what the IdP's provisioning log says (directory/scim-problems.ts).
 * Never the request body: only what the IdP was answered. The id is a
 * sequence, so the newest-first order is the order they were refused in; at
 * most `scim.problemsPerOrg` per org, and none older than `purge.keepSpentDays`.
 */
export const ScimProblemSchema = defineEntity({
  name: 'ScimProblem',
  tableName: 'scim_problems',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    at: p.datetime(),
    method: p.string().length(10),
    path: p.string().length(500),
    /** The SCIM token's id and its name when it was used (a token is revoked, never deleted). */
    tokenId: p.uuid().nullable(),
    tokenName: p.string().length(200),
    status: p.smallint(),
    scimType: p.string().length(30).nullable(),
    detail: p.string().length(2000),
    requestId: p.string().length(100),
  },
  indexes: [
    { name: 'scim_problems_org_id_id_index', properties: ['org', 'id'] },
    { name: 'scim_problems_at_index', properties: ['at'] },
  ],
});

export class ScimProblem extends ScimProblemSchema.class {}
ScimProblemSchema.setClass(ScimProblem);
