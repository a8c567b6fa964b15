import { Migration } from '@mikro-orm/migrations';

/**
 * Admin tokens made before permissions existed could do everything; they keep
 * every permission. New tokens store their set when created.
 */
export class Migration20261130060000_admin_token_permissions extends Migration {

  override name = 'Migration20261130060000_admin_token_permissions';

  override up(): void | Promise<void> {
    this.addSql(`update "api_tokens" set "permissions" = '["users.edit","users.invite","users.disable","users.delete","users.export","groups.manage","audit.read","settings.manage"]'::jsonb where "scope" = 'admin' and "permissions" = '[]'::jsonb;`);
  }

  override down(): void | Promise<void> {
    // Nothing to undo: the permission list is ignored by older code.
  }

}
