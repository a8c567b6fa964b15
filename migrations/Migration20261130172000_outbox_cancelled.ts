import { Migration } from '@mikro-orm/migrations';

/**
 * A queued mail that is no longer wanted when its turn comes (an invitation
 * revoked, replaced by a resend, or whose person was disabled or deleted while
 * it waited) is cancelled: `cancelled_at` and `cancel_reason`, never sent, and
 * out of the due index the workers claim from.
 */
export class Migration20261130172000_outbox_cancelled extends Migration {

  override name = 'Migration20261130172000_outbox_cancelled';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_messages" add "cancelled_at" timestamptz null, add "cancel_reason" varchar(200) null;`);
    this.addSql(`drop index "outbox_messages_due_index";`);
    this.addSql(`create index "outbox_messages_due_index" on "outbox_messages" ("next_attempt_at") where "sent_at" is null and "failed_at" is null and "cancelled_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "outbox_messages_due_index";`);
    this.addSql(`alter table "outbox_messages" drop column "cancelled_at", drop column "cancel_reason";`);
    this.addSql(`create index "outbox_messages_due_index" on "outbox_messages" ("next_attempt_at") where "sent_at" is null and "failed_at" is null;`);
  }

}
