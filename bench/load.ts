import http from 'node:http';

/**
 * A closed-loop load generator: K clients, each sends its next request as soon as the
 * previous answer is read and checked. Latency is from write to the last body byte
 * (process.hrtime.bigint). A wrong answer is an error, and any error fails the scenario.
 */

export interface Call {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
}

/** Returns undefined when the answer is right, else what is wrong with it. */
export type Check = (status: number, body: unknown, call: Call) => string | undefined;

export interface Scenario {
  name: string;
  /** The i-th request of this run (i counts across all clients, from 0). */
  next(i: number): Call;
  check: Check;
}

export interface Result {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
}

export interface Target {
  baseUrl: string;
  token: string;
  agent: http.Agent;
}

export function makeTarget(baseUrl: string, token: string, clients: number): Target {
  return { baseUrl, token, agent: new http.Agent({ keepAlive: true, maxSockets: clients }) };
}

export function send(target: Target, call: Call): Promise<{ status: number; body: unknown; headers: http.IncomingHttpHeaders }> {
  const url = new URL(call.path, target.baseUrl);
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${target.token}`, accept: 'application/scim+json' };
  if (payload) {
    headers['content-type'] = 'application/scim+json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: call.method, headers, agent: target.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: the check sees the text
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
      res.on('error', reject);
    });
    // A hung server must not hang the benchmark: a request over 10 s is an error.
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Warm up for `warmupMs` (not recorded), then measure for `durationMs`. */
export async function runLoad(
  target: Target,
  scenario: Scenario,
  options: { clients: number; warmupMs: number; durationMs: number },
): Promise<Result> {
  let i = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  let recording = false;
  let stopped = false;

  const worker = async () => {
    while (!stopped) {
      const call = scenario.next(i++);
      const began = process.hrtime.bigint();
      let problem: string | undefined;
      try {
        const { status, body } = await send(target, call);
        problem = scenario.check(status, body, call);
      } catch (error) {
        problem = (error as Error).message;
      }
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      if (!recording) continue;
      latencies.push(ms);
      if (problem) {
        errors++;
        firstError ??= `${call.method} ${call.path}: ${problem}`;
      }
    }
  };

  const workers = Array.from({ length: options.clients }, worker);
  await new Promise((r) => setTimeout(r, options.warmupMs));
  recording = true;
  const began = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, options.durationMs));
  recording = false;
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  stopped = true;
  await Promise.all(workers);

  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    requests: latencies.length,
    errors,
    ...(firstError ? { firstError } : {}),
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: latencies.length ? sum / latencies.length : NaN,
  };
}
