import { outboundPolicy, type Config } from './config.ts';
import type { Em } from './db/orm.ts';
import type { Clock } from './lib/clock.ts';
import type { Logger } from './lib/logger.ts';
import { PeriodicJob, type JobFailures } from './directory/periodic-job.ts';
import { publishEvents, type PublishResult } from './directory/event-feed.ts';
import { pruneEvents } from './directory/event-retention.ts';
import { announceExpiredInvitations } from './directory/invitation-expiry.ts';
import type { DeliveryDeps, DeliveryPassReport } from './directory/webhook-deliveries.ts';
import { DeliveryWorker } from './directory/webhook-worker.ts';
import { WebhookConnections } from './lib/webhook-http.ts';

/**
 * The background side of issue 8, built by the container and started by the
 * server after listen (never in request handling, never in tests unless they
 * ask): the publisher that numbers committed events, the webhook delivery
 * worker (which follows the feed; its job starts each pass's sending and
 * does not wait for the answers), the invitation-expiry job and the
 * retention prune. Each pass function is also exposed for tests with an
 * injected time.
 */
export interface EventServices {
  /** One publisher pass (tests: call after a change to make its events visible in the feed). */
  publish(now?: Date): Promise<PublishResult>;
  /** Publish until nothing is left (tests and the CLI). */
  publishAll(now?: Date): Promise<number>;
  deliverDue(now?: Date): Promise<DeliveryPassReport>;
  announceExpired(now?: Date): Promise<{ expired: number; locked: boolean }>;
  prune(now?: Date): Promise<{ pruned: number }>;
  delivery: DeliveryDeps;
  start(): void;
  stop(): Promise<void>;
}

export function createEventServices(parts: { config: Config; logger: Logger; fork: () => Em; clock: Clock; random?: () => number; failures?: JobFailures | undefined }): EventServices {
  const { config, fork, clock, failures } = parts;
  const logger = parts.logger.child({ component: 'events' });
  const delivery: DeliveryDeps = {
    fork,
    logger: parts.logger.child({ component: 'webhooks' }),
    policy: outboundPolicy(config),
    timeoutMs: config.webhooks.timeoutMs,
    retry: config.webhooks.retry,
    maxAgeMs: config.webhooks.maxAgeMs,
    claimTimeoutMs: config.webhooks.claimTimeoutMs,
    batchSize: config.webhooks.batchSize,
    maxEndpointsInFlight: config.webhooks.maxEndpointsInFlight,
    connections: new WebhookConnections(),
    ...(parts.random ? { random: parts.random } : {}),
  };
  const publish = (now = clock.now()) => publishEvents(fork(), now, config.events.publishBatchSize);
  // One worker for the background job and for callers of deliverDue: an endpoint in flight is never sent twice.
  const worker = new DeliveryWorker(delivery);
  const deliverDue = async (now = clock.now()) => (await worker.pass(now)).done;
  const announceExpired = (now = clock.now()) => announceExpiredInvitations(fork(), now);
  const prune = (now = clock.now()) => pruneEvents(fork(), now, config.events.retentionDays);

  const deliveryJob = new PeriodicJob({
    name: 'webhook delivery',
    intervalMs: config.webhooks.pollIntervalMs,
    logger,
    failures,
    // A pass only starts the sending: a slow endpoint's requests must not hold up the next pass (other endpoints).
    pass: async () => {
      const { full, done } = await worker.pass(clock.now());
      done.catch((error: unknown) => {
        failures?.add('webhook delivery', 1);
        logger.error({ err: error, job: 'webhook delivery' }, 'recording webhook deliveries failed; they are sent again once their lease lapses');
      });
      return full;
    },
  });
  worker.onMore = () => deliveryJob.nudge();
  const jobs = [
    new PeriodicJob({
      name: 'event publisher',
      intervalMs: config.events.publishIntervalMs,
      logger,
      failures,
      pass: async () => {
        const result = await publish();
        // An endpoint has new events: send them now rather than at the next poll.
        if (result.endpoints > 0) deliveryJob.nudge();
        return result.published >= config.events.publishBatchSize;
      },
    }),
    deliveryJob,
    new PeriodicJob({
      name: 'invitation expiry',
      intervalMs: config.events.expiryIntervalMs,
      logger,
      failures,
      pass: async () => {
        const result = await announceExpired();
        if (result.expired) logger.info(result, 'expired invitations announced');
        return false;
      },
    }),
    new PeriodicJob({
      name: 'event retention',
      intervalMs: config.events.pruneIntervalMs,
      initialDelayMs: 60_000,
      logger,
      failures,
      pass: async () => {
        const result = await prune();
        if (result.pruned) logger.info(result, 'old events pruned');
        return false;
      },
    }),
  ];
  return {
    publish,
    async publishAll(now = clock.now()) {
      let total = 0;
      for (;;) {
        const { published } = await publish(now);
        if (published <= 0) return total;
        total += published;
      }
    },
    deliverDue,
    announceExpired,
    prune,
    delivery,
    start: () => jobs.forEach((job) => job.start()),
    stop: async () => {
      await Promise.all(jobs.map((job) => job.stop()));
      // Deliveries in flight get as long as requests in flight do; what is left is sent again after its lease.
      await worker.stop(config.shutdownTimeoutMs);
      await delivery.connections?.destroy();
      await worker.drain();
    },
  };
}
