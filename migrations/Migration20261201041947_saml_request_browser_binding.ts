import { Migration } from '@mikro-orm/migrations';

/**
 * The SHA-256 of the nonce GET /saml/:org/login gives the browser in a cookie:
 * the ACS takes a response to the request only from that browser (login CSRF,
 * saml/browser-binding.ts). Null on requests issued before; those are refused.
 */
export class Migration20261201041947_saml_request_browser_binding extends Migration {

  override name = 'Migration20261201041947_saml_request_browser_binding';

  override up(): void | Promise<void> {
    this.addSql(`alter table "saml_requests" add "browser_binding" varchar(64) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "saml_requests" drop column "browser_binding";`);
  }

}
