/**
 * What the soak counts: for each kind of request, every status code answered (429s included)
 * and the latency of every answer that was not a 429. A request that got no answer at all
 * (connection refused, the 10 s timeout of bench/load.ts) counts under the status "none".
 */

export interface KindFigures {
  requests: number;
  statuses: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class Recorder {
  readonly #latencies = new Map<string, number[]>();
  readonly #statuses = new Map<string, Map<string, number>>();
  readonly #problems: string[] = [];
  #problemCount = 0;

  /** One answer (or none: status 0) of `kind`, taking `ms`. */
  record(kind: string, status: number, ms: number): void {
    const code = status === 0 ? 'none' : String(status);
    const counts = this.#statuses.get(kind) ?? new Map<string, number>();
    counts.set(code, (counts.get(code) ?? 0) + 1);
    this.#statuses.set(kind, counts);
    if (status === 429 || status === 0) return;
    const list = this.#latencies.get(kind) ?? [];
    list.push(ms);
    this.#latencies.set(kind, list);
  }

  /** A wrong answer: kept (the first few verbatim) and counted; any fails the run. */
  problem(text: string): void {
    this.#problemCount++;
    if (this.#problems.length < 10) this.#problems.push(text);
  }

  get problems(): { count: number; first: string[] } {
    return { count: this.#problemCount, first: [...this.#problems] };
  }

  count(predicate: (code: string) => boolean): number {
    let n = 0;
    for (const counts of this.#statuses.values()) for (const [code, c] of counts) if (predicate(code)) n += c;
    return n;
  }

  figures(): Record<string, KindFigures> {
    const out: Record<string, KindFigures> = {};
    for (const [kind, counts] of this.#statuses) {
      const sorted = Float64Array.from(this.#latencies.get(kind) ?? []).sort();
      const statuses = Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
      out[kind] = {
        requests: [...counts.values()].reduce((a, b) => a + b, 0),
        statuses,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted.length ? sorted[sorted.length - 1]! : NaN,
      };
    }
    return out;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (n: number) => (Number.isNaN(n) ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));

/** A plain-text table: one row per kind, latency columns in ms, then the status counts. */
export function figuresTable(figures: Record<string, KindFigures>): string {
  const header = ['request', 'count', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'statuses'];
  const rows = Object.entries(figures).map(([kind, f]) => [
    kind, String(f.requests), ms(f.p50), ms(f.p95), ms(f.p99), ms(f.max),
    Object.entries(f.statuses).map(([code, n]) => `${code}×${n}`).join(' '),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 || c === r.length - 1 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
