import { createServer, type Server } from 'node:http';
import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../lib/logger.ts';

/**
 * The metrics listener (METRICS_PORT, on METRICS_HOST): `GET /metrics` in the Prometheus text format,
 * nothing else. A server of its own, with no Express, sessions or request log: its address is for
 * Prometheus on the operator's network, and the main port never serves metrics.
 */
export function createMetricsServer(metrics: Metrics, logger: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The metrics could not be collected: see the server log\n');
      },
    );
  });
}
