import { Migration } from '@mikro-orm/migrations';

/**
 * An invitation replaced by a newer one (the person's address invited again
 * after their deletion) names it in `superseded_by`: resending the old one is
 * refused (409 naming the newer one), so a person has one live link at a time
 * and its planned groups are the ones they get. Existing rows: every
 * unaccepted invitation of a person but their newest is marked as replaced by
 * the newest (an earlier resend may have left two live, and the newest is the
 * one admins see on the person).
 */
export class Migration20261130170000_invitation_superseded_by extends Migration {

  override name = 'Migration20261130170000_invitation_superseded_by';

  override up(): void | Promise<void> {
    this.addSql(`alter table "invitations" add "superseded_by" uuid null;`);
    this.addSql(`update "invitations" i set "superseded_by" = n."id"
      from (select distinct on ("org_id", "user_id") "id", "org_id", "user_id" from "invitations" order by "org_id", "user_id", "created_at" desc, "id" desc) n
      where n."org_id" = i."org_id" and n."user_id" = i."user_id" and n."id" <> i."id" and i."accepted_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "invitations" drop column "superseded_by";`);
  }

}
