import { Migration } from '@mikro-orm/migrations';

/**
 * The background refresh of SAML connections configured from an IdP metadata URL
 * (saml/metadata-refresh-job.ts): when the metadata was last fetched, the last failure
 * (reason and time, cleared on success), and the lease an instance holds while it fetches,
 * so several instances never fetch the same connection at once.
 */
export class Migration20261201150000_saml_metadata_refresh extends Migration {

  override name = 'Migration20261201150000_saml_metadata_refresh';

  override up(): void | Promise<void> {
    this.addSql(`alter table "saml_connections" add "metadata_refreshed_at" timestamptz null, add "metadata_error" varchar(1000) null, add "metadata_error_at" timestamptz null, add "metadata_leased_until" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "saml_connections" drop column "metadata_refreshed_at", drop column "metadata_error", drop column "metadata_error_at", drop column "metadata_leased_until";`);
  }

}
