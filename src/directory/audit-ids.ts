import type { Em } from '../db/orm.ts';
import { opaqueIds, type OpaqueIds } from '../lib/opaque-ids.ts';

/**
 * The audit ids a tenant sees. `audit_events.id` is one bigint identity for
 * every org (the cheapest order for the writers: no per-org counter to lock),
 * so it is never shown as is: the API, the console and every cursor carry it
 * encrypted per org (lib/opaque-ids.ts), and the queries decode it back to
 * order and page by the number.
 *
 * Keyed by SESSION_SECRET when it is set, else by the secret the migrations
 * generated and stored in `deployment_secrets` (the same for every instance).
 * Changing either changes every id: cursors stored before are refused (400
 * naming `cursor`), nothing else.
 */
export class AuditIds {
  readonly #configured: string | undefined;
  readonly #fork: () => Em;
  #codec: Promise<OpaqueIds> | undefined;

  constructor(configured: string | undefined, fork: () => Em) {
    this.#configured = configured;
    this.#fork = fork;
  }

  /** Read once (the stored secret from the database), then kept; a failed read is tried again next time. */
  codec(): Promise<OpaqueIds> {
    this.#codec ??= this.#load().catch((error: unknown) => {
      this.#codec = undefined;
      throw error;
    });
    return this.#codec;
  }

  async #load(): Promise<OpaqueIds> {
    return opaqueIds(this.#configured ?? (await storedSecret(this.#fork())), 'audit-ids/v1');
  }
}

async function storedSecret(em: Em): Promise<string> {
  const [row] = await em.execute(`select value from deployment_secrets where name = 'session'`);
  if (!row) throw new Error('deployment_secrets has no session secret: apply the migrations (gatehouse migrate) or set SESSION_SECRET');
  return String(row.value);
}
