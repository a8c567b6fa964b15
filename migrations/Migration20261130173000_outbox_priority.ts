import { Migration } from '@mikro-orm/migrations';

/**
 * Transactional mail before bulk mail: workers claimed strictly by due time,
 * so a password reset or a sign-in code queued behind a bulk import's
 * invitations waited for all of them. `priority` (0 transactional, 1 bulk)
 * now leads the claim order and the due index; invitation mail already
 * queued becomes bulk.
 */
export class Migration20261130173000_outbox_priority extends Migration {

  override name = 'Migration20261130173000_outbox_priority';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_messages" add "priority" int not null default 0;`);
    this.addSql(`update "outbox_messages" set "priority" = 1 where "kind" = 'invitation' and "sent_at" is null and "failed_at" is null and "cancelled_at" is null;`);
    this.addSql(`drop index "outbox_messages_due_index";`);
    this.addSql(`create index "outbox_messages_due_index" on "outbox_messages" ("priority", "next_attempt_at", "id") where "sent_at" is null and "failed_at" is null and "cancelled_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "outbox_messages_due_index";`);
    this.addSql(`alter table "outbox_messages" drop column "priority";`);
    this.addSql(`create index "outbox_messages_due_index" on "outbox_messages" ("next_attempt_at") where "sent_at" is null and "failed_at" is null and "cancelled_at" is null;`);
  }

}
