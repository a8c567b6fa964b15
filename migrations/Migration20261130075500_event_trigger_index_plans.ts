import { Migration } from '@mikro-orm/migrations';

/**
 * The event trigger looks rows up by key (a user, a group, one membership)
 * once per event. Its plans are made when the trigger first runs in a
 * session; on tables whose statistics are still those of an empty table (a
 * fresh install, a first big CSV import) the planner picks sequential scans,
 * which makes a big batch slower per row as it goes. Key lookups are always
 * index work, so the trigger plans without seq scans. (Measured on one
 * 5,000-row CSV batch: 116 s before, 65 s after; still far from the 0.75 s
 * the same batch takes without the trigger — a set-based, statement-level
 * trigger is the next step.)
 */
export class Migration20261130075500_event_trigger_index_plans extends Migration {

  override name = 'Migration20261130075500_event_trigger_index_plans';

  override up(): void | Promise<void> {
    this.addSql(`alter function "gatehouse_audit_to_events"() set enable_seqscan = off;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter function "gatehouse_audit_to_events"() reset enable_seqscan;`);
  }

}
