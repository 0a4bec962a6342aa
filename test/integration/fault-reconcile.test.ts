// Full example reconciles through the fault proxy (throttling as 400 and 429, concurrent
// modification, 500/503, latency, connection resets before and after moto acted) at several
// rates: reconcile again until nothing is pending, then the organization must equal a fault-free
// run's, hold no duplicates, and every status written along the way must have told the truth.
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyResource } from '../../controller/api/schemas.js';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { UNLIMITED } from '../../controller/aws/middleware.js';
import type { ReconcileResult } from '../../controller/engine.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import { EXAMPLE_GROUPS } from '../../scripts/emulator-seed.js';
import { apply, clientsFor, example, plan, shape } from '../support/engine.js';
import { accessShape, findDuplicates, startFaultProxy, type FaultKind, type FaultProxy } from '../support/fault-proxy.js';
import { createOrganization, TEST_CREDENTIALS, TEST_REGION, useMoto, type MotoServer } from '../support/moto.js';

const MAX_RUNS = 6;
const orgOnly = (rs: AnyResource[]) => rs.filter((r) => r.kind !== 'PermissionSet' && r.kind !== 'CrossAccountRole');

/** A total fault rate spread over every kind (throttling most, as AWS does). */
function rates(total: number): Partial<Record<FaultKind, number>> {
  const share: Record<FaultKind, number> = {
    throttle400: 0.2,
    throttle429: 0.15,
    concurrentModification: 0.15,
    error500: 0.1,
    error503: 0.1,
    reset: 0.15,
    resetAfterForward: 0.15,
  };
  return Object.fromEntries(Object.entries(share).map(([k, v]) => [k, total * v]));
}

const RECOVERABLE = ['Throttled', 'RetryableError', 'ReconcileError', 'DependencyFailed'];
const opLines = (r: { ops: { resource: string; summary: string }[] }) => r.ops.map((o) => `${o.resource}: ${o.summary}`).sort();

/**
 * Status must say what is true in AWS (read directly, not through the proxy): nothing reported
 * synced that a fresh plan still wants to change, every op that did not succeed and is still
 * needed reported with a recoverable reason, Ready only for objects that exist.
 */
async function expectTruthfulStatus(result: ReconcileResult, direct: AwsClients, resources: AnyResource[]): Promise<void> {
  const truth = await plan(resources, direct);
  // The engine's own re-plan (read through the faulty proxy) agrees with the truth.
  expect(opLines(result.pending)).toEqual(opLines(truth.plan));
  const pending = new Set(truth.plan.ops.map((o) => o.resource));
  const notDone = new Set(result.applied.filter((r) => r.status !== 'succeeded').map((r) => r.resource));
  for (const [key, status] of Object.entries(result.statuses)) {
    const synced = status.conditions.find((c) => c.type === 'Synced');
    const ready = status.conditions.find((c) => c.type === 'Ready');
    if (pending.has(key)) {
      expect({ key, status: synced?.status }).toEqual({ key, status: 'False' });
      if (notDone.has(key)) expect(RECOVERABLE, `${key}: ${synced?.reason} ${synced?.message}`).toContain(synced?.reason);
    } else if (!notDone.has(key)) {
      expect({ key, synced: synced?.status, reason: synced?.reason }).toEqual({ key, synced: 'True', reason: 'ReconcileSuccess' });
    }
    if (ready?.status === 'True' && !(key in truth.ids) && !key.startsWith('CrossAccountRole/')) {
      throw new Error(`${key} says Ready=True but does not exist in AWS`);
    }
  }
}

interface FaultRun {
  runs: number;
  /** Runs with at least one op that did not succeed. */
  failedRuns: number;
  /** Runs that threw (a read failed past its retries). */
  thrown: string[];
  faults: number;
}

/** Reconciles through the proxy until a run leaves nothing pending (at most MAX_RUNS runs). */
async function reconcileUntilConverged(
  resources: AnyResource[],
  proxy: FaultProxy,
  direct: AwsClients,
  clients: AwsClients = clientsFor(proxy.endpoint),
  maxRuns = MAX_RUNS,
  concurrency?: number,
): Promise<FaultRun> {
  const store = new MemoryWorkflowStore();
  const out: FaultRun = { runs: 0, failedRuns: 0, thrown: [], faults: 0 };
  try {
    for (let i = 0; i < maxRuns; i++) {
      out.runs++;
      let result: ReconcileResult;
      try {
        result = await apply(resources, clients, { store, concurrency });
      } catch (e) {
        out.thrown.push((e as Error).message);
        continue;
      }
      expect(result.errors).toEqual([]);
      const failed = result.applied.some((r) => r.status !== 'succeeded');
      if (failed) out.failedRuns++;
      await expectTruthfulStatus(result, direct, resources);
      if (!failed && result.pending.ops.length === 0) break;
    }
  } finally {
    clients.destroy();
  }
  out.faults = proxy.injected().filter((f) => f.kind !== 'latency').length;
  return out;
}

/** Clients whose retry budget faults can outlast: ops really fail, and status must say so. */
const impatientClients = (endpoint: string): AwsClients =>
  createAwsClients({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    rateLimits: UNLIMITED,
  });

/** The first call of every create loses its answer after moto acted on it. */
const LOST_CREATES = [
  'CreateOrganizationalUnit',
  'CreateAccount',
  'CreatePolicy',
  'AttachPolicy',
  'MoveAccount',
  'TagResource',
  'CreatePermissionSet',
  'CreateAccountAssignment',
  'ProvisionPermissionSet',
  'PutInlinePolicyToPermissionSet',
  'AttachManagedPolicyToPermissionSet',
  'CreateRole',
  'AttachRolePolicy',
  'PutRolePolicy',
].flatMap((operation) => [1, 2].map((nth) => ({ operation, nth, kind: 'resetAfterForward' as const })));

async function expectNoDuplicates(direct: AwsClients): Promise<void> {
  expect(await findDuplicates(direct)).toEqual({ accounts: [], ous: [], policies: [], permissionSets: [], assignments: [] });
}

interface Baseline {
  org: Awaited<ReturnType<typeof shape>>;
  access?: Awaited<ReturnType<typeof accessShape>>;
}

/** The fault-free end state of an example, built once per file, then moto is wiped again. */
async function baselineOf(
  cache: Map<string, Baseline>,
  name: string,
  resources: AnyResource[],
  server: MotoServer,
  groups: string[],
  withAccess: boolean,
): Promise<Baseline> {
  const hit = cache.get(name);
  if (hit) return hit;
  const direct = clientsFor(server.endpoint);
  try {
    const r = await apply(resources, direct);
    expect(r.applied.filter((x) => x.status !== 'succeeded')).toEqual([]);
    expect(r.pending.ops).toEqual([]);
    const b: Baseline = { org: await shape(direct), access: withAccess ? await accessShape(direct) : undefined };
    cache.set(name, b);
    await server.reset();
    await createOrganization(server.endpoint, groups);
    return b;
  } finally {
    direct.destroy();
  }
}

const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

describe('organization examples converge through faults', () => {
  const moto = useMoto();
  const baselines = new Map<string, Baseline>();

  const cases: [string, number, number][] = [
    ['eight-ou', 0.05, 11],
    ['eight-ou', 0.2, 12],
    ['eight-ou', 0.4, 13],
    ['reference', 0.05, 21],
    ['reference', 0.2, 22],
    ['reference', 0.4, 23],
    ['securecart', 0.3, 31],
  ];
  it.each(cases)('%s at fault rate %s (seed %s): same end state as fault-free, no duplicates, truthful status', async (name, rate, seed) => {
    const resources = orgOnly(example(name));
    const base = await baselineOf(baselines, name, resources, moto.server, [], false);
    const proxy = await startFaultProxy({ target: moto.endpoint, seed, rates: rates(rate), latency: { rate: rate / 2, minMs: 1, maxMs: 40 } });
    proxies.push(proxy);
    const direct = clientsFor(moto.endpoint);
    try {
      const run = await reconcileUntilConverged(resources, proxy, direct);
      // Faults really happened, including writes that moto did and whose answer was lost.
      expect(run.faults).toBeGreaterThan(0);
      if (rate >= 0.2) expect(proxy.totalFaults('resetAfterForward')).toBeGreaterThan(0);

      proxy.configure({ rates: {}, latency: undefined });
      expect(opLines((await plan(resources, direct)).plan)).toEqual([]);
      expect(await shape(direct)).toEqual(base.org);
      await expectNoDuplicates(direct);
      console.log(`${name}@${rate}: ${run.runs} run(s), ${run.failedRuns} with failed ops, ${run.thrown.length} thrown, ${run.faults} faults`, run.thrown);
    } finally {
      direct.destroy();
    }
  });

  it.each(['eight-ou', 'reference'])(
    '%s: the first two answers of every create/attach/move are lost after moto acted: adopted, never duplicated',
    async (name) => {
      const resources = orgOnly(example(name));
      const base = await baselineOf(baselines, name, resources, moto.server, [], false);
      const proxy = await startFaultProxy({ target: moto.endpoint, seed: 51, script: LOST_CREATES });
      proxies.push(proxy);
      const direct = clientsFor(moto.endpoint);
      try {
        const run = await reconcileUntilConverged(resources, proxy, direct);
        expect(proxy.counters()['organizations:CreateAccount'].faults).toEqual({ resetAfterForward: 2 });
        expect(proxy.counters()['organizations:CreateOrganizationalUnit'].faults).toEqual({ resetAfterForward: 2 });
        expect(opLines((await plan(resources, direct)).plan)).toEqual([]);
        expect(await shape(direct)).toEqual(base.org);
        await expectNoDuplicates(direct);
        console.log(`${name} lost answers: ${run.runs} run(s), ${run.failedRuns} with failed ops, ${run.thrown.length} thrown`, run.thrown);
      } finally {
        direct.destroy();
      }
    },
  );

  it.each([
    ['eight-ou', 0.3, 63],
    ['reference', 0.4, 62],
  ] as [string, number, number][])('%s at rate %s with a 2-attempt retry budget: ops fail, statuses say so, later runs converge', async (name, rate, seed) => {
    const resources = orgOnly(example(name));
    const base = await baselineOf(baselines, name, resources, moto.server, [], false);
    const proxy = await startFaultProxy({ target: moto.endpoint, seed, rates: rates(rate), onlyWrites: true });
    proxies.push(proxy);
    const direct = clientsFor(moto.endpoint);
    try {
      // Each run gets only part of a deep chain (create -> place -> attach) through: allow more runs.
      // One write at a time: the proxy numbers calls per operation, so with concurrent writes
      // which attempts meet a fault (and so whether any op runs out of attempts) would depend
      // on how they interleave; sequential writes make the seeded schedule decide.
      const run = await reconcileUntilConverged(resources, proxy, direct, impatientClients(proxy.endpoint), 10, 1);
      // Faults outlasted the retries in at least one run: the status checks saw real failures.
      expect(run.failedRuns).toBeGreaterThan(0);
      expect(opLines((await plan(resources, direct)).plan)).toEqual([]);
      expect(await shape(direct)).toEqual(base.org);
      await expectNoDuplicates(direct);
      console.log(
        `${name}@${rate} impatient: ${run.runs} run(s), ${run.failedRuns} with failed ops, ${run.thrown.length} thrown, ${run.faults} faults`,
        run.thrown,
      );
    } finally {
      direct.destroy();
    }
  });
});

// securecart's access part without the two roles that attach AWS managed IAM policies: loading
// those into every member account's IAM makes moto ~10x slower, and DeploymentRole (inline
// policy, trust, path, tags) exercises the same IAM writes through sts:AssumeRole.
const SSO_CREATES = ['CreatePermissionSet', 'CreateAccountAssignment'];
const ACCESS_FAST = (rs: AnyResource[]) => rs.filter((r) => r.kind !== 'CrossAccountRole' || r.metadata.name === 'deployment-role');

describe('securecart with Identity Center and a cross-account role converges through faults', () => {
  const moto = useMoto({ groups: EXAMPLE_GROUPS });
  const baselines = new Map<string, Baseline>();

  it('at fault rate 0.2 with lost answers on creates: permission sets, assignments and roles end as fault-free, none duplicated', async () => {
    const resources = ACCESS_FAST(example('securecart'));
    const base = await baselineOf(baselines, 'securecart', resources, moto.server, EXAMPLE_GROUPS, true);
    // Every write, the two SSO creates included, loses its first two answers.
    const script = LOST_CREATES;
    const proxy = await startFaultProxy({ target: moto.endpoint, seed: 41, rates: rates(0.2), latency: { rate: 0.1, minMs: 1, maxMs: 30 }, script });
    proxies.push(proxy);
    const direct = clientsFor(moto.endpoint);
    try {
      const run = await reconcileUntilConverged(resources, proxy, direct);
      const faulted = (prefix: string) => Object.entries(proxy.counters()).filter(([k, s]) => k.startsWith(prefix) && Object.keys(s.faults).length > 0);
      expect(faulted('sso:').length).toBeGreaterThan(0);
      expect(faulted('iam:').length).toBeGreaterThan(0);

      expect(opLines((await plan(resources, direct)).plan)).toEqual([]);
      expect(await shape(direct)).toEqual(base.org);
      expect(await accessShape(direct)).toEqual(base.access);
      await expectNoDuplicates(direct);
      console.log(
        `securecart+access@0.2: ${run.runs} run(s), ${run.failedRuns} with failed ops, ${run.thrown.length} thrown, ${run.faults} faults`,
        run.thrown,
      );
    } finally {
      direct.destroy();
    }
  });

  // The answer to a create is lost after the endpoint acted (resetAfterForward). The create is
  // not resent blindly (aws/middleware.ts NON_IDEMPOTENT_OPERATIONS); the writer looks the object
  // up first (aws/access-writer.ts, isAmbiguousFailure), so no second permission set or
  // assignment appears even on an endpoint that does not enforce uniqueness.
  it.each(SSO_CREATES)('a lost %s answer leaves no duplicate behind', async (operation) => {
    const resources = ACCESS_FAST(example('securecart'));
    await baselineOf(baselines, 'securecart', resources, moto.server, EXAMPLE_GROUPS, true);
    const proxy = await startFaultProxy({ target: moto.endpoint, seed: 42, script: [{ operation, nth: 1, kind: 'resetAfterForward' }] });
    proxies.push(proxy);
    const direct = clientsFor(moto.endpoint);
    try {
      await reconcileUntilConverged(resources, proxy, direct);
      await expectNoDuplicates(direct);
    } finally {
      direct.destroy();
    }
  });
});
