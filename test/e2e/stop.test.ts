// Stopping the controller, against a real kube-apiserver and moto: a whole-org reconcile slowed
// down on purpose (--aws-tps 1 over a synthetic organization) is stopped by SIGTERM within a few
// seconds, the Lease is released and a follower takes over at once; a write in flight when the
// SIGTERM comes finishes, and nothing is started after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrganizationsClient, ListOrganizationalUnitsForParentCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { startMoto, createOrganization, TEST_CREDENTIALS, TEST_REGION, type MotoServer } from '../support/moto.js';
import { startFaultProxy, type FaultProxy, type ForwardedRequest } from '../support/fault-proxy.js';
import { generateSyntheticOrg, loadIntoMoto } from '../support/synthetic-org.js';
import { REPO, kubectlFor, startController, startTestenv, waitFor, type ControllerProcess, type Testenv } from './support/testenv.js';

const NS = 'stopping';
const T = 240_000;
/** What "promptly" means here, whatever the organization's size. */
const STOP_BUDGET_MS = 5_000;
/** Production's lease duration: a takeover sooner than this can only come from a released Lease. */
const LEASE = ['--lease-duration', '15s'];
const env = await startTestenv();
const LOGS = `/tmp/orgplane-e2e-stop-logs-${process.pid}`;
const skip = 'skip' in env ? env.skip : undefined;
if (skip && process.env.CI) throw new Error(`[e2e] the real API server could not start: ${skip}`);
if (skip) console.warn(`[e2e] stop tests skipped: the real API server could not start: ${skip}`);

interface LeaseSpec {
  holderIdentity?: string;
  leaseTransitions?: number;
}

describe.skipIf(skip !== undefined)(`stopping the controller${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const te = env as Testenv;
  const kubectl = kubectlFor(te.kubeconfig);
  let moto: MotoServer;
  let proxy: FaultProxy;
  let org: OrganizationsClient;
  let rootId: string;
  let onForwarded: ((r: ForwardedRequest) => Promise<void> | void) | undefined;
  let reads = 0;
  const controllers: ControllerProcess[] = [];

  const start = async (name: string, extra: string[] = []) => {
    const c = await startController({ name, kubeconfig: te.kubeconfig, namespace: NS, endpoint: proxy.endpoint, dir: LOGS, extra: [...LEASE, ...extra] });
    controllers.push(c);
    return c;
  };
  const lease = async (): Promise<LeaseSpec> =>
    (JSON.parse(await kubectl(['get', 'lease', 'orgplane-e2e', '-n', NS, '-o', 'json'])) as { spec: LeaseSpec }).spec;
  const leads = (c: ControllerProcess) => waitFor(`${c.name} to lead`, async () => (await lease()).holderIdentity === c.identity, 60_000, 200);
  /** SIGTERM, then how long the process took to exit and with what code. */
  const sigterm = async (c: ControllerProcess): Promise<{ ms: number; code: number | null }> => {
    const t0 = Date.now();
    c.child.kill('SIGTERM');
    const code = await c.exited;
    return { ms: Date.now() - t0, code };
  };
  const ouNamed = async (parentId: string, name: string) =>
    ((await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId }))).OrganizationalUnits ?? []).filter((o) => o.Name === name);

  beforeAll(async () => {
    await kubectl(['apply', '-k', `${REPO}/crds`]);
    await kubectl(['wait', '--for', 'condition=established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=orgplane']);
    await kubectl(['create', 'namespace', NS]);
    moto = await startMoto();
    await createOrganization(moto.endpoint);
    org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    // An existing organization orgplane never created: a whole-org read of it costs a few hundred
    // calls (lists per OU and per policy, tags per unmanaged account), minutes at 1 call/s.
    await loadIntoMoto(generateSyntheticOrg({ accounts: 60, seed: 9, ownershipTags: false }), moto.endpoint);
    proxy = await startFaultProxy({
      target: moto.endpoint,
      onForwarded: async (r) => {
        if (!r.write) reads++;
        await onForwarded?.(r);
      },
    });
  }, 45 * 60_000);

  afterAll(async () => {
    for (const c of controllers) await c.kill('SIGKILL');
    await proxy?.stop();
    await moto?.stop();
    org?.destroy();
    await te.stop();
  });

  it(
    'stops a slow whole-org reconcile within seconds on SIGTERM, releases the Lease, and the follower takes over at once',
    async () => {
      const slow = await start('slow', ['--aws-tps', '1']);
      await leads(slow);
      const follower = await start('follower', ['--aws-tps', '1']);
      // Mid-reconcile: AWS reads are going on and the run is far from its end.
      const from = reads;
      await waitFor('the reconcile to be reading', async () => reads >= from + 5, 60_000, 200);
      expect(slow.log()).not.toMatch(/"msg":"reconciled"/);

      const stop = await sigterm(slow);
      const afterExit = await lease();
      console.log(`[e2e] SIGTERM mid-reconcile at 1 call/s: exited ${stop.code} after ${stop.ms} ms`);
      expect(stop.code).toBe(0);
      expect(stop.ms).toBeLessThan(STOP_BUDGET_MS);
      // The process has exited: its log is complete once the pipe has drained.
      await waitFor('the log of the stop', async () => /"msg":"stopped"/.test(slow.log()), 5_000, 100);
      expect(slow.log()).toMatch(/"msg":"reconcile stopped before its end"/);
      expect(slow.log()).toMatch(/"msg":"released the lease"/);
      expect(slow.log()).not.toMatch(/"msg":"reconciled"/);
      // Released (holder cleared), or already taken by the follower: never left to expire.
      expect(['', follower.identity]).toContain(afterExit.holderIdentity ?? '');

      const t0 = Date.now();
      await leads(follower);
      const takeover = Date.now() - t0;
      console.log(`[e2e] the follower took the released Lease ${takeover} ms after the leader exited`);
      expect(takeover).toBeLessThan(5_000);
      await waitFor('the follower to log its takeover', async () => /"msg":"became leader"/.test(follower.log()), 5_000, 100);

      // The new leader is itself mid-reconcile at 1 call/s: it stops just as promptly.
      const fromFollower = reads;
      await waitFor('the follower to be reading', async () => reads >= fromFollower + 3, 60_000, 200);
      const second = await sigterm(follower);
      console.log(`[e2e] the follower, stopped mid-reconcile: exited ${second.code} after ${second.ms} ms`);
      expect(second.code).toBe(0);
      expect(second.ms).toBeLessThan(STOP_BUDGET_MS);
      expect((await lease()).holderIdentity ?? '').toBe('');
      expect(follower.log()).toMatch(/"msg":"released the lease"/);
    },
    T,
  );

  it(
    'lets a write in flight finish on SIGTERM, starts nothing after it, and the next leader goes on',
    async () => {
      // Independent of the test above: nobody else may hold the Lease.
      for (const c of controllers) if (c.child.exitCode === null && c.child.signalCode === null) await sigterm(c);
      // A chain of OUs: each create waits for its parent, so exactly one write is in flight.
      await kubectl(
        ['apply', '-n', NS, '-f', '-'],
        `
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: stop-a }
spec: { name: StopA, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: stop-b }
spec: { name: StopB, parent: stop-a }
`,
      );
      const writer = await start('writer');
      let signalledAt = 0;
      // moto has created StopA; its answer is held back while the SIGTERM arrives.
      onForwarded = async (r) => {
        if (r.key !== 'organizations:CreateOrganizationalUnit' || signalledAt) return;
        signalledAt = Date.now();
        writer.child.kill('SIGTERM');
        await new Promise((res) => setTimeout(res, 1000));
      };
      await waitFor('the CreateOrganizationalUnit to be in flight', async () => signalledAt > 0, 120_000, 100);
      const code = await writer.exited;
      const ms = Date.now() - signalledAt;
      onForwarded = undefined;
      console.log(`[e2e] SIGTERM during CreateOrganizationalUnit: exited ${code} after ${ms} ms (1000 ms of it the held answer)`);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(STOP_BUDGET_MS);
      const a = await ouNamed(rootId, 'StopA');
      expect(a).toHaveLength(1);
      expect(await ouNamed(a[0].Id!, 'StopB')).toHaveLength(0);
      await waitFor('the log of the stop', async () => /"msg":"stopped"/.test(writer.log()), 5_000, 100);
      expect(writer.log()).toMatch(/"msg":"reconcile stopped before its end"/);
      expect((await lease()).holderIdentity ?? '').toBe('');

      const next = await start('next');
      await leads(next);
      await waitFor('StopB to be created by the next leader', async () => (await ouNamed(a[0].Id!, 'StopB')).length === 1, 180_000, 1000);
      // The finished write was seen and adopted as ours, never repeated.
      expect(await ouNamed(rootId, 'StopA')).toHaveLength(1);
      const stop = await sigterm(next);
      expect(stop.code).toBe(0);
    },
    T,
  );
});
