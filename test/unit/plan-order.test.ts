import { describe, expect, it } from 'vitest';
import { planOrg } from '../../controller/plan/diff.js';
import { orderDrafts, type Draft } from '../../controller/plan/order.js';
import { ScpView, scpDelta } from '../../controller/plan/preflight.js';
import { renderJson } from '../../controller/plan/render.js';
import type { DesiredOrg } from '../../controller/model/desired.js';
import type { Op, Plan } from '../../controller/plan/operations.js';
import {
  ALLOW_ALL,
  DENY_ROOT,
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
  orderingViolations,
  own,
  toAccount,
  toOU,
} from './plan-fixtures.js';

/** Checks the ordering rules on any plan; returns violations as text. */
function ruleViolations(plan: Plan): string[] {
  const out: string[] = [];
  const at = new Map(plan.ops.map((o, i) => [o.id, i]));
  const created = new Map<string, number>();
  plan.ops.forEach((o, i) => {
    if (o.op.startsWith('Create')) created.set(o.resource, i);
  });
  const refIdx = (r: { ref: string } | { id: string }): number => ('ref' in r ? (created.get(r.ref) ?? Infinity) : -1);
  const destructive = new Set(['DeleteOU', 'DeletePolicy', 'CloseAccount', 'RemoveAccount']);
  const firstDestructive = plan.ops.findIndex((o) => destructive.has(o.op));
  plan.ops.forEach((o: Op, i) => {
    if (o.op === 'CreateOU' || o.op === 'CreateAccount') if (refIdx(o.parent) >= i) out.push(`${o.id}: parent not created first`);
    if (o.op === 'AttachPolicy' && (refIdx(o.policy) >= i || refIdx(o.target) >= i)) out.push(`${o.id}: attach before create`);
    if (o.op === 'MoveAccount' && refIdx(o.to) >= i) out.push(`${o.id}: move before destination exists`);
    if (firstDestructive >= 0 && i > firstDestructive && !destructive.has(o.op) && o.op !== 'DetachPolicy' && o.op !== 'UntagResource')
      out.push(`${o.id}: ${o.op} after a deletion`);
  });
  // All attaches to a target precede all detaches from it.
  for (const d of plan.ops) {
    if (d.op !== 'DetachPolicy') continue;
    for (const a of plan.ops) {
      if (a.op === 'AttachPolicy' && 'id' in a.target && a.target.id === d.targetId && at.get(a.id)! > at.get(d.id)!)
        out.push(`${d.id}: detach before attach ${a.id}`);
    }
  }
  return out;
}

describe('ordering invariants', () => {
  it('holds on a plan that creates, moves, swaps policies and deletes', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-old00000', 'Old', ROOT_ID, own('OrganizationalUnit/old'));
    addOU(a, 'ou-ab12-gone0000', 'Gone', 'ou-ab12-old00000', own('OrganizationalUnit/gone', 'Delete'));
    addOU(a, 'ou-ab12-dev00000', 'Dev', ROOT_ID, own('OrganizationalUnit/dev'));
    addAccount(a, '222222222222', 'A', 'a@example.com', 'ou-ab12-gone0000', { tags: own('Account/a') });
    addAccount(a, '333333333333', 'B', 'b@example.com', 'ou-ab12-dev00000', { tags: own('Account/b') });
    addPolicy(a, 'p-swapout1', 'swap-out', ALLOW_ALL, ['ou-ab12-dev00000'], own('ServiceControlPolicy/swap-out'));
    for (let i = 0; i < 8; i++) addOU(a, `ou-ab12-k000000${i}`, `K${i}`, ROOT_ID, own(`OrganizationalUnit/k${i}`));
    const d = desiredOrg({
      ous: [
        dOU('old', 'root', { name: 'Old' }),
        dOU('dev', 'root', { name: 'Dev' }),
        dOU('new', 'old', { name: 'New' }),
        dOU('leaf', 'new', { name: 'Leaf' }),
        ...Array.from({ length: 8 }, (_, i) => dOU(`k${i}`, 'root', { name: `K${i}` })),
      ],
      accounts: [
        dAccount('a', 'a@example.com', 'leaf', { name: 'A' }),
        dAccount('b', 'b@example.com', 'new', { name: 'B' }),
        dAccount('c', 'c@example.com', 'leaf'),
      ],
      policies: [dPolicy('swap-out', ALLOW_ALL, []), dPolicy('swap-in', ALLOW_ALL, [toOU('dev'), toOU('leaf'), toAccount('c')])],
    });
    const p = planOrg(d, a, { namespace: NS });
    expect(orderingViolations(p)).toEqual([]);
    expect(ruleViolations(p)).toEqual([]);
    expect(p.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['CreateOU', 'CreateAccount', 'MoveAccount', 'AttachPolicy', 'DetachPolicy', 'DeleteOU']));
    expect(p.ops[p.ops.length - 1].op).toBe('DeleteOU');
    // And the plan is executable in order.
    expect(planOrg(d, applyPlan(a, p), { namespace: NS }).ops).toEqual([]);
  });

  it('is deterministic: the same input in a different key order gives byte-identical JSON', () => {
    const build = (reverse: boolean): DesiredOrg => {
      const ous = [dOU('b'), dOU('a'), dOU('c', 'a'), dOU('d', 'c')];
      const accounts = [dAccount('x', 'x@example.com', 'd'), dAccount('y', 'y@example.com', 'a')];
      const policies = [dPolicy('p1', DENY_ROOT, [toOU('a'), toOU('b')]), dPolicy('p2', ALLOW_ALL, [toAccount('x')])];
      return desiredOrg(reverse ? { ous: ous.reverse(), accounts: accounts.reverse(), policies: policies.reverse() } : { ous, accounts, policies });
    };
    expect(renderJson(planOrg(build(true), baseActual(), { namespace: NS }))).toBe(renderJson(planOrg(build(false), baseActual(), { namespace: NS })));
  });

  it('orderDrafts drops what depends on a held draft and refuses cycles', () => {
    const mk = (resource: string, extra: Partial<Draft> = {}): Draft => ({
      body: { op: 'CreateOU', resource, name: resource, parent: { id: ROOT_ID }, tags: {}, summary: `create ${resource}` },
      ...extra,
    });
    const a = mk('OrganizationalUnit/a');
    const b = mk('OrganizationalUnit/b', { after: [a] });
    const c = mk('OrganizationalUnit/c');
    const opts = {
      maxPoliciesPerTarget: 10,
      policyCount: () => 0,
      hold: (d: Draft) => (d === a ? { resource: 'OrganizationalUnit/a', reason: 'Paused' as const, message: '' } : undefined),
    };
    const r = orderDrafts([b, a, c], opts);
    expect(r.ops.map((o) => o.resource)).toEqual(['OrganizationalUnit/c']);
    expect(r.dropped.map((x) => [x.draft.body.resource, x.why, x.cause])).toEqual([
      ['OrganizationalUnit/b', 'dependency', 'create OrganizationalUnit/a'],
      ['OrganizationalUnit/a', 'held', undefined],
    ]);
    a.after = [b];
    expect(() => orderDrafts([a, b], { ...opts, hold: () => undefined })).toThrow('plan ordering: dependency cycle among 2 operations');
  });
});

describe('preflight', () => {
  it('unions SCPs along the path and reports the difference', () => {
    const parents: Record<string, string> = { ou1: 'r', ou2: 'ou1', ou3: 'r' };
    const attached: Record<string, string[]> = { r: ['FullAWSAccess'], ou1: ['deny-root'], ou2: ['regions'], ou3: ['sandbox'], acc: ['direct'] };
    const v = new ScpView(
      (n) => parents[n],
      (n) => attached[n] ?? [],
    );
    expect([...v.forAccount('acc', 'ou2')].sort()).toEqual(['FullAWSAccess', 'deny-root', 'direct', 'regions']);
    expect(scpDelta(v.forAccount('acc', 'ou3'), v.forAccount('acc', 'ou2'))).toEqual({ gained: ['deny-root', 'regions'], lost: ['sandbox'] });
  });
});

describe('scale', () => {
  // 500 OUs (50 x 10, two levels), 5,000 accounts, 50 SCPs.
  function bigDesired(): DesiredOrg {
    const ous = [];
    for (let i = 0; i < 50; i++) {
      ous.push(dOU(`top${i}`));
      for (let j = 0; j < 9; j++) ous.push(dOU(`ou${i}-${j}`, `top${i}`));
    }
    const accounts = [];
    for (let k = 0; k < 5000; k++) accounts.push(dAccount(`acc${k}`, `acc${k}@example.com`, `ou${k % 50}-${k % 9}`));
    const policies = [];
    for (let p = 0; p < 50; p++) policies.push(dPolicy(`scp${p}`, DENY_ROOT, [toOU(`top${p}`), toOU(`ou${p}-1`), toAccount(`acc${p}`)]));
    return desiredOrg({ ous, accounts, policies });
  }

  it('plans 5,000 accounts / 500 OUs quickly: build, no-op, and 1,000 moves', () => {
    const d = bigDesired();
    let t = performance.now();
    const build = planOrg(d, baseActual(), { namespace: NS });
    const buildMs = performance.now() - t;
    expect(build.ops.filter((o) => o.op === 'CreateAccount')).toHaveLength(5000);
    expect(build.ops.filter((o) => o.op === 'CreateOU')).toHaveLength(500);
    expect(orderingViolations(build)).toEqual([]);

    const converged = applyPlan(baseActual(), build);
    t = performance.now();
    const noop = planOrg(d, converged, { namespace: NS });
    const noopMs = performance.now() - t;
    expect(noop.ops).toEqual([]);

    for (let k = 0; k < 1000; k++) d.accounts[`acc${k}`].parent = `ou${(k + 1) % 50}-${(k + 3) % 9}`;
    t = performance.now();
    const moves = planOrg(d, converged, { namespace: NS });
    const movesMs = performance.now() - t;
    expect(moves.ops.filter((o) => o.op === 'MoveAccount')).toHaveLength(1000);
    // Generous bounds: idle, each takes well under 200 ms; a busy shared machine is 10-20x slower,
    // and a planner with a quadratic scan takes minutes here.
    expect(buildMs).toBeLessThan(8000);
    expect(noopMs).toBeLessThan(8000);
    expect(movesMs).toBeLessThan(8000);
  });
});
