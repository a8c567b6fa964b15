import { Gauge, type Registry } from 'prom-client';
import { METRICS_PREFIX } from './metrics.ts';

/** What the background work has left, all orgs together, read at each scrape (directory/backlog.ts). */
export interface Backlog {
  webhookDeliveriesWaiting: number;
  webhookDeliveriesDead: number;
  eventsUnpublished: number;
  /** 0 when no event waits. */
  oldestUnpublishedAgeSeconds: number;
  importsCommitting: number;
  /** Feed events past the cursors of enabled endpoints that are not stalled, summed. */
  webhookEventsBehind: number;
  /** Age of the oldest feed event such an endpoint has not been sent yet; 0 when none waits. */
  oldestUnsentAgeSeconds: number;
  /** Enabled endpoints stalled (events they were owed were pruned): an admin resumes them. */
  webhookEndpointsStalled: number;
}

const gauges: Array<[keyof Backlog, string, string]> = [
  ['webhookDeliveriesWaiting', 'webhook_deliveries_waiting', 'Webhook deliveries in the retry queue (a failed attempt, a replay or a retry), waiting for their next attempt.'],
  ['webhookDeliveriesDead', 'webhook_deliveries_dead', 'Webhook deliveries given up on (dead-lettered) and not yet pruned with their event; an admin can retry them.'],
  ['eventsUnpublished', 'events_unpublished', 'Change-feed events committed but not yet given a position by the publisher (not yet in the feed or sent to webhooks).'],
  ['oldestUnpublishedAgeSeconds', 'events_oldest_unpublished_age_seconds', 'Age of the oldest event the publisher has not numbered yet; 0 when none waits.'],
  ['importsCommitting', 'csv_imports_committing', 'CSV imports whose commit is under way (or was cut off and resumes).'],
  ['webhookEventsBehind', 'webhook_events_behind', 'Feed events not yet sent to enabled webhook endpoints (past each one\'s cursor, whether its event filter wants them or not), summed; stalled endpoints excepted.'],
  ['oldestUnsentAgeSeconds', 'webhook_oldest_unsent_age_seconds', 'Age of the oldest feed event an enabled, not stalled, webhook endpoint has not been sent yet: the delivery lag; 0 when none waits.'],
  ['webhookEndpointsStalled', 'webhook_endpoints_stalled', 'Enabled webhook endpoints stalled because events they were owed were pruned; they wait for an admin to resume them.'],
];

/**
 * Registers `gatehouse_database_up` and the backlog gauges. Every gauge's collect runs at each
 * scrape, at the same moment: they share one read (overlapping scrapes too). When the read fails
 * (the database is away) the scrape still answers: `database_up` 0 and no backlog sample, which
 * Prometheus reads as unknown, rather than a 0 that would read as "nothing waiting".
 */
export function watchBacklog(registry: Registry, read: () => Promise<Backlog>, failed: (error: unknown) => void): void {
  let reading: Promise<Backlog | undefined> | undefined;
  const snapshot = () =>
    (reading ??= read()
      .catch((error: unknown) => {
        failed(error);
        return undefined;
      })
      .finally(() => (reading = undefined)));
  new Gauge({
    name: `${METRICS_PREFIX}database_up`,
    help: "1 when this scrape's reads of the database answered, else 0.",
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  for (const [key, name, help] of gauges) {
    new Gauge({
      name: `${METRICS_PREFIX}${name}`,
      help,
      registers: [registry],
      async collect() {
        const backlog = await snapshot();
        if (backlog) this.set(backlog[key]);
        else this.remove();
      },
    });
  }
}
