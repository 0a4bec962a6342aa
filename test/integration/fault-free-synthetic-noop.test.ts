// The synthetic organization used by the benchmarks and fault tests, with no faults: its
// manifests plan to nothing against what the generator loaded into moto, and each one-line
// change plans to exactly one operation.
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../controller/aws/clients.js';
import { planAll } from '../../controller/engine.js';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';
import { MAX_DEPTH, SCPS_PER_TARGET, generateSyntheticOrg, loadIntoMoto, oneLineChange, syntheticManifests } from '../support/synthetic-org.js';

const NS = 'synthetic';

describe('synthetic organization generator', () => {
  it('is deterministic per seed and has the promised shape', () => {
    const a = generateSyntheticOrg({ accounts: 1000, seed: 5 });
    expect(generateSyntheticOrg({ accounts: 1000, seed: 5 })).toEqual(a);
    expect(generateSyntheticOrg({ accounts: 1000, seed: 6 })).not.toEqual(a);
    expect(a.ous).toHaveLength(100);
    expect(a.policies.length).toBeGreaterThanOrEqual(50);
    expect(new Set(a.ous.map((o) => o.level))).toEqual(new Set([1, 2, 3, 4, 5]));
    const level = new Map(a.ous.map((o) => [o.ref, o.level]));
    for (const ou of a.ous) expect(ou.parent === 'root' ? 0 : level.get(ou.parent)).toBe(ou.level - 1);
    expect(new Set(a.accounts.map((x) => x.email)).size).toBe(1000);
    const perTarget = new Map<string, number>();
    for (const p of a.policies) for (const t of [...p.targets.organizationalUnits, ...p.targets.accounts]) perTarget.set(t, (perTarget.get(t) ?? 0) + 1);
    expect(Math.max(...perTarget.values())).toBeLessThanOrEqual(SCPS_PER_TARGET);
    expect(generateSyntheticOrg({ accounts: 5000 }).ous).toHaveLength(300);
    expect(generateSyntheticOrg({ accounts: 20 }).ous).toHaveLength(MAX_DEPTH);
  });
});

describe('synthetic organization in moto', () => {
  const moto = useMoto();

  it('plans to no change against the loaded org; each one-line change plans exactly one op', async () => {
    const org = generateSyntheticOrg({ accounts: 40, seed: 3, namespace: NS, accountTagShare: 0.5 });
    const loaded = await loadIntoMoto(org, moto.endpoint);
    expect(Object.keys(loaded.accountIds)).toHaveLength(40);
    expect(loaded.calls.CreateAccount).toBe(40);
    // No client-side pacing: this test is about what is planned, not how fast AWS allows it.
    const unpaced = { tps: 0, burst: 0, maxConcurrent: 10 };
    const clients = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, rateLimits: { Organizations: unpaced } });
    try {
      const base = await planAll(syntheticManifests(org), clients, NS);
      expect(base.errors).toEqual([]);
      expect(base.plan.ops.map((o) => o.summary)).toEqual([]);

      const move = oneLineChange(org, 'move-account');
      const moved = await planAll(move.resources, clients, NS);
      expect(moved.plan.ops.map((o) => [o.op, o.resource])).toEqual([['MoveAccount', move.resource]]);

      const scp = oneLineChange(org, 'scp-statement');
      const changed = await planAll(scp.resources, clients, NS);
      expect(changed.plan.ops.map((o) => [o.op, o.resource])).toEqual([['UpdatePolicy', scp.resource]]);
    } finally {
      clients.destroy();
    }
  });
});
