// Permission impact of a plan on plain data: a small catalogue, a live organization built by
// hand, the ops the planner emits (and the real planner on one case), and what the plan prints.
import { describe, expect, it } from 'vitest';
import { catalogFrom } from '../../controller/eval/catalog.js';
import { complementOf, computePlanImpact, OTHER_REGION } from '../../controller/plan/impact.js';
import { serviceCounts } from '../../controller/eval/impact.js';
import { simulatePlan } from '../../controller/plan/simulate.js';
import { planOrg } from '../../controller/plan/diff.js';
import type { Op, Plan } from '../../controller/plan/operations.js';
import { renderJson, renderMarkdown, renderText } from '../../controller/plan/render.js';
import { FULL, MGMT_ID, NS, ROOT_ID, addAccount, addOU, addPolicy, baseActual, dAccount, dOU, dPolicy, desiredOrg, toOU } from './plan-fixtures.js';

const CATALOG = catalogFrom(
  {
    ec2: ['RunInstances', 'TerminateInstances'],
    s3: ['GetObject', 'PutObject', 'DeleteBucket'],
    iam: ['CreateRole'],
    sts: ['AssumeRole'],
  },
  ['s3', 'sts'],
);

const regions = (list: string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'DenyRegions', Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': list } } },
    ],
  });
const DENY_S3_DELETE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:Delete*', Resource: '*' }] });

/** Root with FullAWSAccess and RestrictRegions; OU Sandbox (FullAWSAccess + DenyS3Delete); accounts a, b at the root, c in Sandbox. */
function org() {
  const a = baseActual();
  addOU(a, 'ou-sand', 'Sandbox', ROOT_ID);
  addAccount(a, '200000000001', 'a', 'a@x.example', ROOT_ID);
  addAccount(a, '200000000002', 'b', 'b@x.example', ROOT_ID);
  addAccount(a, '200000000003', 'c', 'c@x.example', 'ou-sand');
  a.policies[FULL].targets = [ROOT_ID, MGMT_ID, 'ou-sand', '200000000001', '200000000002', '200000000003'];
  addPolicy(a, 'p-regions', 'RestrictRegions', regions(['us-east-1', 'us-west-2']), [ROOT_ID]);
  addPolicy(a, 'p-s3', 'DenyS3Delete', DENY_S3_DELETE, ['ou-sand']);
  return a;
}

const base = { deps: [], summary: '' };
const update = (content: string): Op => ({
  ...base,
  id: 'op-1',
  op: 'UpdatePolicy',
  resource: 'ServiceControlPolicy/restrict-regions',
  policyId: 'p-regions',
  content,
});

describe('computePlanImpact', () => {
  it('an SCP update that drops a region: every account loses that region, the management account is exempt', () => {
    const impact = computePlanImpact(org(), [update(regions(['us-east-1']))], CATALOG);
    expect(impact?.evaluated).toEqual({ accounts: 3, actions: 7, regions: ['us-east-1', 'us-west-2', OTHER_REGION] });
    // c already had s3:DeleteBucket denied, so its change differs and it is a group of its own.
    expect(impact?.groups).toEqual([
      {
        accounts: [
          { id: '200000000001', name: 'a' },
          { id: '200000000002', name: 'b' },
        ],
        causes: ['RestrictRegions updated'],
        changes: [{ regions: ['us-west-2'], newlyDenied: ['ec2:*', 's3:*'], newlyAllowed: [], counts: { denied: 5, allowed: 0 } }],
      },
      {
        accounts: [{ id: '200000000003', name: 'c' }],
        causes: ['RestrictRegions updated'],
        changes: [{ regions: ['us-west-2'], newlyDenied: ['ec2:*', 's3:GetObject', 's3:PutObject'], newlyAllowed: [], counts: { denied: 4, allowed: 0 } }],
      },
    ]);
  });

  it('a move into an OU evaluates only the moved account and names the move and the policies gained', () => {
    const move: Op = {
      ...base,
      id: 'op-1',
      op: 'MoveAccount',
      resource: 'Account/a',
      accountId: '200000000001',
      fromId: ROOT_ID,
      to: { id: 'ou-sand' },
      gained: [],
      lost: [],
    };
    const impact = computePlanImpact(org(), [move], CATALOG);
    expect(impact?.evaluated.accounts).toBe(1);
    expect(impact?.groups).toHaveLength(1);
    expect(impact?.groups[0].accounts).toEqual([{ id: '200000000001', name: 'a' }]);
    expect(impact?.groups[0].causes).toContain('moved Root -> Root / Sandbox');
    expect(impact?.groups[0].causes).toContain('DenyS3Delete added to the path');
    // In regions RestrictRegions denies, s3:DeleteBucket was denied already: only the allowed ones change.
    expect(impact?.groups[0].changes).toEqual([
      { regions: ['us-east-1', 'us-west-2'], newlyDenied: ['s3:DeleteBucket'], newlyAllowed: [], counts: { denied: 1, allowed: 0 } },
    ]);
  });

  it('detaching a Deny newly allows; detaching the only Allow of an OU newly denies everything below it', () => {
    const detachDeny: Op = {
      ...base,
      id: 'op-1',
      op: 'DetachPolicy',
      resource: 'ServiceControlPolicy/s3',
      policyId: 'p-s3',
      targetId: 'ou-sand',
      policyName: 'DenyS3Delete',
      targetName: 'Sandbox',
    };
    const allowed = computePlanImpact(org(), [detachDeny], CATALOG);
    expect(allowed?.groups.map((g) => g.changes)).toEqual([
      [{ regions: ['us-east-1', 'us-west-2'], newlyDenied: [], newlyAllowed: ['s3:DeleteBucket'], counts: { denied: 0, allowed: 1 } }],
    ]);

    const detachFull: Op = { ...detachDeny, policyId: FULL, policyName: 'FullAWSAccess', resource: 'ServiceControlPolicy/full' };
    const denied = computePlanImpact(org(), [detachFull], CATALOG);
    // Outside the two allowed regions ec2/s3 were denied already; iam and sts flip everywhere.
    expect(denied?.groups[0].causes).toEqual(['FullAWSAccess removed from the path']);
    expect(denied?.groups[0].changes).toEqual([
      {
        regions: ['us-east-1', 'us-west-2'],
        newlyDenied: ['ec2:*', 'iam:*', 's3:GetObject', 's3:PutObject', 'sts:*'],
        newlyAllowed: [],
        counts: { denied: 6, allowed: 0 },
      },
      { regions: [OTHER_REGION], newlyDenied: ['iam:*', 'sts:*'], newlyAllowed: [], counts: { denied: 2, allowed: 0 } },
    ]);
  });

  it('an OU recreated under a new parent: children move to the new OU ({ref} ids), policies follow', () => {
    const a = org();
    addOU(a, 'ou-prod', 'Prod', ROOT_ID);
    a.policies[FULL].targets?.push('ou-prod');
    const ops: Op[] = [
      { ...base, id: 'op-1', op: 'CreateOU', resource: 'OrganizationalUnit/sandbox', name: 'Sandbox', parent: { id: 'ou-prod' }, tags: {} },
      {
        ...base,
        id: 'op-2',
        op: 'AttachPolicy',
        resource: 'ServiceControlPolicy/s3',
        policy: { id: 'p-s3' },
        target: { ref: 'OrganizationalUnit/sandbox' },
        policyName: 'DenyS3Delete',
        targetName: 'Sandbox',
      },
      {
        ...base,
        id: 'op-3',
        op: 'MoveAccount',
        resource: 'Account/c',
        accountId: '200000000003',
        fromId: 'ou-sand',
        to: { ref: 'OrganizationalUnit/sandbox' },
        gained: [],
        lost: [],
      },
      { ...base, id: 'op-4', op: 'DeleteOU', resource: 'OrganizationalUnit/sandbox', ouId: 'ou-sand', name: 'Sandbox' },
    ];
    const after = simulatePlan(a, ops);
    expect(after.accounts['200000000003'].parentId).toBe('OrganizationalUnit/sandbox');
    expect(after.policies[FULL].targets).toContain('OrganizationalUnit/sandbox');
    expect(after.policies[FULL].targets).not.toContain('ou-sand');
    // Same policies on the path, one level deeper: nothing changes, and the plan says so.
    const impact = computePlanImpact(a, ops, CATALOG);
    expect(impact?.evaluated.accounts).toBe(1);
    expect(impact?.groups).toEqual([]);
  });

  it('ops that touch no chain cost nothing: no impact at all', () => {
    const tag: Op = { ...base, id: 'op-1', op: 'TagResource', resource: 'Account/a', target: { id: '200000000001' }, tags: { team: 'x' } };
    const rename: Op = { ...base, id: 'op-2', op: 'UpdatePolicy', resource: 'ServiceControlPolicy/s3', policyId: 'p-s3', name: 'Renamed' };
    expect(computePlanImpact(org(), [tag, rename], CATALOG)).toBeUndefined();
  });

  it('the real planner: a manifest that moves an account and tightens a policy', () => {
    const actual = org();
    const desired = desiredOrg({
      ous: [dOU('sandbox', 'root', { name: 'Sandbox', id: 'ou-sand' })],
      accounts: [
        dAccount('a', 'a@x.example', 'sandbox', { id: '200000000001' }),
        dAccount('b', 'b@x.example', 'root', { id: '200000000002' }),
        dAccount('c', 'c@x.example', 'sandbox', { id: '200000000003' }),
      ],
      policies: [
        dPolicy('full', '', [{ kind: 'root' }, toOU('sandbox')], { name: 'FullAWSAccess', awsManaged: true, id: FULL }),
        dPolicy('restrict-regions', regions(['us-east-1', 'us-west-2']), [{ kind: 'root' }], { name: 'RestrictRegions', id: 'p-regions' }),
        dPolicy('s3', DENY_S3_DELETE.replace('s3:Delete*', 's3:*'), [toOU('sandbox')], { name: 'DenyS3Delete', id: 'p-s3' }),
      ],
    });
    const plan = planOrg(desired, actual, { namespace: NS });
    const impact = computePlanImpact(actual, plan.ops, CATALOG);
    const byName = Object.fromEntries((impact?.groups ?? []).flatMap((g) => g.accounts.map((acc) => [acc.name, g.changes])));
    expect(Object.keys(byName).sort()).toEqual(['a', 'c']);
    expect(byName.a).toEqual([{ regions: ['us-east-1', 'us-west-2'], newlyDenied: ['s3:*'], newlyAllowed: [], counts: { denied: 3, allowed: 0 } }]);
    expect(byName.c).toEqual([
      { regions: ['us-east-1', 'us-west-2'], newlyDenied: ['s3:GetObject', 's3:PutObject'], newlyAllowed: [], counts: { denied: 2, allowed: 0 } },
    ]);
  });
});

describe('complementOf', () => {
  it('says "every action except" when that list is shorter than the list of services that flipped', () => {
    const services = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`svc${String(i).padStart(2, '0')}`, ['Do', 'Undo']]));
    const catalog = catalogFrom(services, []);
    const flipped = Object.keys(services)
      .slice(0, 29)
      .map((s) => `${s}:*`);
    expect(complementOf(flipped, catalog, serviceCounts(catalog.actions))).toEqual(['svc29:*']);
    expect(complementOf(flipped.slice(0, 10), catalog, serviceCounts(catalog.actions))).toBeUndefined();
  });
});

describe('rendering the impact', () => {
  const plan = (): Plan => ({
    ops: [update(regions(['us-east-1']))],
    blocked: [],
    unmanaged: [],
    warnings: [],
    drift: {},
    impact: computePlanImpact(org(), [update(regions(['us-east-1']))], CATALOG),
    lint: [
      {
        resource: 'ServiceControlPolicy/x',
        field: 'spec.document.Statement[0].Action[0]',
        rule: 'unknown-action',
        message: 'no ec2 action matches "ec2:RunInstance": this entry matches no action',
      },
    ],
  });

  it('text: a heading, one line per group of accounts, one per direction and region; lint under it', () => {
    const text = renderText(plan());
    expect(text).toContain(
      [
        'Permission impact (3 accounts with a changed SCP/RCP path evaluated against 7 actions in us-east-1, us-west-2, any other region; 3 accounts affected):',
        '  a (200000000001), b (200000000002)  (RestrictRegions updated)',
        '      in us-west-2: newly denied: ec2:*, s3:* (5 actions)',
        '  c (200000000003)  (RestrictRegions updated)',
        '      in us-west-2: newly denied: ec2:*, s3:GetObject, s3:PutObject (4 actions)',
        '',
        'Policy lint (1 warning; errors with --strict):',
        '  ! ServiceControlPolicy/x: spec.document.Statement[0].Action[0]: no ec2 action matches "ec2:RunInstance": this entry matches no action [unknown-action]',
      ].join('\n'),
    );
  });

  it('Markdown: escaped; JSON: the data as computed', () => {
    const md = renderMarkdown(plan());
    expect(md).toContain(
      '- **a \\(200000000001\\), b \\(200000000002\\)** (RestrictRegions updated)\n  - in us\\-west\\-2: newly denied: ec2:\\*, s3:\\* \\(5 actions\\)',
    );
    expect(md).toContain('#### Policy lint (1 warning)');
    const doc = JSON.parse(renderJson(plan())) as Plan;
    expect(doc.impact?.groups[0].changes[0].newlyDenied).toEqual(['ec2:*', 's3:*']);
    expect(doc.lint?.[0].rule).toBe('unknown-action');
  });

  it('a moved account: the impact lines follow the move op (its SCP path lines stay)', () => {
    const move: Op = {
      ...base,
      id: 'op-1',
      op: 'MoveAccount',
      resource: 'Account/a',
      accountId: '200000000001',
      fromId: ROOT_ID,
      to: { id: 'ou-sand' },
      gained: ['DenyS3Delete'],
      lost: [],
      summary: 'move account a from Root to Sandbox (gains DenyS3Delete)',
    };
    const p: Plan = { ops: [move], blocked: [], unmanaged: [], warnings: [], drift: {}, impact: computePlanImpact(org(), [move], CATALOG) };
    expect(renderText(p)).toContain(
      [
        '  -> move account a from Root to Sandbox (gains DenyS3Delete)  [op-1]',
        '      permission impact of the move (catalogue actions evaluated before and after):',
        '        ! in us-east-1, us-west-2: newly denied: s3:DeleteBucket',
      ].join('\n'),
    );
    expect(renderMarkdown(p)).toContain('!       in us-east-1, us-west-2: newly denied: s3:DeleteBucket');
  });

  it('Markdown folds a long impact list and escapes hostile account names', () => {
    const p = plan();
    const group = p.impact!.groups[0];
    p.impact!.groups = Array.from({ length: 7 }, (_, i) => ({ ...group, accounts: [{ id: `20000000000${i}`, name: i === 0 ? '<script>@admins' : `n${i}` }] }));
    const md = renderMarkdown(p);
    expect(md).toContain('<details><summary>Show 7 groups of accounts</summary>');
    expect(md).toContain('&lt;script&gt;@\u2060admins');
    expect(md).not.toContain('<script>');
  });
});
