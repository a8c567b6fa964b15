import { Migration } from '@mikro-orm/migrations';

export class Migration20261130060044_audit_query_indexes extends Migration {

  override name = 'Migration20261130060044_audit_query_indexes';

  override up(): void | Promise<void> {
    this.addSql(`drop index "audit_events_org_target_index";`);
    this.addSql(`create index "audit_events_org_target_id_index" on "audit_events" ("org_id", "target_id", "id");`);
    this.addSql(`create index "audit_events_org_actor_id_index" on "audit_events" ("org_id", "actor_id", "id");`);
    this.addSql(`create index "audit_events_org_actor_label_index" on "audit_events" ("org_id", lower("actor_label"), "id");`);
    this.addSql(`create index "audit_events_org_target_label_index" on "audit_events" ("org_id", lower("target_label"), "id");`);
    this.addSql(`create index "audit_events_org_action_index" on "audit_events" ("org_id", "action" varchar_pattern_ops, "id");`);
    this.addSql(`create index "audit_events_org_at_index" on "audit_events" ("org_id", "at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "audit_events_org_target_id_index";`);
    this.addSql(`drop index "audit_events_org_actor_id_index";`);
    this.addSql(`drop index "audit_events_org_actor_label_index";`);
    this.addSql(`drop index "audit_events_org_target_label_index";`);
    this.addSql(`drop index "audit_events_org_action_index";`);
    this.addSql(`drop index "audit_events_org_at_index";`);
    this.addSql(`create index "audit_events_org_target_index" on "audit_events" ("org_id", "target_id");`);
  }

}
