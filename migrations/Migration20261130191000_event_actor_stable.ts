import { Migration } from '@mikro-orm/migrations';

/**
 * `gatehouse_event_actor` was declared IMMUTABLE around a STABLE body
 * (jsonb_build_object), which PostgreSQL refuses to inline: every statement
 * that fired the events trigger planned it again (pg_stat_user_functions under
 * SCIM PATCH load: ~130 µs a call, one call per audit row). Declared STABLE, as
 * its body is, it is inlined into the trigger's statement like
 * gatehouse_event_source.
 */
export class Migration20261130191000_event_actor_stable extends Migration {

  override name = 'Migration20261130191000_event_actor_stable';

  override up(): void | Promise<void> {
    this.addSql(`alter function "gatehouse_event_actor"(audit_events) stable;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter function "gatehouse_event_actor"(audit_events) immutable;`);
  }

}
