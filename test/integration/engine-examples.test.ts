// Each example organization built from an empty org on a real moto server, then a second
// reconcile that must plan nothing.
import { describe, expect, it } from 'vitest';
import { useMoto } from '../support/moto.js';
import { EXAMPLE_GROUPS } from '../../scripts/emulator-seed.js';
import { apply, clientsFor, example, plan, shape } from '../support/engine.js';

describe.each(['securecart', 'eight-ou', 'reference', 'guardrails'])('example %s', (name) => {
  // securecart's roles attach AWS managed IAM policies and its permission sets name IdP groups.
  const moto = useMoto(name === 'securecart' ? { groups: EXAMPLE_GROUPS, iamManagedPolicies: true } : {});

  it('builds from empty, then a second reconcile plans zero changes', async () => {
    const clients = clientsFor(moto.endpoint);
    const resources = example(name);
    const first = await apply(resources, clients);
    expect(first.errors).toEqual([]);
    expect(first.applied.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(first.pending.ops.map((o) => o.summary)).toEqual([]);

    const ous = resources.filter((r) => r.kind === 'OrganizationalUnit');
    const accounts = resources.filter((r) => r.kind === 'Account');
    const built = await shape(clients);
    expect(built.ous).toHaveLength(ous.length);
    // + the management account
    expect(built.accounts).toHaveLength(accounts.length + 1);
    for (const r of Object.values(first.statuses)) {
      expect(r.conditions.find((c) => c.type === 'Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
      expect(r.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    }

    clients.calls.reset();
    const second = await plan(resources, clients);
    if (process.env.ORGPLANE_PRINT_CALLS)
      console.log(`NOOP-CALLS ${name} total=${clients.calls.total} ${JSON.stringify(Object.fromEntries(clients.calls.byOperation))}`);
    expect(second.plan.ops).toEqual([]);
    expect(clients.calls.writes()).toBe(0);
    expect(await shape(clients)).toEqual(built);
    clients.destroy();
  });
});
