import { Migration } from '@mikro-orm/migrations';

/**
 * A group in the feed has `memberCount` as the admin API shows it: its live members
 * (directory/entry-points.ts). It counted every membership, a deleted person's included (their
 * memberships stay hidden for a restore), so a group event said 2 where `GET /groups/:id` said 1.
 */
const BY_KEY = `from (select * from groups where id = gatehouse_uuid(p_id) offset 0) g -- by key first, as in gatehouse_user_resource
  where g.org_id = p_org`;

function groupResource(members: string): string {
  return `create or replace function "gatehouse_group_resource"(p_org uuid, p_id text) returns jsonb language sql stable as $$
  select jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id, 'description', g.description,
    'source', g.source, 'memberCount', ${members},
    'createdAt', gatehouse_iso(g.created_at), 'updatedAt', gatehouse_iso(g.updated_at))
  ${BY_KEY}
$$;`;
}

export class Migration20261201051000_group_resource_live_members extends Migration {

  override name = 'Migration20261201051000_group_resource_live_members';

  override up(): void | Promise<void> {
    this.addSql(groupResource(`(select count(*) from memberships m join users u on u.id = m.user_id
      where m.group_id = g.id and m.org_id = g.org_id and u.state <> 'deleted')`));
  }

  override down(): void | Promise<void> {
    this.addSql(groupResource('(select count(*) from memberships m where m.group_id = g.id and m.org_id = g.org_id)'));
  }

}
