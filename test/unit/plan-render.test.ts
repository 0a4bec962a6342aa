import { describe, expect, it } from 'vitest';
import { planOrg } from '../../controller/plan/diff.js';
import { NO_CHANGES, renderJson, renderMarkdown, renderText, summaryLine } from '../../controller/plan/render.js';
import type { Op, Plan } from '../../controller/plan/operations.js';
import { riskOf } from '../../controller/plan/op-table.js';
import { resourceChanges, type PlanDocument } from '../../controller/plan/render-json.js';
import { ALLOW_ALL, DENY_ROOT, NS, ROOT_ID, addAccount, addOU, addPolicy, baseActual, dAccount, dOU, dPolicy, desiredOrg, own, toOU } from './plan-fixtures.js';

const planOf = (ops: Op[]): Plan => ({ ops, blocked: [], unmanaged: [], warnings: [], drift: {} });

/** A plan with a create, an update, a move, a recreation group, a deletion and a blocked entry. */
function samplePlan(): Plan {
  const a = baseActual();
  for (let i = 0; i < 6; i++) addOU(a, `ou-ab12-k000000${i}`, `K${i}`, ROOT_ID, own(`OrganizationalUnit/k${i}`));
  addOU(a, 'ou-ab12-infra000', 'Infrastructure', ROOT_ID, own('OrganizationalUnit/infra'));
  addOU(a, 'ou-ab12-work0000', 'Workloads', ROOT_ID, own('OrganizationalUnit/workloads'));
  addOU(a, 'ou-ab12-gone0000', 'Gone', ROOT_ID, own('OrganizationalUnit/gone', 'Delete'));
  addAccount(a, '222222222222', 'Shop', 'shop@example.com', 'ou-ab12-work0000', { tags: own('Account/shop') });
  addAccount(a, '333333333333', 'Api', 'api@example.com', 'ou-ab12-k0000000', { tags: own('Account/api') });
  addPolicy(a, 'p-guard0001', 'guard', ALLOW_ALL, [], own('ServiceControlPolicy/guard'));
  const d = desiredOrg({
    ous: [
      dOU('infra', 'root', { name: 'Infrastructure' }),
      dOU('workloads', 'infra', { name: 'Workloads' }),
      dOU('new', 'root', { name: 'New' }),
      ...Array.from({ length: 6 }, (_, i) => dOU(`k${i}`, 'root', { name: `K${i}` })),
    ],
    accounts: [dAccount('shop', 'shop@example.com', 'workloads', { name: 'Shop' }), dAccount('api', 'api@example.com', 'k1', { name: 'Api', paused: true })],
    policies: [dPolicy('guard', DENY_ROOT, [])],
  });
  return planOrg(d, a, { namespace: NS });
}

describe('renderText', () => {
  const p = samplePlan();
  const text = renderText(p);

  it('prints one line per op with terraform-like symbols, grouped by resource', () => {
    const lines = text.split('\n');
    expect(lines).toContain('OrganizationalUnit/new');
    expect(lines.some((l) => /^ {2}\+ create OU New under Root {2}\[op-\d+\]$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}~ update SCP guard \(p-guard0001\): content {2}\[op-\d+\]$/.test(l))).toBe(true);
    // Deletions are marked with their risk class.
    expect(
      lines.some((l) => /^ {2}- delete OU Gone \(ou-ab12-gone0000\) \(deletionPolicy Delete, manifest removed\) \[destructive\] {2}\[op-\d+\]$/.test(l)),
    ).toBe(true);
  });

  it('shows an OU recreation as one grouped change', () => {
    const lines = text.split('\n');
    const head = lines.indexOf('# recreate OU Workloads under Infrastructure (AWS cannot move OUs): create, move 1 account, delete old ou-ab12-work0000');
    expect(head).toBeGreaterThanOrEqual(0);
    expect(lines[head + 1]).toMatch(/^ {2}\+ create OU Workloads under Infrastructure \(ou-ab12-infra000\) {2}\[op-\d+\]$/);
    expect(lines[head + 2]).toMatch(/^ {2}-> move account Shop \(222222222222\) from Workloads \(ou-ab12-work0000\) to Workloads \(new\) {2}\[op-\d+\]$/);
    expect(lines[head + 3]).toMatch(/^ {2}- delete old OU Workloads \(ou-ab12-work0000\) \[destructive\] {2}\[op-\d+\]$/);
  });

  it('lists blocked resources and ends with the summary line', () => {
    expect(text).toContain(
      'Blocked:\n  ! Account/api: Paused: reconciliation is paused (orgplane.io/paused): 1 planned change(s) not applied: move account Api (333333333333) from K0 (ou-ab12-k0000000) to K1 (ou-ab12-k0000001)\n',
    );
    expect(text.trimEnd().split('\n').pop()).toBe('Plan: 2 to create, 1 to update, 1 to move, 2 to delete; 2 destructive, 0 org-wide.');
  });

  it('colours symbols only when asked', () => {
    expect(text).not.toContain('\u001b[');
    const colored = renderText(p, { color: true });
    expect(colored).toContain('\u001b[32m+ create OU New under Root\u001b[0m');
    expect(colored).toContain('\u001b[31m- delete OU Gone');
    expect(colored).toContain('\u001b[36m-> move account Shop');
  });

  it('says so when there is nothing to do', () => {
    const empty: Plan = { ops: [], blocked: [], unmanaged: [], warnings: [], drift: {} };
    expect(renderText(empty)).toBe(`${NO_CHANGES}\n`);
    expect(NO_CHANGES).toBe('No changes. The organization matches the manifests.');
    expect(summaryLine({ ...empty, blocked: [{ resource: 'Account/x', reason: 'Paused', message: 'm' }] })).toBe('No changes to apply; 1 blocked (see above).');
  });
});

describe('renderMarkdown', () => {
  it('has a summary table, a diff block and the blocked table', () => {
    const md = renderMarkdown(samplePlan());
    expect(md).toContain('**Plan: 2 to create, 1 to update, 1 to move, 2 to delete; 2 destructive, 0 org-wide.**');
    expect(md).toContain('| destructive | 2 |');
    expect(md).toContain('| `+` create | 2 |');
    expect(md).toContain('| `->` move | 1 |');
    expect(md).toContain('```diff\n');
    expect(md).toContain('+ + create OU New under Root');
    expect(md).toContain('- - delete OU Gone (ou-ab12-gone0000) (deletionPolicy Delete, manifest removed) [destructive]');
    expect(md).toContain('| Account/api | Paused | reconciliation is paused');
    expect(md).not.toContain('<details><summary>Show');
  });

  it('folds long plans', () => {
    const d = desiredOrg({ ous: Array.from({ length: 25 }, (_, i) => dOU(`ou${i}`)) });
    const md = renderMarkdown(planOrg(d, baseActual(), { namespace: NS }));
    expect(md).toContain('<details><summary>Show 25 operations</summary>');
    expect(md).toContain('</details>');
  });
});

describe('renderJson', () => {
  it('is stable JSON with sorted keys: the plan, its ops with their risk class, a format version and totals', () => {
    const p = samplePlan();
    const json = renderJson(p);
    const doc = JSON.parse(json) as PlanDocument;
    expect(doc.formatVersion).toBe('1.0');
    expect(doc.ops).toEqual(JSON.parse(JSON.stringify(p.ops.map((op) => ({ ...op, risk: op.risk ?? riskOf(op) })))));
    for (const k of ['blocked', 'drift', 'unmanaged', 'warnings', 'groups'] as const) expect(doc[k]).toEqual(JSON.parse(JSON.stringify(p[k])));
    expect(doc.totals).toEqual({
      ops: 6,
      resources: 5,
      actions: { create: 2, update: 1, move: 1, adopt: 0, resume: 0, delete: 2 },
      risks: { routine: 4, destructive: 2, 'org-wide': 0 },
    });
    expect(json.indexOf('"blocked"')).toBeLessThan(json.indexOf('"drift"'));
    expect(json.indexOf('"deps"')).toBeLessThan(json.indexOf('"id"'));
    expect(renderJson(samplePlan())).toBe(json);
  });

  it('has one resource change per resource with its ordered actions, highest risk and documents before/after', () => {
    const doc = JSON.parse(renderJson(samplePlan())) as PlanDocument;
    const byAddress = Object.fromEntries(doc.resourceChanges.map((r) => [r.address, r]));
    expect(Object.keys(byAddress)).toEqual([
      'ServiceControlPolicy/guard',
      'OrganizationalUnit/new',
      'OrganizationalUnit/workloads',
      'Account/shop',
      'OrganizationalUnit/gone',
    ]);
    expect(byAddress['OrganizationalUnit/new']).toEqual({ address: 'OrganizationalUnit/new', actions: ['create'], risk: 'routine', ops: ['op-2'] });
    // An OU recreation: create the new OU and (after the account moved) delete the old one, in that order.
    expect(byAddress['OrganizationalUnit/workloads']).toMatchObject({ actions: ['create', 'delete'], risk: 'destructive' });
    expect(byAddress['Account/shop']).toMatchObject({ actions: ['move'], risk: 'routine' });
    expect(byAddress['OrganizationalUnit/gone']).toMatchObject({ actions: ['delete'], risk: 'destructive' });
    const scp = byAddress['ServiceControlPolicy/guard'];
    expect(scp).toMatchObject({ actions: ['update'], risk: 'routine', before: { content: JSON.parse(ALLOW_ALL) }, after: { content: JSON.parse(DENY_ROOT) } });
    expect(scp.patch?.content.length).toBeGreaterThan(0);
  });

  it('keys documents by op when two ops of one resource change a document of the same name', () => {
    const put = (id: string, account: string, trust: string): Op => ({
      id,
      deps: [],
      resource: 'CrossAccountRole/deploy',
      summary: `update role deploy in ${account}`,
      op: 'PutRole',
      account: { id: account },
      accountName: account,
      accessRoleName: 'OrganizationAccountAccessRole',
      create: false,
      changes: ['trustPolicy'],
      role: {
        roleName: 'deploy',
        path: '/',
        description: '',
        trustPolicy: trust,
        managedPolicyArns: [],
        inlinePolicies: {},
        maxSessionDuration: 3600,
        tags: {},
      },
      change: { trustPolicy: { before: JSON.parse(ALLOW_ALL), after: JSON.parse(trust) } },
    });
    const [rc] = resourceChanges(planOf([put('op-1', '222222222222', DENY_ROOT), put('op-2', '333333333333', DENY_ROOT)]));
    expect(Object.keys(rc.after ?? {})).toEqual(['op-1:trustPolicy', 'op-2:trustPolicy']);
    expect(rc.actions).toEqual(['update']);
  });
});

it('the sample plan attaches nothing to unknown targets', () => {
  expect(samplePlan().ops.filter((o) => o.op === 'AttachPolicy' && !('target' in o))).toEqual([]);
  expect(toOU('x')).toEqual({ kind: 'ou', ref: 'x' });
});
