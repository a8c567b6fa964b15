import { Migration } from '@mikro-orm/migrations';

/**
 * An index on each column a cascade follows from a person or a group. Deleting
 * an org (`gatehouse org delete`) deletes its users and groups; for each
 * deleted row PostgreSQL looks up the referencing rows by that column alone,
 * which the (org_id, user_id) indexes cannot serve: 20,000 people took minutes
 * of sequential scans of memberships and sessions.
 */
export class Migration20261201214347_foreign_key_indexes extends Migration {

  override name = 'Migration20261201214347_foreign_key_indexes';

  override up(): void | Promise<void> {
    this.addSql(`create index "group_mappings_group_index" on "group_mappings" ("group_id");`);

    this.addSql(`create index "sso_links_user_index" on "sso_links" ("user_id");`);

    this.addSql(`create index "sessions_user_index" on "sessions" ("user_id");`);

    this.addSql(`create index "mfa_challenges_user_index" on "mfa_challenges" ("user_id");`);

    this.addSql(`create index "memberships_user_index" on "memberships" ("user_id");`);

    this.addSql(`create index "invitations_user_index" on "invitations" ("user_id");`);

    this.addSql(`create index "invitation_memberships_group_index" on "invitation_memberships" ("group_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "group_mappings_group_index";`);

    this.addSql(`drop index "invitation_memberships_group_index";`);

    this.addSql(`drop index "invitations_user_index";`);

    this.addSql(`drop index "memberships_user_index";`);

    this.addSql(`drop index "mfa_challenges_user_index";`);

    this.addSql(`drop index "sessions_user_index";`);

    this.addSql(`drop index "sso_links_user_index";`);
  }

}
