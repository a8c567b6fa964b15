import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';

/**
 * How many live (not deleted) users an org has, kept as signed deltas that
 * triggers on `users` write in the transaction of the change
 * (migrations/…_user_count_deltas.ts): the org's count is the sum of its rows,
 * exact in every snapshot, so a SCIM list page's `totalResults` does not count
 * the whole org. Deltas are only ever inserted (concurrent writers never wait
 * on one counter row); a periodic job folds each org's rows into one
 * (directory/user-counts.ts).
 */
export const UserCountDeltaSchema = defineEntity({
  name: 'UserCountDelta',
  tableName: 'user_count_deltas',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    delta: p.integer(),
  },
  indexes: [{ name: 'user_count_deltas_org_id_index', properties: ['org'] }],
});

export class UserCountDelta extends UserCountDeltaSchema.class {}
