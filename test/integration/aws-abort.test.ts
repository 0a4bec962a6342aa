// A reconcile's abort signal against real SDK clients and moto: reads queued for the rate limit
// and reads on the wire end at once, a write on the wire finishes, and the engine's reconcile
// stops with nothing more read.
import { afterEach, describe, expect, it } from 'vitest';
import { CreateOrganizationalUnitCommand, ListOrganizationalUnitsForParentCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { isAbortError, StopRequested, withAbortSignal } from '../../controller/aws/abort.js';
import { ReconcileAborted, reconcile } from '../../controller/engine.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { TEST_CREDENTIALS, TEST_REGION, useMoto } from '../support/moto.js';

const moto = useMoto();
let clients: AwsClients | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  await proxy?.stop();
  proxy = undefined;
});

const open = (endpoint: string, tps = 0) => {
  clients = createAwsClients({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    rateLimits: { Organizations: { tps, burst: 1, maxConcurrent: 0 } },
  });
  return clients;
};
const settle = async <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );

describe('stopping AWS calls', () => {
  it('ends reads queued for a 1 call/s limit at once, and counts only the calls really made', async () => {
    const c = open(moto.endpoint, 1);
    const stop = new AbortController();
    const reads = withAbortSignal(stop.signal, () => Array.from({ length: 20 }, () => settle(c.organizations.send(new ListRootsCommand({})))));
    await new Promise((r) => setTimeout(r, 1_200)); // two have had their token by now
    const t0 = Date.now();
    stop.abort(new StopRequested('SIGTERM'));
    const outcomes = await Promise.all(reads);
    expect(Date.now() - t0).toBeLessThan(300);
    const aborted = outcomes.filter((o) => isAbortError(o.error));
    expect(aborted.length).toBeGreaterThanOrEqual(17);
    expect(outcomes.filter((o) => o.value).length + aborted.length).toBe(20);
    expect(c.calls.total).toBeLessThanOrEqual(3);
  });

  it('cuts a read whose answer is slow to come, and lets a write on the wire finish', async () => {
    proxy = await startFaultProxy({ target: moto.endpoint, latency: { rate: 1, minMs: 1_500, maxMs: 1_500 } });
    const c = open(proxy.endpoint);
    const rootId = (await c.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    const stop = new AbortController();
    const [read, write] = withAbortSignal(stop.signal, () => [
      settle(c.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }))),
      settle(c.organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'InFlight' }))),
    ]);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    stop.abort(new StopRequested('SIGTERM'));
    const r = await read;
    expect(Date.now() - t0).toBeLessThan(500);
    expect(isAbortError(r.error)).toBe(true);
    const w = await write;
    expect(w.error).toBeUndefined();
    expect(w.value?.OrganizationalUnit?.Name).toBe('InFlight');
    const ous = await c.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }));
    expect(ous.OrganizationalUnits?.map((o) => o.Name)).toEqual(['InFlight']);
  });

  it('a stopped reconcile writes nothing and ends in well under its reading time', async () => {
    const c = open(moto.endpoint, 1);
    const stop = new AbortController();
    const ou = { apiVersion: 'orgplane.io/v1alpha1', kind: 'OrganizationalUnit', metadata: { name: 'never' }, spec: { name: 'Never', parent: 'root' } };
    setTimeout(() => stop.abort(new StopRequested('SIGINT')), 1_500);
    const t0 = Date.now();
    const r = await settle(
      reconcile([ou] as Parameters<typeof reconcile>[0], {
        clients: c,
        namespace: 'abort',
        workflowStore: new MemoryWorkflowStore(),
        apply: true,
        signal: stop.signal,
      }),
    );
    const ms = Date.now() - t0;
    expect(isAbortError(r.error) || r.error instanceof ReconcileAborted).toBe(true);
    expect(ms).toBeLessThan(2_500);
    expect(c.calls.writes()).toBe(0);
    const rootId = (await c.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    expect((await c.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }))).OrganizationalUnits).toEqual([]);
  });
});
