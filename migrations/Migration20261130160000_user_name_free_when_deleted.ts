import { Migration } from '@mikro-orm/migrations';

/**
 * A deleted user no longer holds their userName: the unique index covers the
 * org's users who are not deleted. Before, a SCIM DELETE hid the user from
 * every read (RFC 7644 §3.6) while the name stayed taken for the 30-day restore
 * window, so an IdP's lookup found nobody and its create then got 409 (a
 * rehire, or Entra deleting and re-creating). Restoring a deleted user whose
 * userName another user now holds is refused with a conflict naming userName.
 */
export class Migration20261130160000_user_name_free_when_deleted extends Migration {

  override name = 'Migration20261130160000_user_name_free_when_deleted';

  override up(): void | Promise<void> {
    this.addSql(`drop index "users_org_user_name_unique";`);
    this.addSql(`create unique index "users_org_user_name_unique" on "users" ("org_id", lower("user_name")) where "state" <> 'deleted';`);
  }

  override down(): void | Promise<void> {
    // Fails if two users of an org now share a userName (one of them deleted): rename one first.
    this.addSql(`drop index "users_org_user_name_unique";`);
    this.addSql(`create unique index "users_org_user_name_unique" on "users" ("org_id", lower("user_name"));`);
  }

}
