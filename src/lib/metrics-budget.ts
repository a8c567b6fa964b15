import { Counter, Gauge, type Registry } from 'prom-client';
import type { ByteBudget } from './byte-budget.ts';
import { METRICS_PREFIX } from './metrics.ts';

/**
 * The SCIM body budget (http/body-budget.ts) as an operator watches it: how full it is, who waits
 * for room, and how many large bodies it answered 429. Read from the budget at each scrape, so the
 * requests themselves pay nothing for it.
 */
export function watchBodyBudget(registry: Registry, budget: ByteBudget): void {
  const gauges: Array<[string, string, () => number]> = [
    ['scim_body_budget_bytes', 'The SCIM body bytes requests in flight may hold at once (scim.bodyBudget, SCIM_BODY_BUDGET).', () => budget.size],
    ['scim_body_bytes_held', 'SCIM body bytes held now by requests in flight (bodies of 64 KB and more, and compressed ones).', () => budget.used],
    ['scim_body_requests_waiting', 'Large SCIM requests waiting for room in the body budget (up to 1 s, then 429).', () => budget.waiting],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({ name: `${METRICS_PREFIX}${name}`, help, registers: [registry], collect() { this.set(read()); } });
  }
  let counted = 0;
  new Counter({
    name: `${METRICS_PREFIX}scim_body_refusals_total`,
    help: 'Large SCIM requests answered 429 because the body budget had no room (also in gatehouse_http_requests_total as status 429).',
    registers: [registry],
    collect() {
      this.inc(budget.refused - counted);
      counted = budget.refused;
    },
  });
}
