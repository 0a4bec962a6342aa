// The informers' restart path against a real HTTP endpoint that fails: restarts are spaced by
// capped backoff (no request flood), and once the server answers, the informers sync and
// report changes. (The happy path against the real kube-apiserver is in test/e2e.)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { makeApis } from '../../controller/kube/client.js';
import { ResourceWatcher } from '../../controller/kube/informers.js';
import { createLogger } from '../../controller/kube/log.js';

describe('ResourceWatcher restarts', () => {
  let server: Server | undefined;
  let watcher: ResourceWatcher | undefined;
  afterEach(async () => {
    await watcher?.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('retries a failing API server with backoff, then syncs and reports objects', async () => {
    let healthy = false;
    const lists: number[] = [];
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('watch') === 'true') {
        // A watch that stays open with no events, as the API server's does when nothing changes.
        res.writeHead(200, { 'content-type': 'application/json' });
        return;
      }
      lists.push(Date.now());
      if (!healthy) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 500, message: 'etcd unavailable' }));
        return;
      }
      const items = url.pathname.endsWith('/accounts')
        ? [{ apiVersion: 'orgplane.io/v1alpha1', kind: 'Account', metadata: { name: 'dev', namespace: 'org', generation: 1, resourceVersion: '5' }, spec: {} }]
        : [];
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ apiVersion: 'orgplane.io/v1alpha1', kind: 'List', metadata: { resourceVersion: '5' }, items }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const changes: string[] = [];
    watcher = new ResourceWatcher({
      apis: makeApis(kc),
      namespace: 'org',
      log: createLogger('silent'),
      onChange: (r) => changes.push(r),
      backoff: { initialMs: 200, maxMs: 800, resetAfterMs: 60_000 },
    });
    await watcher.start();
    await new Promise((r) => setTimeout(r, 2500));
    expect(watcher.synced()).toBe(false);
    // One informer per watched kind: a first try each, then at most ~2500/(100..800 ms) restarts
    // each — never a tight loop.
    const kinds = watcher.restarts.size;
    expect(kinds).toBeGreaterThanOrEqual(6);
    expect(lists.length).toBeGreaterThanOrEqual(2 * kinds);
    expect(lists.length).toBeLessThanOrEqual(8 * kinds);
    expect([...watcher.restarts.values()].every((n) => n >= 2)).toBe(true);

    healthy = true;
    const deadline = Date.now() + 5000;
    while (!watcher.synced() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(watcher.synced()).toBe(true);
    expect(changes).toContain('add Account/dev');
    expect(watcher.cached().map((o) => o.metadata.name)).toEqual(['dev']);
  });
});
