import { describe, expect, it } from 'vitest';
import { planOrg } from '../../controller/plan/diff.js';
import {
  ALLOW_ALL,
  DENY_ROOT,
  MGMT_ID,
  NS,
  ROOT_ID,
  addAccount,
  addOU,
  addPolicy,
  applyPlan,
  baseActual,
  dAccount,
  dOU,
  dPolicy,
  desiredOrg,
  opsOf,
  orderingViolations,
  own,
  pos,
  toOU,
} from './plan-fixtures.js';

type Desired = ReturnType<typeof desiredOrg>;
type Actual = ReturnType<typeof baseActual>;
const plan = (d: Desired, a: Actual, extra: Partial<Parameters<typeof planOrg>[2]> = {}) => planOrg(d, a, { namespace: NS, ...extra });

/** Ten managed objects that stay (so a couple of deletions stay under the 25% breaker). */
function keepers(a: Actual): Desired {
  const ous = [];
  for (let i = 0; i < 10; i++) {
    addOU(a, `ou-ab12-keep000${i}`, `Keep${i}`, ROOT_ID, own(`OrganizationalUnit/keep${i}`));
    ous.push(dOU(`keep${i}`, 'root', { name: `Keep${i}` }));
  }
  return desiredOrg({ ous });
}

describe('deletions follow the deletion-policy tag', () => {
  it('Retain: removes the orgplane.io/ tags (stop managing) and the next plan reports the object unmanaged', () => {
    const a = baseActual();
    const d = keepers(a);
    addOU(a, 'ou-ab12-gone0000', 'Gone', ROOT_ID, { ...own('OrganizationalUnit/gone', 'Retain'), team: 'x' });
    const p = plan(d, a);
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({
      op: 'UntagResource',
      resource: 'OrganizationalUnit/gone',
      target: { id: 'ou-ab12-gone0000' },
      tagKeys: ['orgplane.io/deletion-policy', 'orgplane.io/managed-by', 'orgplane.io/owner'],
      summary:
        'release OrganizationalUnit Gone (ou-ab12-gone0000) (deletionPolicy Retain, manifest removed): remove its orgplane.io/ tags and stop managing it',
    });
    const after = applyPlan(a, p);
    expect(after.ous['ou-ab12-gone0000'].tags).toEqual({ team: 'x' });
    const p2 = plan(d, after);
    expect(p2.ops).toEqual([]);
    expect(p2.unmanaged).toEqual(['OrganizationalUnit Gone (ou-ab12-gone0000)']);
  });

  it('Delete: deletes an empty OU; refuses one that still holds an account', () => {
    const a = baseActual();
    const d = keepers(a);
    addOU(a, 'ou-ab12-empty000', 'Empty', ROOT_ID, own('OrganizationalUnit/empty', 'Delete'));
    addOU(a, 'ou-ab12-full0000', 'Full', ROOT_ID, own('OrganizationalUnit/full', 'Delete'));
    addAccount(a, '222222222222', 'Stays', 'stays@example.com', 'ou-ab12-full0000', { tags: {} });
    const p = plan(d, a);
    expect(p.ops.map((o) => [o.op, o.resource])).toEqual([['DeleteOU', 'OrganizationalUnit/empty']]);
    expect(p.ops[0].summary).toBe('delete OU Empty (ou-ab12-empty000) (deletionPolicy Delete, manifest removed)');
    expect(p.blocked).toEqual([
      {
        resource: 'OrganizationalUnit/full',
        reason: 'NotEmpty',
        message: 'OU Full (ou-ab12-full0000) is not deleted: it would still hold 1 account(s) (Stays) that no manifest moves out',
      },
    ]);
  });

  it('Delete: deletes nested OUs bottom-up and after the accounts are moved out', () => {
    const a = baseActual();
    const d = keepers(a);
    d.quotas.maxDeleteFraction = 0.5;
    addOU(a, 'ou-ab12-parent00', 'Parent', ROOT_ID, own('OrganizationalUnit/parent', 'Delete'));
    addOU(a, 'ou-ab12-child000', 'Child', 'ou-ab12-parent00', own('OrganizationalUnit/child', 'Delete'));
    addAccount(a, '222222222222', 'App', 'app@example.com', 'ou-ab12-child000', { tags: own('Account/app') });
    d.accounts['app'] = dAccount('app', 'app@example.com', 'keep0', { name: 'App' });
    const p = plan(d, a);
    expect(orderingViolations(p)).toEqual([]);
    const [mv] = opsOf(p, 'MoveAccount');
    const dels = opsOf(p, 'DeleteOU');
    expect(dels.map((o) => o.ouId)).toEqual(['ou-ab12-child000', 'ou-ab12-parent00']);
    expect(dels[0].deps).toContain(mv.id);
    expect(dels[1].deps).toContain(dels[0].id);
  });

  it('Delete: detaches a policy from every target, then deletes it', () => {
    const a = baseActual();
    const d = keepers(a);
    addPolicy(a, 'p-old00001', 'old-guard', DENY_ROOT, ['ou-ab12-keep0000', 'ou-ab12-keep0001'], own('ServiceControlPolicy/old-guard', 'Delete'));
    const p = plan(d, a);
    expect(orderingViolations(p)).toEqual([]);
    expect(p.ops.map((o) => o.op)).toEqual(['DetachPolicy', 'DetachPolicy', 'DeletePolicy']);
    expect(p.ops[2].deps).toEqual(['op-1', 'op-2']);
    expect(applyPlan(a, p).policies['p-old00001']).toBeUndefined();
  });

  it('Close closes the account; Remove removes it; an already closed account is left alone', () => {
    const a = baseActual();
    const d = keepers(a);
    d.quotas.maxDeleteFraction = 0.5;
    addAccount(a, '222222222222', 'Closing', 'c@example.com', ROOT_ID, { tags: own('Account/closing', 'Close') });
    addAccount(a, '333333333333', 'Leaving', 'l@example.com', ROOT_ID, { tags: own('Account/leaving', 'Remove') });
    addAccount(a, '444444444444', 'Closed', 'x@example.com', ROOT_ID, { tags: own('Account/closed', 'Close'), state: 'SUSPENDED' });
    const p = plan(d, a);
    expect(p.ops.map((o) => [o.op, o.resource])).toEqual([
      ['CloseAccount', 'Account/closing'],
      ['RemoveAccount', 'Account/leaving'],
    ]);
    expect(p.ops[0].summary).toBe('close account Closing (222222222222) (deletionPolicy Close, manifest removed)');
    expect(p.blocked).toEqual([]);
  });

  it('never closes the management account', () => {
    const a = baseActual();
    const d = keepers(a);
    a.accounts[MGMT_ID].tags = own('Account/mgmt', 'Close');
    const p = plan(d, a);
    expect(p.ops).toEqual([]);
    expect(p.blocked).toEqual([
      {
        resource: 'Account/mgmt',
        reason: 'ManagementAccount',
        message: 'Account Management (111111111111) is the management account; orgplane never closes or removes it (deletionPolicy Close ignored)',
      },
    ]);
  });

  it('limits account closures per run (QuotaGuard)', () => {
    const a = baseActual();
    const d = keepers(a);
    d.quotas.maxDeleteFraction = 0.5;
    addAccount(a, '222222222222', 'A', 'a@example.com', ROOT_ID, { tags: own('Account/a', 'Close') });
    addAccount(a, '333333333333', 'B', 'b@example.com', ROOT_ID, { tags: own('Account/b', 'Close') });
    const p = plan(d, a);
    expect(p.ops.map((o) => [o.op, o.resource])).toEqual([['CloseAccount', 'Account/a']]);
    expect(p.blocked).toEqual([
      {
        resource: 'Account/b',
        reason: 'QuotaGuard',
        message: 'Account B (333333333333): account closure limit reached (1 per run, quotas.maxAccountClosuresPerRun); it is closed in a later run',
      },
    ]);
  });

  it('never deletes what a resource left out by validation describes', () => {
    const a = baseActual();
    const d = keepers(a);
    addOU(a, 'ou-ab12-broken00', 'Broken', ROOT_ID, own('OrganizationalUnit/broken', 'Delete'));
    const p = plan(d, a, { invalid: new Set(['OrganizationalUnit/broken']) });
    expect(p.ops).toEqual([]);
    expect(p.unmanaged).toEqual([]);
    // The same protection for resources blocked upstream.
    const blocked = [{ resource: 'OrganizationalUnit/broken', reason: 'InvalidSpec' as const, message: 'spec.parent: unknown' }];
    const p2 = plan(d, a, { blocked });
    expect(p2.ops).toEqual([]);
    expect(p2.blocked).toEqual(blocked);
  });
});

describe('deletion circuit breaker', () => {
  it('refuses every deletion when more than maxDeleteFraction of managed objects would go', () => {
    const a = baseActual();
    const d = desiredOrg({ ous: [dOU('a', 'root', { name: 'A', deletionPolicy: 'Delete' }), dOU('b', 'root', { name: 'B', deletionPolicy: 'Delete' })] });
    for (const n of ['a', 'b', 'c', 'd']) addOU(a, `ou-ab12-${n}0000000`, n.toUpperCase(), ROOT_ID, own(`OrganizationalUnit/${n}`, 'Delete'));
    const p = plan(d, a);
    expect(p.ops).toEqual([]);
    const msg = 'would delete 2 of 4 managed objects (50% > 25% limit): an empty or truncated manifest set? nothing was deleted';
    expect(p.blocked).toEqual([
      { resource: 'OrganizationalUnit/c', reason: 'DeletionCircuitBreaker', message: `OrganizationalUnit C (ou-ab12-c0000000): ${msg}` },
      { resource: 'OrganizationalUnit/d', reason: 'DeletionCircuitBreaker', message: `OrganizationalUnit D (ou-ab12-d0000000): ${msg}` },
    ]);
    expect(p.warnings).toEqual([`deletion circuit breaker: ${msg}`]);
    // Raising the limit lets the same deletions through.
    d.quotas.maxDeleteFraction = 0.5;
    expect(plan(d, a).ops.map((o) => o.op)).toEqual(['DeleteOU', 'DeleteOU']);
  });

  it('refuses everything when the manifest set is empty but managed objects exist', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-a0000000', 'A', ROOT_ID, own('OrganizationalUnit/a', 'Delete'));
    addAccount(a, '222222222222', 'App', 'app@example.com', 'ou-ab12-a0000000', { tags: own('Account/app', 'Close') });
    addPolicy(a, 'p-guard0001', 'guard', DENY_ROOT, ['ou-ab12-a0000000'], own('ServiceControlPolicy/guard', 'Delete'));
    const d = desiredOrg({ quotas: { maxDeleteFraction: 1 } });
    const p = plan(d, a);
    expect(p.ops).toEqual([]);
    // The OU is not even a candidate: a closed account still sits in it.
    expect(p.blocked.map((b) => [b.resource, b.reason])).toEqual([
      ['OrganizationalUnit/a', 'NotEmpty'],
      ['Account/app', 'DeletionCircuitBreaker'],
      ['ServiceControlPolicy/guard', 'DeletionCircuitBreaker'],
    ]);
    expect(p.warnings).toEqual([
      'deletion circuit breaker: the manifest set is empty: would delete 2 of 3 managed objects (67% <= 100% limit): an empty or truncated manifest set? nothing was deleted',
    ]);
  });
});

describe('paused resources', () => {
  it("drops a paused resource's ops and reports them", () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-apps0000', 'Apps', ROOT_ID, own('OrganizationalUnit/apps'));
    addAccount(a, '222222222222', 'Shop', 'shop@example.com', ROOT_ID, { tags: own('Account/shop') });
    const d = desiredOrg({
      ous: [dOU('apps', 'root', { name: 'Apps' })],
      accounts: [dAccount('shop', 'shop@example.com', 'apps', { name: 'Shop', paused: true })],
    });
    const p = plan(d, a);
    expect(p.ops).toEqual([]);
    expect(p.blocked).toEqual([
      {
        resource: 'Account/shop',
        reason: 'Paused',
        message:
          'reconciliation is paused (orgplane.io/paused): 1 planned change(s) not applied: move account Shop (222222222222) from Root to Apps (ou-ab12-apps0000)',
      },
    ]);
    expect(p.drift['Account/shop']).toEqual(['in Root, manifest says Apps (ou-ab12-apps0000)']);
  });

  it('holds what depends on a paused OU that is not created yet', () => {
    const d = desiredOrg({
      ous: [dOU('apps', 'root', { name: 'Apps', paused: true }), dOU('other')],
      accounts: [dAccount('shop', 'shop@example.com', 'apps', { name: 'Shop' })],
    });
    const p = plan(d, baseActual());
    expect(p.ops.map((o) => o.resource)).toEqual(['OrganizationalUnit/other']);
    expect(p.blocked).toEqual([
      {
        resource: 'OrganizationalUnit/apps',
        reason: 'Paused',
        message: 'reconciliation is paused (orgplane.io/paused): 1 planned change(s) not applied: create OU Apps under Root',
      },
      { resource: 'Account/shop', reason: 'DependencyInvalid', message: 'waits for "create OU Apps under Root", which is not applied in this run' },
    ]);
  });
});

describe('unmanaged objects', () => {
  function org() {
    const a = baseActual();
    addOU(a, 'ou-ab12-sandbox0', 'Sandbox', ROOT_ID, {});
    addOU(a, 'ou-ab12-theirs00', 'Theirs', ROOT_ID, { 'orgplane.io/owner': 'team-b/OrganizationalUnit/theirs', 'orgplane.io/managed-by': 'orgplane' });
    addAccount(a, '222222222222', 'Lab', 'lab@example.com', ROOT_ID, { tags: {} });
    addPolicy(a, 'p-handmade1', 'handmade', ALLOW_ALL, ['ou-ab12-sandbox0']);
    return a;
  }
  const d = () => desiredOrg({ ous: [dOU('apps', 'root', { name: 'Apps' })] });

  it('reports objects no manifest describes and no namespace owns, and leaves them alone', () => {
    const p = plan(d(), org());
    expect(p.unmanaged).toEqual(['Account Lab (222222222222)', 'OrganizationalUnit Sandbox (ou-ab12-sandbox0)', 'ServiceControlPolicy handmade (p-handmade1)']);
    expect(p.ops.map((o) => o.op)).toEqual(['CreateOU']);
  });

  it('prunes unmanaged OUs and SCPs when pruneUnmanaged is on, never accounts', () => {
    const desired = d();
    desired.quotas.pruneUnmanaged = true;
    desired.quotas.maxDeleteFraction = 1;
    const a = org();
    addOU(a, 'ou-ab12-apps0000', 'Apps', ROOT_ID, own('OrganizationalUnit/apps'));
    const p = plan(desired, a);
    expect(orderingViolations(p)).toEqual([]);
    expect(p.ops.map((o) => [o.op, o.resource])).toEqual([
      ['DetachPolicy', 'ServiceControlPolicy/p-handmade1'],
      ['DeletePolicy', 'ServiceControlPolicy/p-handmade1'],
      ['DeleteOU', 'OrganizationalUnit/ou-ab12-sandbox0'],
    ]);
    expect(p.warnings).toEqual([
      'pruneUnmanaged never closes or removes accounts: 1 unmanaged account(s) left as they are (describe them with an Account manifest and a deletionPolicy to remove them)',
    ]);
    // Pruning is still under the breaker: 2 of 3 objects in scope (67% > 25%).
    desired.quotas.maxDeleteFraction = 0.25;
    expect(plan(desired, a).ops).toEqual([]);
  });

  it('deletions come last and after every other op', () => {
    const a = baseActual();
    const d2 = keepers(a);
    addOU(a, 'ou-ab12-gone0000', 'Gone', ROOT_ID, own('OrganizationalUnit/gone', 'Delete'));
    d2.ous['new1'] = dOU('new1');
    d2.policies['p'] = dPolicy('p', DENY_ROOT, [toOU('keep1'), toOU('new1')]);
    const p = plan(d2, a);
    const del = opsOf(p, 'DeleteOU')[0];
    expect(pos(p, del.id)).toBe(p.ops.length - 1);
    // Transitively after everything: its deps are the sinks of the rest of the plan.
    const reach = new Set<string>();
    const byId = new Map(p.ops.map((o) => [o.id, o]));
    const walk = (id: string): void => {
      for (const x of byId.get(id)!.deps)
        if (!reach.has(x)) {
          reach.add(x);
          walk(x);
        }
    };
    walk(del.id);
    expect(reach.size).toBe(p.ops.length - 1);
  });
});
