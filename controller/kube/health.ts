// /healthz (the process is alive), /readyz (informers synced and, on the leader, the last AWS
// read worked) and /metrics (Prometheus). Every replica serves these, leader or not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Why not ready (shown in the /readyz body). */
  reasons: string[];
}

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  readiness: () => Readiness;
  /** Called before /metrics is rendered (to copy counters kept elsewhere). */
  beforeMetrics?: () => void;
}

export class HealthServer {
  private server?: Server;

  constructor(private readonly o: HealthServerOptions) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      if (url === '/healthz' || url === '/livez') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (url === '/readyz') {
        const r = this.o.readiness();
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(r.ready ? 'ok\n' : `not ready: ${r.reasons.join('; ')}\n`);
      } else if (url === '/metrics') {
        this.o.beforeMetrics?.();
        this.o.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.o.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host ?? '0.0.0.0', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    // Keep-alive connections (probes, scrapers) would hold close() open for their idle timeout.
    s.closeAllConnections?.();
    await closed;
  }
}
