import { Router } from 'express';
import type { Container } from '../container.ts';

/** /healthz: the process answers. /readyz: the database answers and every migration is applied. */
export function healthRouter(container: Container): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await container.readiness.check();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not_ready', ...report });
  });
  return router;
}
