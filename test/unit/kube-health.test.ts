import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer, type Readiness } from '../../controller/kube/health.js';
import { ControllerMetrics } from '../../controller/kube/metrics.js';
import { CallLog } from '../../controller/aws/clients.js';

describe('health and metrics server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it('serves /healthz, /readyz from the readiness callback, and Prometheus /metrics', async () => {
    const metrics = new ControllerMetrics(false);
    let readiness: Readiness = { ready: false, reasons: ['informers have not synced'] };
    const calls = new CallLog();
    server = new HealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: metrics.registry,
      readiness: () => readiness,
      beforeMetrics: () => metrics.syncAwsCalls(calls),
    });
    const port = await server.start();
    const get = async (p: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${p}`);
      return { status: r.status, body: await r.text() };
    };

    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 503, body: 'not ready: informers have not synced\n' });
    readiness = { ready: true, reasons: [] };
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get('/nope')).status).toBe(404);

    calls.record('Organizations:ListAccounts', 'ok');
    calls.record('Organizations:ListAccounts', 'ok');
    calls.record('Organizations:CreateAccount', 'TooManyRequestsException');
    metrics.leader.set(1);
    metrics.drift.set(2);
    metrics.reconcileDuration.observe({ result: 'success' }, 0.3);
    let m = (await get('/metrics')).body;
    expect(m).toContain('orgplane_aws_calls_total{api="Organizations:ListAccounts",outcome="ok"} 2');
    expect(m).toContain('orgplane_aws_calls_total{api="Organizations:CreateAccount",outcome="TooManyRequestsException"} 1');
    expect(m).toContain('orgplane_leader 1');
    expect(m).toContain('orgplane_drift_resources 2');
    expect(m).toContain('orgplane_reconcile_duration_seconds_count{result="success"} 1');
    expect(m).toContain('orgplane_workqueue_depth 0');
    // Only new calls are added on the next scrape.
    calls.record('Organizations:ListAccounts', 'ok');
    m = (await get('/metrics')).body;
    expect(m).toContain('orgplane_aws_calls_total{api="Organizations:ListAccounts",outcome="ok"} 3');
  });
});
