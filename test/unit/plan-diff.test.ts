import { describe, expect, it } from 'vitest';
import { planOrg } from '../../controller/plan/diff.js';
import { TAG_DELETION_POLICY, TAG_MANAGED_BY, TAG_OWNER } from '../../controller/model/ownership.js';
import {
  ALLOW_ALL,
  DENY_ROOT,
  FULL,
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
  toAccount,
  toOU,
} from './plan-fixtures.js';

const EC2_ONLY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}';
const plan = (d: ReturnType<typeof desiredOrg>, a: ReturnType<typeof baseActual>, extra = {}) => planOrg(d, a, { namespace: NS, ...extra });

describe('planOrg: building and converging', () => {
  const desired = desiredOrg({
    ous: [
      dOU('security', 'root', { name: 'Security' }),
      dOU('workloads', 'root', { name: 'Workloads', tags: { team: 'platform' } }),
      dOU('prod', 'workloads', { name: 'Prod' }),
    ],
    accounts: [
      dAccount('audit', 'audit@example.com', 'security', { name: 'Audit', iamUserAccessToBilling: 'DENY' }),
      dAccount('shop', 'shop@example.com', 'prod', { name: 'Shop' }),
    ],
    policies: [dPolicy('deny-root', DENY_ROOT, [toOU('workloads'), toAccount('audit')], { description: 'no root user' })],
  });

  it('builds an organization from an empty one, parents first, with ownership tags', () => {
    const p = plan(desired, baseActual());
    expect(orderingViolations(p)).toEqual([]);
    expect(p.ops.map((o) => o.op).sort()).toEqual([
      'AttachPolicy',
      'AttachPolicy',
      'CreateAccount',
      'CreateAccount',
      'CreateOU',
      'CreateOU',
      'CreateOU',
      'CreatePolicy',
    ]);
    const [security, workloads, prod] = ['security', 'workloads', 'prod'].map(
      (r) => opsOf(p, 'CreateOU').find((o) => o.resource === `OrganizationalUnit/${r}`)!,
    );
    expect(security.parent).toEqual({ id: ROOT_ID });
    expect(prod.parent).toEqual({ ref: 'OrganizationalUnit/workloads' });
    expect(prod.deps).toContain(workloads.id);
    expect(workloads.tags).toEqual({ team: 'platform', ...own('OrganizationalUnit/workloads') });
    const shop = opsOf(p, 'CreateAccount').find((o) => o.name === 'Shop')!;
    expect(shop.parent).toEqual({ ref: 'OrganizationalUnit/prod' });
    expect(shop.deps).toContain(prod.id);
    expect(shop.tags[TAG_OWNER]).toBe(`${NS}/Account/shop`);
    expect(opsOf(p, 'CreateAccount').find((o) => o.name === 'Audit')).toMatchObject({
      iamUserAccessToBilling: 'DENY',
      roleName: 'OrganizationAccountAccessRole',
      email: 'audit@example.com',
    });
    const create = opsOf(p, 'CreatePolicy')[0];
    expect(create).toMatchObject({ name: 'deny-root', description: 'no root user', content: DENY_ROOT });
    for (const at of opsOf(p, 'AttachPolicy')) {
      expect(at.policy).toEqual({ ref: 'ServiceControlPolicy/deny-root' });
      expect(at.deps).toContain(create.id);
    }
    expect(p.unmanaged).toEqual([]);
    expect(p.blocked).toEqual([]);
  });

  it('plans nothing once the plan has been applied', () => {
    const after = applyPlan(baseActual(), plan(desired, baseActual()));
    const p2 = plan(desired, after);
    expect(p2.ops).toEqual([]);
    expect(p2.drift).toEqual({});
    expect(p2.blocked).toEqual([]);
  });
});

describe('planOrg: adoption', () => {
  it('does not take over objects without ownership tags found by natural key unless the manifest opts in', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-security', 'Security', ROOT_ID, { team: 'sec' });
    addAccount(a, '222222222222', 'Audit', 'Audit@Example.com', 'ou-ab12-security', { tags: {} });
    addPolicy(a, 'p-denyroot1', 'deny-root', ALLOW_ALL, [], {});
    const d = desiredOrg({
      ous: [dOU('security', 'root', { name: 'Security', tags: { team: 'sec' } })],
      accounts: [dAccount('audit', 'audit@example.com', 'security', { name: 'Audit' })],
      policies: [dPolicy('deny-root', DENY_ROOT, [toOU('security')])],
    });
    const p = plan(d, a);
    // No write, no delete, no detach: the plan only says what needs an opt-in.
    expect(p.ops).toEqual([]);
    expect(p.blocked.map((b) => [b.resource, b.reason])).toEqual([
      ['OrganizationalUnit/security', 'AdoptionNeedsOptIn'],
      ['Account/audit', 'DependencyInvalid'],
      ['ServiceControlPolicy/deny-root', 'AdoptionNeedsOptIn'],
    ]);
    expect(p.blocked[0].message).toBe(
      'adopt (needs opt-in): OU Security (ou-ab12-security) exists in AWS without orgplane\'s ownership tags; orgplane neither changes nor deletes it until the manifest opts in with spec.id: "ou-ab12-security" or the annotation orgplane.io/adopt: "true"',
    );
  });

  it('adopts by natural key with orgplane.io/adopt: an AdoptResource op first, then the changes', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-security', 'Security', ROOT_ID, { team: 'sec' });
    addAccount(a, '222222222222', 'Audit', 'Audit@Example.com', 'ou-ab12-security'); // tags not read
    // Same policy, different whitespace and key order: no update.
    addPolicy(
      a,
      'p-denyroot1',
      'deny-root',
      JSON.stringify(JSON.parse(DENY_ROOT), null, 2).replace('"Version": "2012-10-17",', '').replace('{', '{"Version":"2012-10-17",'),
      ['ou-ab12-security'],
      {},
    );
    const d = desiredOrg({
      ous: [dOU('security', 'root', { name: 'Security', tags: { team: 'sec' }, adopt: true })],
      accounts: [dAccount('audit', 'audit@example.com', 'security', { name: 'Audit', tags: { costcenter: '42' }, adopt: true })],
      policies: [dPolicy('deny-root', DENY_ROOT, [toOU('security')], { adopt: true })],
    });
    const p = plan(d, a);
    // Account tags were not read: nothing is known about them, so nothing is planned for them
    // (the engine reads them where the answer matters).
    expect(p.ops.map((o) => [o.op, o.resource])).toEqual([
      ['AdoptResource', 'OrganizationalUnit/security'],
      ['AdoptResource', 'ServiceControlPolicy/deny-root'],
    ]);
    const [ouAdopt] = opsOf(p, 'AdoptResource');
    expect(ouAdopt.tags).toEqual(own('OrganizationalUnit/security'));
    expect(ouAdopt.summary).toBe("adopt OU Security (ou-ab12-security): write orgplane's ownership tags");
    expect(opsOf(p, 'UpdatePolicy')).toEqual([]);
  });

  it('adopts an OU by spec.id and renames it', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-aaaaaaaa', 'Old Name', ROOT_ID, own('OrganizationalUnit/sec'));
    const p = plan(desiredOrg({ ous: [dOU('sec', 'root', { name: 'Security', id: 'ou-ab12-aaaaaaaa' })] }), a);
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({
      op: 'RenameOU',
      ouId: 'ou-ab12-aaaaaaaa',
      from: 'Old Name',
      to: 'Security',
      summary: 'rename OU Old Name (ou-ab12-aaaaaaaa) to Security',
    });
    expect(p.drift['OrganizationalUnit/sec']).toEqual(['name is "Old Name", manifest says "Security"']);
  });

  it('refuses objects another namespace owns', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-security', 'Security', ROOT_ID, ownershipTagsOf('team-a', 'OrganizationalUnit/security'));
    const p = plan(desiredOrg({ ous: [dOU('security', 'root', { name: 'Security' })], accounts: [dAccount('x', 'x@example.com', 'security')] }), a);
    expect(p.ops).toEqual([]);
    expect(p.blocked).toEqual([
      {
        resource: 'OrganizationalUnit/security',
        reason: 'InvalidSpec',
        message:
          'OU Security (ou-ab12-security) is owned by team-a/OrganizationalUnit/security (another namespace); refusing to adopt it or create a second OU with that name',
      },
      { resource: 'Account/x', reason: 'DependencyInvalid', message: 'parent OrganizationalUnit/security is blocked, so this account is not planned' },
    ]);
  });

  it('blocks a spec.id that does not exist', () => {
    const p = plan(desiredOrg({ accounts: [dAccount('x', 'x@example.com', 'root', { id: '999999999999' })] }), baseActual());
    expect(p.blocked).toEqual([{ resource: 'Account/x', reason: 'InvalidSpec', message: 'spec.id 999999999999 is not an account of this organization' }]);
  });
});

function ownershipTagsOf(ns: string, key: string) {
  return { [TAG_MANAGED_BY]: 'orgplane', [TAG_OWNER]: `${ns}/${key}`, [TAG_DELETION_POLICY]: 'Retain' };
}

describe('planOrg: account moves with preflight', () => {
  it('moves an account and reports the SCPs it gains and loses', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-sandbox0', 'Sandbox', ROOT_ID, own('OrganizationalUnit/sandbox'));
    addOU(a, 'ou-ab12-workload', 'Workloads', ROOT_ID, own('OrganizationalUnit/workloads'));
    addOU(a, 'ou-ab12-prod0000', 'Prod', 'ou-ab12-workload', own('OrganizationalUnit/prod'));
    addAccount(a, '333333333333', 'Shop', 'shop@example.com', 'ou-ab12-sandbox0', { tags: own('Account/shop') });
    // Sandbox is an allow-list OU (FullAWSAccess detached, only EC2 allowed); everything else has FullAWSAccess, as AWS attaches it.
    a.policies[FULL].targets!.push('ou-ab12-workload', 'ou-ab12-prod0000', '333333333333');
    addPolicy(a, 'p-sandbox01', 'sandbox-limits', EC2_ONLY, ['ou-ab12-sandbox0'], own('ServiceControlPolicy/sandbox-limits'));
    addPolicy(a, 'p-denyroot1', 'deny-root', DENY_ROOT, ['ou-ab12-workload'], own('ServiceControlPolicy/deny-root'));
    // An SCP no manifest describes still counts for the preflight.
    addPolicy(a, 'p-regions01', 'regions', DENY_ROOT, ['ou-ab12-prod0000']);
    const d = desiredOrg({
      ous: [dOU('sandbox', 'root', { name: 'Sandbox' }), dOU('workloads', 'root', { name: 'Workloads' }), dOU('prod', 'workloads', { name: 'Prod' })],
      accounts: [dAccount('shop', 'shop@example.com', 'prod', { name: 'Shop' })],
      policies: [
        dPolicy('sandbox-limits', EC2_ONLY, [toOU('sandbox')]),
        dPolicy('deny-root', DENY_ROOT, [toOU('workloads')]),
        // New policy attached to the destination in the same plan: the move waits for it.
        dPolicy('prod-guard', DENY_ROOT, [toOU('prod')]),
      ],
    });
    const p = plan(d, a);
    expect(orderingViolations(p)).toEqual([]);
    const [mv] = opsOf(p, 'MoveAccount');
    expect(mv).toMatchObject({
      accountId: '333333333333',
      fromId: 'ou-ab12-sandbox0',
      to: { id: 'ou-ab12-prod0000' },
      gained: ['FullAWSAccess', 'deny-root', 'prod-guard', 'regions'],
      lost: ['sandbox-limits'],
    });
    expect(mv.summary).toBe(
      'move account Shop (333333333333) from Sandbox (ou-ab12-sandbox0) to Prod (ou-ab12-prod0000) (gains FullAWSAccess, deny-root, prod-guard, regions; loses sandbox-limits)',
    );
    const attach = opsOf(p, 'AttachPolicy').find((o) => o.policyName === 'prod-guard')!;
    expect(mv.deps).toContain(attach.id);
    expect(p.drift['Account/shop']).toEqual(['in Sandbox (ou-ab12-sandbox0), manifest says Prod (ou-ab12-prod0000)']);
  });

  it('keeps an awsManaged policy attached directly to a moved account in its path (targets are a minimum)', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-sandbox0', 'Sandbox', ROOT_ID, own('OrganizationalUnit/sandbox'));
    addAccount(a, '333333333333', 'Shop', 'shop@example.com', 'ou-ab12-sandbox0', { tags: own('Account/shop') });
    a.policies[FULL].targets!.push('ou-ab12-sandbox0', '333333333333');
    const d = desiredOrg({
      ous: [dOU('sandbox', 'root', { name: 'Sandbox' })],
      accounts: [dAccount('shop', 'shop@example.com', 'root', { name: 'Shop' })],
      // Listed on the root only; AWS keeps it on the OU and the account, and so does orgplane.
      policies: [dPolicy('full', '', [{ kind: 'root' }], { name: 'FullAWSAccess', awsManaged: true, id: FULL })],
    });
    const [mv] = opsOf(plan(d, a), 'MoveAccount');
    expect(mv).toMatchObject({ accountId: '333333333333', gained: [], lost: [] });
    expect(mv.summary).toBe('move account Shop (333333333333) from Sandbox (ou-ab12-sandbox0) to Root');
  });

  it('moves an account into an OU created in the same plan', () => {
    const a = baseActual();
    addAccount(a, '333333333333', 'Shop', 'shop@example.com', ROOT_ID, { tags: own('Account/shop') });
    const p = plan(desiredOrg({ ous: [dOU('apps')], accounts: [dAccount('shop', 'shop@example.com', 'apps', { name: 'Shop' })] }), a);
    const [create] = opsOf(p, 'CreateOU');
    const [mv] = opsOf(p, 'MoveAccount');
    expect(mv.to).toEqual({ ref: 'OrganizationalUnit/apps' });
    expect(mv.deps).toEqual([create.id]);
    expect(mv.gained).toEqual([]);
    expect(mv.lost).toEqual([]);
  });
});

describe('planOrg: OU parent change', () => {
  function org() {
    const a = baseActual();
    addOU(a, 'ou-ab12-infra000', 'Infrastructure', ROOT_ID, own('OrganizationalUnit/infra'));
    addOU(a, 'ou-ab12-work0000', 'Workloads', ROOT_ID, { ...own('OrganizationalUnit/workloads'), team: 'apps' });
    addOU(a, 'ou-ab12-prod0000', 'Prod', 'ou-ab12-work0000', own('OrganizationalUnit/prod'));
    addOU(a, 'ou-ab12-legacy00', 'Legacy', 'ou-ab12-work0000', { note: 'hand-made' });
    addAccount(a, '333333333333', 'Shop', 'shop@example.com', 'ou-ab12-work0000', { tags: own('Account/shop') });
    addAccount(a, '444444444444', 'Stray', 'stray@example.com', 'ou-ab12-work0000', { tags: {} });
    addAccount(a, '555555555555', 'Api', 'api@example.com', 'ou-ab12-prod0000', { tags: own('Account/api') });
    addAccount(a, '666666666666', 'Old', 'old@example.com', 'ou-ab12-legacy00', { tags: {} });
    addPolicy(a, 'p-denyroot1', 'deny-root', DENY_ROOT, ['ou-ab12-work0000'], own('ServiceControlPolicy/deny-root'));
    addPolicy(a, 'p-legacy001', 'legacy-scp', ALLOW_ALL, ['ou-ab12-work0000']);
    return a;
  }
  const desired = desiredOrg({
    ous: [
      dOU('infra', 'root', { name: 'Infrastructure' }),
      dOU('workloads', 'infra', { name: 'Workloads', tags: { team: 'apps' } }),
      dOU('prod', 'workloads', { name: 'Prod' }),
    ],
    accounts: [dAccount('shop', 'shop@example.com', 'workloads', { name: 'Shop' }), dAccount('api', 'api@example.com', 'prod', { name: 'Api' })],
    policies: [dPolicy('deny-root', DENY_ROOT, [toOU('workloads')])],
  });

  it('recreates the subtree under the new parent, moves accounts, re-attaches policies, deletes the old OUs bottom-up', () => {
    const p = plan(desired, org());
    expect(orderingViolations(p)).toEqual([]);
    const group = 'recreate:OrganizationalUnit/workloads';
    const headline =
      'recreate OU Workloads under Infrastructure (AWS cannot move OUs): create 3 OUs, move 4 accounts, delete old ou-ab12-legacy00, ou-ab12-prod0000, ou-ab12-work0000';
    expect(p.groups).toEqual({ [group]: headline });
    expect(p.ops.every((o) => o.group === group)).toBe(true);

    const creates = opsOf(p, 'CreateOU');
    const work = creates.find((o) => o.resource === 'OrganizationalUnit/workloads')!;
    expect(work).toMatchObject({ name: 'Workloads', parent: { id: 'ou-ab12-infra000' }, tags: { team: 'apps', ...own('OrganizationalUnit/workloads') } });
    expect(work.summary).toBe('recreate OU Workloads under Infrastructure (AWS cannot move OUs): create OU Workloads under Infrastructure (ou-ab12-infra000)');
    const prod = creates.find((o) => o.resource === 'OrganizationalUnit/prod')!;
    expect(prod.parent).toEqual({ ref: 'OrganizationalUnit/workloads' });
    const legacy = creates.find((o) => o.name === 'Legacy')!;
    expect(legacy).toMatchObject({
      resource: 'OrganizationalUnit/~ou-ab12-legacy00',
      parent: { ref: 'OrganizationalUnit/workloads' },
      tags: { note: 'hand-made' },
    });
    expect(legacy.summary).toBe(
      'recreate OU Workloads under Infrastructure (AWS cannot move OUs): create OU Legacy under Workloads (new) (copy of unmanaged ou-ab12-legacy00)',
    );

    const moves = new Map(opsOf(p, 'MoveAccount').map((o) => [o.accountId, o]));
    expect([...moves.keys()].sort()).toEqual(['333333333333', '444444444444', '555555555555', '666666666666']);
    expect(moves.get('333333333333')!.to).toEqual({ ref: 'OrganizationalUnit/workloads' });
    expect(moves.get('444444444444')!.to).toEqual({ ref: 'OrganizationalUnit/workloads' });
    expect(moves.get('555555555555')!.to).toEqual({ ref: 'OrganizationalUnit/prod' });
    expect(moves.get('666666666666')!.to).toEqual({ ref: 'OrganizationalUnit/~ou-ab12-legacy00' });
    // Same SCPs before and after: nothing gained or lost for the account in the recreated OU.
    expect(moves.get('333333333333')).toMatchObject({ gained: [], lost: [] });

    const attaches = opsOf(p, 'AttachPolicy');
    expect(attaches.map((o) => [o.policyName, o.target])).toEqual(
      expect.arrayContaining([
        ['deny-root', { ref: 'OrganizationalUnit/workloads' }],
        ['legacy-scp', { ref: 'OrganizationalUnit/workloads' }],
      ]),
    );
    expect(opsOf(p, 'DetachPolicy')).toEqual([]);

    const deletes = new Map(opsOf(p, 'DeleteOU').map((o) => [o.ouId, o]));
    const delWork = deletes.get('ou-ab12-work0000')!;
    expect(delWork.deps).toEqual(
      expect.arrayContaining([
        deletes.get('ou-ab12-prod0000')!.id,
        deletes.get('ou-ab12-legacy00')!.id,
        moves.get('333333333333')!.id,
        moves.get('444444444444')!.id,
      ]),
    );
    expect(deletes.get('ou-ab12-prod0000')!.deps).toContain(moves.get('555555555555')!.id);
    for (const m of moves.values()) for (const at of attaches.filter((x) => JSON.stringify(x.target) === JSON.stringify(m.to))) expect(m.deps).toContain(at.id);
    expect(pos(p, delWork.id)).toBe(p.ops.length - 1);
    expect(p.drift['OrganizationalUnit/workloads']).toEqual([
      'OU Workloads (ou-ab12-work0000) is under Root, manifest says Infrastructure (ou-ab12-infra000): AWS cannot move OUs, so it is recreated',
    ]);
  });

  it('converges: after applying, the next plan is empty', () => {
    const after = applyPlan(org(), plan(desired, org()));
    expect(after.ous['ou-ab12-work0000']).toBeUndefined();
    const p2 = plan(desired, after);
    expect(p2.ops).toEqual([]);
    expect(p2.unmanaged).toEqual([
      'Account Old (666666666666)',
      'Account Stray (444444444444)',
      expect.stringMatching(/^OrganizationalUnit Legacy \(ou-new0-\d{8}\)$/),
      'ServiceControlPolicy legacy-scp (p-legacy001)',
    ]);
    // The hand-made OU kept its tags, its account and its policy.
    const legacy = Object.values(after.ous).find((o) => o.name === 'Legacy')!;
    expect(legacy.tags).toEqual({ note: 'hand-made' });
    expect(after.accounts['666666666666'].parentId).toBe(legacy.id);
    expect(after.policies['p-legacy001'].targets).toContain(after.ous[legacy.parentId].id);
  });
});

describe('planOrg: policies', () => {
  function withPolicy(content: string, description = '', targets = ['ou-ab12-work0000']) {
    const a = baseActual();
    addOU(a, 'ou-ab12-work0000', 'Workloads', ROOT_ID, own('OrganizationalUnit/workloads'));
    addOU(a, 'ou-ab12-sbx00000', 'Sandbox', ROOT_ID, own('OrganizationalUnit/sandbox'));
    addPolicy(a, 'p-denyroot1', 'deny-root', content, targets, own('ServiceControlPolicy/deny-root'), description);
    return a;
  }
  const desired = (content = DENY_ROOT, description = '') =>
    desiredOrg({
      ous: [dOU('workloads', 'root', { name: 'Workloads' }), dOU('sandbox', 'root', { name: 'Sandbox' })],
      policies: [dPolicy('deny-root', content, [toOU('workloads')], { description })],
    });

  it('ignores whitespace and key order in policy content', () => {
    const reordered = JSON.stringify(
      {
        Statement: [{ Resource: '*', Action: '*', Effect: 'Deny', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } } }],
        Version: '2012-10-17',
      },
      null,
      4,
    );
    expect(plan(desired(), withPolicy(reordered)).ops).toEqual([]);
  });

  it('updates only what changed', () => {
    const p = plan(desired(DENY_ROOT, 'new text'), withPolicy(ALLOW_ALL, 'old text'));
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({
      op: 'UpdatePolicy',
      policyId: 'p-denyroot1',
      content: DENY_ROOT,
      description: 'new text',
      summary: 'update SCP deny-root (p-denyroot1): description, content',
    });
    expect(p.ops[0]).not.toHaveProperty('name');
  });

  it('detaches attachments the spec does not list (drift), never from the management account', () => {
    const p = plan(desired(), withPolicy(DENY_ROOT, '', ['ou-ab12-work0000', 'ou-ab12-sbx00000', MGMT_ID]));
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0]).toMatchObject({
      op: 'DetachPolicy',
      policyId: 'p-denyroot1',
      targetId: 'ou-ab12-sbx00000',
      summary: 'detach SCP deny-root from Sandbox (ou-ab12-sbx00000) (not in spec.targets)',
    });
    expect(p.drift['ServiceControlPolicy/deny-root']).toEqual(['attached to Sandbox (ou-ab12-sbx00000), which is not in spec.targets']);
  });

  it('attaches the replacement allow policy before detaching FullAWSAccess from the same target', () => {
    const a = withPolicy(DENY_ROOT);
    a.policies[FULL].targets = [ROOT_ID, MGMT_ID, 'ou-ab12-work0000'];
    const d = desired();
    d.policies['full'] = dPolicy('full', '', [{ kind: 'root' }], { name: 'FullAWSAccess', awsManaged: true, id: FULL, exclusiveTargets: true });
    d.policies['allow-some'] = dPolicy('allow-some', ALLOW_ALL, [toOU('workloads')]);
    const p = plan(d, a);
    expect(orderingViolations(p)).toEqual([]);
    const [detach] = opsOf(p, 'DetachPolicy');
    expect(detach).toMatchObject({ policyId: FULL, targetId: 'ou-ab12-work0000' });
    const attach = opsOf(p, 'AttachPolicy').find((o) => o.policyName === 'allow-some')!;
    expect(detach.deps).toContain(attach.id);
    expect(pos(p, attach.id)).toBeLessThan(pos(p, detach.id));
  });

  it('frees a slot first when a target is at the policy limit', () => {
    const a = withPolicy(DENY_ROOT);
    const d = desired();
    d.quotas.maxPoliciesPerTarget = 2;
    // Workloads holds FullAWSAccess + deny-root (2 of 2); swap deny-root for a new policy.
    a.policies[FULL].targets = [ROOT_ID, 'ou-ab12-work0000'];
    d.policies['deny-root'].targets = [];
    d.policies['other'] = dPolicy('other', ALLOW_ALL, [toOU('workloads')]);
    const p = plan(d, a);
    const [detach] = opsOf(p, 'DetachPolicy');
    const attach = opsOf(p, 'AttachPolicy')[0];
    expect(attach.deps).toContain(detach.id);
    expect(p.warnings).toEqual([]);
  });

  it('never attaches SCPs to the management account', () => {
    const d = desiredOrg({
      accounts: [dAccount('mgmt', 'mgmt@example.com', 'root', { id: MGMT_ID, name: 'Management' })],
      policies: [dPolicy('deny-root', DENY_ROOT, [toAccount('mgmt')])],
    });
    const p = plan(d, baseActual());
    expect(opsOf(p, 'AttachPolicy')).toEqual([]);
    expect(p.blocked).toEqual([
      {
        resource: 'ServiceControlPolicy/deny-root',
        reason: 'ManagementAccount',
        message: 'Account/mgmt is the management account; SCPs do not apply to it and orgplane never attaches them to it',
      },
    ]);
  });
});

describe('planOrg: tags', () => {
  it('manages exactly spec tags and ownership tags; other tags are drift only', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-work0000', 'Workloads', ROOT_ID, { ...own('OrganizationalUnit/workloads'), team: 'old', extra: 'x', 'orgplane.io/stale': '1' });
    const p = plan(desiredOrg({ ous: [dOU('workloads', 'root', { name: 'Workloads', tags: { team: 'apps', env: 'prod' } })] }), a);
    expect(p.ops.map((o) => o.op)).toEqual(['TagResource', 'UntagResource']);
    expect(opsOf(p, 'TagResource')[0]).toMatchObject({
      tags: { env: 'prod', team: 'apps' },
      summary: 'tag OU Workloads (ou-ab12-work0000): env=prod, team=apps',
    });
    expect(opsOf(p, 'UntagResource')[0].tagKeys).toEqual(['orgplane.io/stale']);
    expect(p.drift['OrganizationalUnit/workloads']).toEqual([
      'tag env is missing',
      'tag team is "old", manifest says "apps"',
      'tag extra=x is not in the manifest (left as is)',
    ]);
  });
});

describe('planOrg: organization settings', () => {
  it('manages only the lists that are set', () => {
    const a = baseActual();
    a.trustedServices = ['config.amazonaws.com', 'sso.amazonaws.com'];
    addAccount(a, '777777777777', 'OldSec', 'oldsec@example.com', ROOT_ID, { tags: {} });
    a.delegatedAdmins = [{ accountId: '777777777777', servicePrincipal: 'guardduty.amazonaws.com' }];
    const d = desiredOrg({ accounts: [dAccount('security', 'sec@example.com', 'root', { name: 'Security' })] });
    d.organization = {
      key: 'Organization/org',
      featureSet: 'ALL',
      enabledPolicyTypes: ['SERVICE_CONTROL_POLICY', 'TAG_POLICY'],
      trustedServices: ['guardduty.amazonaws.com', 'sso.amazonaws.com'],
      delegatedAdministrators: [{ account: 'security', servicePrincipal: 'guardduty.amazonaws.com' }],
    };
    const p = plan(d, a);
    expect(orderingViolations(p)).toEqual([]);
    const ops = p.ops.filter((o) => o.resource === 'Organization/org');
    expect(ops.map((o) => o.summary).sort()).toEqual([
      'deregister OldSec (777777777777) as delegated administrator for guardduty.amazonaws.com',
      'disable trusted access for config.amazonaws.com',
      'enable policy type TAG_POLICY on the root',
      'enable trusted access for guardduty.amazonaws.com',
      'register Security (new) as delegated administrator for guardduty.amazonaws.com',
    ]);
    const reg = opsOf(p, 'RegisterDelegatedAdmin')[0];
    expect(reg.account).toEqual({ ref: 'Account/security' });
    const enable = opsOf(p, 'EnableServiceAccess')[0];
    const createAcc = opsOf(p, 'CreateAccount')[0];
    expect(reg.deps).toEqual(expect.arrayContaining([enable.id, createAcc.id]));
    // Unset lists are not managed.
    delete d.organization.trustedServices;
    delete d.organization.delegatedAdministrators;
    expect(
      plan(d, a)
        .ops.filter((o) => o.resource === 'Organization/org')
        .map((o) => o.op),
    ).toEqual(['EnablePolicyType']);
  });
});

describe('planOrg: management account', () => {
  it('never moves the management account', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-core0000', 'Core', ROOT_ID, own('OrganizationalUnit/core'));
    const d = desiredOrg({ ous: [dOU('core', 'root', { name: 'Core' })], accounts: [dAccount('mgmt', 'mgmt@example.com', 'core', { name: 'Management' })] });
    const p = plan(d, a);
    expect(opsOf(p, 'MoveAccount')).toEqual([]);
    expect(p.blocked).toEqual([
      {
        resource: 'Account/mgmt',
        reason: 'ManagementAccount',
        message: 'account Management (111111111111) is the management account; orgplane never moves it (it stays in Root)',
      },
    ]);
  });
});

describe('matchedIds', () => {
  it('maps metadata.name to the AWS id of objects already at their desired place', async () => {
    const { matchedIds } = await import('../../controller/plan/match.js');
    const a = baseActual();
    addOU(a, 'ou-ab12-work0000', 'Workloads', ROOT_ID, own('OrganizationalUnit/workloads'));
    addAccount(a, '222222222222', 'Shop', 'shop@example.com', 'ou-ab12-work0000');
    const d = desiredOrg({
      ous: [dOU('workloads', 'root', { name: 'Workloads' }), dOU('moved', 'workloads')],
      accounts: [dAccount('shop', 'SHOP@example.com', 'workloads', { adopt: true }), dAccount('new', 'new@example.com')],
      policies: [dPolicy('full', '', [], { awsManaged: true, name: 'FullAWSAccess' })],
    });
    expect(matchedIds(d, a, NS)).toEqual({ ous: { workloads: 'ou-ab12-work0000' }, accounts: { shop: '222222222222' }, policies: { full: FULL } });
  });
});
