/**
 * A queue worker's own small HTTP server (METRICS_PORT): `/healthz` and Prometheus `/metrics`, with
 * the server's bearer-token rule (METRICS_TOKEN). The API server serves the same routes in app.ts.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ScoringMetrics } from '../metrics.ts';
import { metricsAllowed } from './metrics-auth.ts';

export function serveMetrics(metrics: ScoringMetrics, port: number, token: string | undefined, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') { res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'); return; }
    if (path !== '/metrics') { res.writeHead(404).end(); return; }
    if (!metricsAllowed(req.headers.authorization, token)) { res.writeHead(401, { 'www-authenticate': 'Bearer' }).end(); return; }
    metrics.text().then((body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body), () => res.writeHead(500).end());
  });
  return new Promise((resolve) => server.listen(port, () => {
    log.info({ port }, 'worker metrics on /metrics, liveness on /healthz');
    resolve(server);
  }));
}
