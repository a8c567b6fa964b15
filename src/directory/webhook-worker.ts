import type { Em } from '../db/orm.ts';
import { CONNECTIONS_PER_ENDPOINT } from '../lib/webhook-limits.ts';
import {
  attemptOne, claim, ENDPOINTS_PER_PASS, leaseFeeds, recordUnits,
  type Claimed, type DeliveryDeps, type DeliveryPassReport, type Outcome, type Unit,
} from './webhook-deliveries.ts';

/**
 * How delivery passes run on one instance (the statements and the sending of
 * one delivery are in webhook-deliveries.ts): a pass starts each endpoint's
 * share and returns; each share is recorded when its own requests are done.
 */

/**
 * Writes what units hand it, a statement at a time: units that finish while a
 * statement runs go together in the next one, so many endpoints answering at
 * once cost few statements, and one endpoint alone is recorded at once.
 */
class Recorder {
  readonly #fork: () => Em;
  #waiting: Array<{ unit: Unit; outcomes: Outcome[]; settle: (error?: unknown) => void }> = [];
  #writing = false;

  constructor(fork: () => Em) {
    this.#fork = fork;
  }

  record(unit: Unit, outcomes: Outcome[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ unit, outcomes, settle: (error) => (error === undefined ? resolve() : reject(error as Error)) });
      if (!this.#writing) void this.#write();
    });
  }

  async #write(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await recordUnits(this.#fork(), batch);
        for (const b of batch) b.settle();
      } catch (error) {
        for (const b of batch) b.settle(error ?? new Error('recording webhook deliveries failed'));
      }
    }
    this.#writing = false;
  }
}

/**
 * Sends an endpoint's rows with at most CONNECTIONS_PER_ENDPOINT in flight,
 * the next one rendered, signed and sent when one is answered: the work of a
 * pass spreads over its answers instead of one burst that holds the event
 * loop (and SCIM requests) while 50 requests are built. Outcomes in row order;
 * rows not started once `stopped()` holds are left out.
 */
async function sendPaced(rows: Claimed[], attempt: (row: Claimed) => Promise<Outcome>, stopped: () => boolean): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(rows.length);
  let next = 0;
  const lane = async () => {
    while (next < rows.length && !stopped()) {
      const i = next++;
      outcomes[i] = await attempt(rows[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTIONS_PER_ENDPOINT, rows.length) }, lane));
  return outcomes;
}

export interface PassStarted {
  /** Worth another pass at once: a full batch of retries, or as many endpoints leased as a pass takes. */
  full: boolean;
  /** Every unit this pass started, sent and recorded. */
  done: Promise<DeliveryPassReport>;
}

/**
 * The delivery worker of one instance. A pass claims due retries, then leases
 * the pages of other endpoints behind the feed, and starts sending them
 * without waiting for the answers: each endpoint's unit is recorded when its
 * own requests are done, and an endpoint in flight is left out of the next
 * passes until then. Per pass that is two statements (claim, lease), plus one
 * statement per batch of units finishing together, none per delivery, so
 * delivery keeps up with SCIM write rates. A unit's rows go out at most
 * CONNECTIONS_PER_ENDPOINT at a time, each request bounded by the timeout, so
 * a unit takes at most ceil(batchSize / CONNECTIONS_PER_ENDPOINT) × timeoutMs;
 * both leases are longer (config.ts checks claimTimeoutMs).
 */
export class DeliveryWorker {
  readonly #deps: DeliveryDeps;
  readonly #recorder: Recorder;
  /** Endpoints with a unit in flight, and the units themselves. */
  readonly #busy = new Set<string>();
  /** Endpoints in flight per org. */
  readonly #orgBusy = new Map<string, number>();
  readonly #units = new Set<Promise<Outcome[]>>();
  #passes = 0;
  /** A pass found no room for every endpoint that may be waiting. */
  #starved = false;
  #abandoned = false;
  #passing: Promise<unknown> = Promise.resolve();
  /** Called when a unit is done and a pass may find more: its endpoint's next page, or endpoints left waiting. */
  onMore: (() => void) | undefined;

  constructor(deps: DeliveryDeps) {
    this.#deps = deps;
    this.#recorder = new Recorder(deps.fork);
  }

  /** Endpoints in flight. */
  get inFlight(): number {
    return this.#busy.size;
  }

  /** Claims and leases what is due, starts sending it and resolves; one pass at a time (the busy endpoints are read at its start). */
  pass(now: Date): Promise<PassStarted> {
    const pass = this.#passing.then(() => this.#pass(now));
    this.#passing = pass.catch(() => undefined);
    return pass;
  }

  async #pass(now: Date): Promise<PassStarted> {
    const deps = this.#deps;
    const pass = ++this.#passes;
    const free = deps.maxEndpointsInFlight - this.#busy.size;
    if (free <= 0 || this.#abandoned) {
      this.#starved = true;
      return { full: false, done: Promise.resolve({ delivered: 0, retried: 0, dead: 0 }) };
    }
    const em = deps.fork();
    const started: Array<Promise<Outcome[]>> = [];
    // Each org gets a share of the slots, and retries at most half of those free: endpoints that never answer
    // (and then their retries, for 24 h) hold up their own org's deliveries, never every other tenant's.
    const perOrg = orgShare(deps.maxEndpointsInFlight);
    const fullOrgs = [...this.#orgBusy].filter(([, n]) => n >= perOrg).map(([org]) => org);
    // Retries first, then the pages of other endpoints: an endpoint's retries and its page at once would be
    // twice CONNECTIONS_PER_ENDPOINT requests, half of them waiting for a connection while their timeout runs.
    const queued = await claim(em, now, deps, [...this.#busy], Math.max(1, Math.floor(free / 2)), fullOrgs);
    const retries = new Map<string, Unit>();
    for (const row of queued) {
      const unit = retries.get(row.webhookId) ?? { webhookId: row.webhookId, orgId: row.orgId, now, rows: [] };
      unit.rows.push(row);
      retries.set(row.webhookId, unit);
    }
    for (const unit of retries.values()) started.push(this.#start(unit, pass));
    const room = Math.min(ENDPOINTS_PER_PASS, free - retries.size);
    const pages = room > 0 ? await leaseFeeds(em, now, deps, [...this.#busy], room, { fullOrgs, perOrg }) : [];
    for (const unit of pages) started.push(this.#start(unit, pass));
    if (this.#busy.size >= deps.maxEndpointsInFlight) this.#starved = true;
    return {
      full: queued.length >= deps.batchSize || (room > 0 && pages.length >= room),
      done: Promise.allSettled(started).then((settled) => {
        const report: DeliveryPassReport = { delivered: 0, retried: 0, dead: 0 };
        for (const result of settled) {
          if (result.status === 'rejected') throw result.reason;
          for (const o of result.value) report[o.status === 'delivered' ? 'delivered' : o.status === 'dead' ? 'dead' : 'retried']++;
        }
        return report;
      }),
    };
  }

  /** Resolves when no unit is in flight. */
  async drain(): Promise<void> {
    while (this.#units.size) await Promise.allSettled([...this.#units]);
  }

  /**
   * Shutdown: waits up to `waitMs` for the units in flight, then gives up on
   * the rest: no further request starts and nothing more is recorded; their
   * leases lapse and any instance sends those events again (at-least-once).
   */
  async stop(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    if (!this.#units.size) return;
    this.#abandoned = true;
    this.#deps.logger.warn({ endpoints: this.#busy.size }, 'webhook deliveries still in flight at shutdown: sent again once their lease lapses');
  }

  #start(unit: Unit, pass: number): Promise<Outcome[]> {
    this.#busy.add(unit.webhookId);
    this.#orgBusy.set(unit.orgId, (this.#orgBusy.get(unit.orgId) ?? 0) + 1);
    const run = (async () => {
      try {
        const outcomes = await sendPaced(unit.rows, (row) => attemptOne(this.#deps, row, unit.now), () => this.#abandoned);
        if (this.#abandoned) throw new Error('abandoned at shutdown');
        await this.#recorder.record(unit, outcomes);
        return outcomes;
      } finally {
        this.#busy.delete(unit.webhookId);
        const left = (this.#orgBusy.get(unit.orgId) ?? 1) - 1;
        if (left > 0) this.#orgBusy.set(unit.orgId, left);
        else this.#orgBusy.delete(unit.orgId);
        // More of this endpoint's feed, or a later pass that had to leave it (or others) out.
        const more = unit.rows.length >= this.#deps.batchSize || this.#passes > pass || this.#starved;
        if (more && !this.#abandoned) {
          this.#starved = false;
          this.onMore?.();
        }
      }
    })();
    this.#units.add(run);
    run.then(() => this.#units.delete(run), () => this.#units.delete(run));
    return run;
  }
}

/** The endpoints of one org a worker keeps in flight at most: a quarter of its slots (at least one). */
export function orgShare(maxEndpointsInFlight: number): number {
  return Math.max(1, Math.floor(maxEndpointsInFlight / 4));
}

/** One pass of a worker of its own, waiting for every answer (tests, and callers that want the report). */
export async function deliverDueWebhooks(deps: DeliveryDeps, now: Date): Promise<DeliveryPassReport> {
  return (await new DeliveryWorker(deps).pass(now)).done;
}
