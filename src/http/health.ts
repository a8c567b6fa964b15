import { Router, type RequestHandler } from 'express';
import type { Container } from '../container.ts';
import type { Metrics } from '../lib/metrics.ts';
import { recordRequest } from './metrics-labels.ts';

/** /healthz: the process answers. /readyz: the database answers and every migration is applied. */
export function healthRouter(container: Container): Router {
  const router = Router();
  if (container.metrics) router.get(['/healthz', '/readyz'], counted(container.metrics));
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await container.readiness.check();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not_ready', ...report });
  });
  return router;
}

/** The probes pass no request context and write no log line (http/context.ts): they are counted here. */
function counted(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => recordRequest(metrics, req.originalUrl, req.method, res.headersSent ? res.statusCode : null, Number(process.hrtime.bigint() - started) / 1e9));
    next();
  };
}
