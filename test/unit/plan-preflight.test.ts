import { describe, expect, it } from 'vitest';
import { planOrg } from '../../controller/plan/diff.js';
import type { Op } from '../../controller/plan/operations.js';
import { ScpView, movePreflight, pathNotes, policyEffect } from '../../controller/plan/preflight.js';
import {
  ALLOW_ALL,
  DENY_ROOT,
  FULL,
  NS,
  ROOT_ID,
  addAccount,
  addOU,
  addPolicy,
  baseActual,
  dAccount,
  dOU,
  dPolicy,
  desiredOrg,
  own,
  toOU,
} from './plan-fixtures.js';

const S3_ONLY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"}]}';
type Move = Extract<Op, { op: 'MoveAccount' }>;

/** Root, Prod (FullAWSAccess + deny-root) and Sandbox (allow-list: only s3-only), account Shop in Prod. */
function allowListOrg() {
  const a = baseActual();
  addOU(a, 'ou-ab12-prod0000', 'Prod', ROOT_ID, own('OrganizationalUnit/prod'));
  addOU(a, 'ou-ab12-sandbox0', 'Sandbox', ROOT_ID, own('OrganizationalUnit/sandbox'));
  addAccount(a, '333333333333', 'Shop', 'shop@example.com', 'ou-ab12-prod0000', { tags: own('Account/shop') });
  a.policies[FULL].targets!.push('ou-ab12-prod0000', '333333333333');
  addPolicy(a, 'p-denyroot1', 'deny-root', DENY_ROOT, ['ou-ab12-prod0000'], own('ServiceControlPolicy/deny-root'));
  addPolicy(a, 'p-s3only001', 's3-only', S3_ONLY, ['ou-ab12-sandbox0'], own('ServiceControlPolicy/s3-only'));
  return a;
}

const desiredWith = (parent: string, extraOUs: ReturnType<typeof dOU>[] = []) =>
  desiredOrg({
    ous: [dOU('prod', 'root', { name: 'Prod' }), dOU('sandbox', 'root', { name: 'Sandbox' }), ...extraOUs],
    accounts: [dAccount('shop', 'shop@example.com', parent, { name: 'Shop' })],
    policies: [dPolicy('deny-root', DENY_ROOT, [toOU('prod')]), dPolicy('s3-only', S3_ONLY, [toOU('sandbox')])],
  });

const moveOf = (ops: Op[]): Move => {
  const mv = ops.find((o): o is Move => o.op === 'MoveAccount');
  if (!mv) throw new Error('no MoveAccount in the plan');
  return mv;
};

describe('policyEffect', () => {
  it('tells allow-all, allow-list and deny documents apart', () => {
    expect(policyEffect(ALLOW_ALL)).toEqual({ allows: true, allowsAll: true, denies: false });
    expect(policyEffect(S3_ONLY)).toEqual({ allows: true, allowsAll: false, denies: false });
    expect(policyEffect(DENY_ROOT)).toEqual({ allows: false, allowsAll: false, denies: true });
    expect(policyEffect('{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"x":"true"}}}}')?.allowsAll).toBe(false);
    expect(policyEffect('not json')).toBeUndefined();
  });
});

describe('move preflight on the path root -> account', () => {
  it('a move into an allow-list OU loses FullAWSAccess even though the root keeps it', () => {
    const mv = moveOf(planOrg(desiredWith('sandbox'), allowListOrg(), { namespace: NS }).ops);
    expect(mv.gained).toEqual(['s3-only']);
    expect(mv.lost).toEqual(['FullAWSAccess', 'deny-root']);
    expect(mv.summary).toContain('(gains s3-only; loses FullAWSAccess, deny-root)');
    expect(mv.path?.before.map((l) => [l.name, l.policies, l.allowsAll])).toEqual([
      ['Root', ['FullAWSAccess'], true],
      ['Prod (ou-ab12-prod0000)', ['FullAWSAccess', 'deny-root'], true],
      ['Shop (333333333333)', ['FullAWSAccess'], true],
    ]);
    expect(mv.path?.after.map((l) => [l.name, l.policies, l.allowing, l.allowsAll])).toEqual([
      ['Root', ['FullAWSAccess'], ['FullAWSAccess'], true],
      ['Sandbox (ou-ab12-sandbox0)', ['s3-only'], ['s3-only'], false],
      ['Shop (333333333333)', ['FullAWSAccess'], ['FullAWSAccess'], true],
    ]);
    expect(pathNotes(mv.path!)).toEqual(['now limited to what s3-only allows at Sandbox (ou-ab12-sandbox0) (allow-list)']);
  });

  it('the reverse move gains FullAWSAccess back and is no longer limited', () => {
    const a = allowListOrg();
    a.accounts['333333333333'].parentId = 'ou-ab12-sandbox0';
    const mv = moveOf(planOrg(desiredWith('prod'), a, { namespace: NS }).ops);
    expect([mv.gained, mv.lost]).toEqual([['FullAWSAccess', 'deny-root'], ['s3-only']]);
    expect(pathNotes(mv.path!)).toEqual(['no longer limited to what s3-only allows at Sandbox (ou-ab12-sandbox0)']);
  });

  it('a deny-list move reports only the guardrails that change', () => {
    const a = allowListOrg();
    addOU(a, 'ou-ab12-dev00000', 'Dev', ROOT_ID, own('OrganizationalUnit/dev'));
    a.policies[FULL].targets!.push('ou-ab12-dev00000');
    const mv = moveOf(planOrg(desiredWith('dev', [dOU('dev', 'root', { name: 'Dev' })]), a, { namespace: NS }).ops);
    expect([mv.gained, mv.lost]).toEqual([[], ['deny-root']]);
    expect(pathNotes(mv.path!)).toEqual([]);
  });

  it('a new OU counts FullAWSAccess, which AWS attaches when it creates the OU', () => {
    const mv = moveOf(planOrg(desiredWith('fresh', [dOU('fresh', 'root', { name: 'Fresh' })]), allowListOrg(), { namespace: NS }).ops);
    expect(mv.path?.after[1]).toMatchObject({ name: 'Fresh (new)', policies: ['FullAWSAccess'], allowsAll: true });
    expect([mv.gained, mv.lost]).toEqual([[], ['deny-root']]);
  });

  it('names the level that loses its only Allow-bearing SCP', () => {
    const docs: Record<string, string> = { FullAWSAccess: ALLOW_ALL, 'deny-root': DENY_ROOT };
    const parents: Record<string, string> = { ou1: 'r', ou2: 'r' };
    const before = new ScpView(
      (n) => parents[n],
      (n) => ({ r: ['FullAWSAccess'], ou1: ['FullAWSAccess'], ou2: ['FullAWSAccess'], acc: ['FullAWSAccess'] })[n] ?? [],
      { docOf: (n) => docs[n] },
    );
    // The same plan also detaches FullAWSAccess from the root, leaving it only a deny.
    const after = new ScpView(
      (n) => parents[n],
      (n) => ({ r: ['deny-root'], ou2: ['FullAWSAccess'], acc: ['FullAWSAccess'] })[n] ?? [],
      { docOf: (n) => docs[n] },
    );
    const pf = movePreflight(before, after, { accountId: 'acc', fromId: 'ou1', to: { id: 'ou2' } }, (n) => n.toUpperCase());
    expect([pf.gained, pf.lost]).toEqual([['deny-root'], ['FullAWSAccess']]);
    expect(pathNotes(pf.path)).toEqual(['R loses its only Allow-bearing SCP (FullAWSAccess): every action in the account is denied']);
  });
});
