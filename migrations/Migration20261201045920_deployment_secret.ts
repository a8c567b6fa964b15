import { randomBytes } from 'node:crypto';
import { Migration } from '@mikro-orm/migrations';

/**
 * The deployment's own secret, for when SESSION_SECRET is not set: 256 random
 * bits, generated here once and stored in the database, so every instance and
 * every restart uses the same one (a secret per instance or in DATA_DIR would
 * give each instance other audit ids, and a cursor from one would be refused
 * by the next). It keys the opaque audit ids (directory/audit-ids.ts).
 */
export class Migration20261201045920_deployment_secret extends Migration {

  override name = 'Migration20261201045920_deployment_secret';

  override up(): void | Promise<void> {
    this.addSql(`create table "deployment_secrets" ("name" varchar(50) not null, "value" varchar(200) not null, "created_at" timestamptz not null, primary key ("name"));`);
    // base64url: no quote can end the literal.
    this.addSql(`insert into "deployment_secrets" ("name", "value", "created_at") values ('session', '${randomBytes(32).toString('base64url')}', now()) on conflict do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "deployment_secrets" cascade;`);
  }

}
