import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics of one server process, in a registry of its own (prom-client's global one
 * is shared with whatever else loads the library, and tests build several servers in one process).
 * Served only on the metrics listener (http/metrics-listener.ts), never on the main port.
 */
export interface Metrics {
  readonly registry: Registry;
  /**
   * One request, answered or abandoned. Each label comes from a fixed list (http/metrics-labels.ts):
   * never a raw path, an org or an id, so the series stay few whatever clients send.
   */
  request(surface: string, method: string, status: string, seconds: number): void;
  /** Failed passes per background job (directory/periodic-job.ts); `count` 0 lists a job before it fails. */
  jobFailures: { add(job: string, count: number): void };
}

export const METRICS_PREFIX = 'gatehouse_';

/** From a fast SCIM read (about a millisecond) to a large CSV upload. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
  const requests = new Counter({
    name: `${METRICS_PREFIX}http_requests_total`,
    help: 'HTTP requests on the main port, by surface, method and status code ("none": the client left before an answer began).',
    labelNames: ['surface', 'method', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: `${METRICS_PREFIX}http_request_duration_seconds`,
    help: 'Time from the arrival of a request to the end of its answer (or to the client leaving), by surface.',
    labelNames: ['surface'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const failures = new Counter({
    name: `${METRICS_PREFIX}job_failures_total`,
    help: 'Failed passes of each background job (each is logged; the job retries with back-off).',
    labelNames: ['job'] as const,
    registers: [registry],
  });
  return {
    registry,
    request(surface, method, status, seconds) {
      requests.inc({ surface, method, status });
      durations.observe({ surface }, seconds);
    },
    jobFailures: { add: (job, count) => failures.inc({ job }, count) },
  };
}
