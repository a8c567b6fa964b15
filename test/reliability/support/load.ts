import assert from 'node:assert/strict';
import { call, isScimError, type Reply } from './http.ts';

export interface Outcome {
  /** When the request was sent, in ms since the load started. */
  at: number;
  ms: number;
  label: string;
  reply?: Reply;
  /** A network error or a timeout: no HTTP answer at all. */
  error?: string;
}

export interface Load {
  outcomes: Outcome[];
  stop(): Promise<void>;
  since(ms: number): Outcome[];
  elapsed(): number;
}

/**
 * `workers` clients, each sending one request after the other until stopped
 * (an IdP's provisioning threads). `next(n)` builds the n-th request.
 */
export function runLoad(base: string, workers: number, next: (n: number) => { method: string; path: string; token: string; body?: unknown; label: string }, timeoutMs = 30_000): Load {
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let stopped = false;
  let counter = 0;
  const worker = async () => {
    while (!stopped) {
      const spec = next(counter++);
      const at = elapsed();
      try {
        const reply = await call(base, spec.method, spec.path, { token: spec.token, body: spec.body, timeoutMs });
        outcomes.push({ at, ms: elapsed() - at, label: spec.label, reply });
      } catch (error) {
        outcomes.push({ at, ms: elapsed() - at, label: spec.label, error: String((error as Error).cause ?? error) });
        // A client backs off a little after a network error instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));
  return {
    outcomes,
    elapsed,
    since: (ms) => outcomes.filter((o) => o.at >= ms),
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/**
 * The answers of SCIM writes made while the database went away and came back:
 * only 201 and 503 — never a 500, a hang or a dropped connection — and every 503
 * a SCIM error that says when to retry. Returns the 503s.
 */
export function assertOnlyCreatedOrUnavailable(outcomes: Outcome[]): Outcome[] {
  const unexpected = outcomes.filter((o) => !o.reply || ![201, 503].includes(o.reply.status));
  assert.deepEqual(unexpected.map((o) => o.error ?? `${o.reply!.status} ${o.reply!.text}`), [], 'only 201 and 503: never a 500, a hang or a dropped connection');
  const unavailable = outcomes.filter((o) => o.reply!.status === 503);
  for (const o of unavailable) {
    assert.ok(isScimError(o.reply!, 503), o.reply!.text);
    assert.ok(o.reply!.headers.get('retry-after'), 'a 503 says when to retry');
  }
  return unavailable;
}

