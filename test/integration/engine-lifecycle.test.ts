// Changes to a built organization, end to end on a real moto server: moves, OU re-parenting,
// SCP updates and detaches, every deletion policy, the circuit breaker, and import.
import { describe, expect, it } from 'vitest';
import { ListAccountsCommand, ListParentsCommand, DescribePolicyCommand } from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { apply, clientsFor, edit, example, manifests, orgClient, plan, shape } from '../support/engine.js';
import { readOrganization, readTags } from '../../controller/aws/read-org.js';
import { importOrganization } from '../../controller/model/import.js';
import type { AnyResource } from '../../controller/api/schemas.js';

// The Organizations part only: access resources have their own tests, and need IdP groups.
const orgOnly = (rs: AnyResource[]) => rs.filter((r) => r.kind !== 'PermissionSet' && r.kind !== 'CrossAccountRole');

const ok = (r: Awaited<ReturnType<typeof apply>>) => {
  expect(r.errors).toEqual([]);
  expect(r.applied.filter((x) => x.status !== 'succeeded').map((x) => `${x.op.op} ${x.resource}: ${x.error}`)).toEqual([]);
  expect(r.pending.ops.map((o) => o.summary)).toEqual([]);
};

describe('reconciling changes', () => {
  const moto = useMoto();

  it('moves an account between OUs, showing the SCPs it gains and loses first', async () => {
    const clients = clientsFor(moto.endpoint);
    const base = orgOnly(example('securecart'));
    ok(await apply(base, clients));
    const moved = edit(base, 'Account/dev', (r) => {
      if (r.kind === 'Account') r.spec.parent = 'shared-services';
    });
    const p = await plan(moved, clients);
    const move = p.plan.ops.find((o) => o.op === 'MoveAccount');
    expect(move).toMatchObject({ op: 'MoveAccount', resource: 'Account/dev' });
    if (move?.op !== 'MoveAccount') throw new Error('no move');
    expect(move.lost).toContain('EnforceEncryption');
    expect(move.lost).toContain('DenyInternetGatewayOutsideNetworking');
    expect(move.gained).toEqual([]);
    expect(p.plan.ops).toHaveLength(1);

    const r = await apply(moved, clients);
    ok(r);
    expect(r.statuses['Account/dev']).toMatchObject({ ou: 'SharedServicesOU' });
    const org = orgClient(moto.endpoint);
    const parents = await org.send(new ListParentsCommand({ ChildId: String(r.ids['Account/dev']) }));
    expect(parents.Parents?.[0]?.Id).toBe(r.ids['OrganizationalUnit/shared-services']);
    expect((await plan(moved, clients)).plan.ops).toEqual([]);
  });

  it('changes an OU parent by recreating it, moving its accounts and deleting the old one', async () => {
    const clients = clientsFor(moto.endpoint);
    const base = orgOnly(example('securecart'));
    const first = await apply(base, clients);
    ok(first);
    const oldId = first.ids['OrganizationalUnit/workloads'];
    const reparented = edit(base, 'OrganizationalUnit/workloads', (r) => {
      if (r.kind === 'OrganizationalUnit') r.spec.parent = 'shared-services';
    });
    const p = await plan(reparented, clients);
    const kinds = p.plan.ops.map((o) => o.op);
    expect(kinds).toContain('CreateOU');
    expect(kinds.filter((k) => k === 'MoveAccount')).toHaveLength(3);
    expect(kinds).toContain('DeleteOU');
    expect(kinds.indexOf('DeleteOU')).toBeGreaterThan(kinds.lastIndexOf('MoveAccount'));

    const r = await apply(reparented, clients);
    ok(r);
    const newId = r.ids['OrganizationalUnit/workloads'];
    expect(newId).not.toBe(oldId);
    const s = await shape(clients);
    expect(s.ous).toContain('Root/SharedServicesOU/WorkloadsOU');
    expect(s.ous).not.toContain('Root/WorkloadsOU');
    expect(s.accounts.filter((a) => a.startsWith('Root/SharedServicesOU/WorkloadsOU/'))).toHaveLength(3);
    expect(s.policies).toContain('EnforceEncryption -> Root/SharedServicesOU/WorkloadsOU');
    expect((await plan(reparented, clients)).plan.ops).toEqual([]);
  });

  it('updates an SCP document and detaches it from a target it no longer lists', async () => {
    const clients = clientsFor(moto.endpoint);
    const base = orgOnly(example('securecart'));
    ok(await apply(base, clients));
    const changed = edit(base, 'ServiceControlPolicy/restrict-regions', (r) => {
      if (r.kind !== 'ServiceControlPolicy') return;
      r.spec.targets = { organizationalUnits: ['workloads'] };
      const doc = r.spec.document as { Statement: { Condition: { StringNotEquals: Record<string, string[]> } }[] };
      doc.Statement[0].Condition.StringNotEquals['aws:RequestedRegion'] = ['eu-west-1'];
    });
    const p = await plan(changed, clients);
    expect(p.plan.ops.map((o) => o.op).sort()).toEqual(['DetachPolicy', 'UpdatePolicy']);
    const r = await apply(changed, clients);
    ok(r);
    const d = await orgClient(moto.endpoint).send(new DescribePolicyCommand({ PolicyId: String(r.ids['ServiceControlPolicy/restrict-regions']) }));
    expect(JSON.parse(d.Policy?.Content ?? '{}').Statement[0].Condition.StringNotEquals['aws:RequestedRegion']).toEqual(['eu-west-1']);
    expect((await shape(clients)).policies).toContain('RestrictRegions -> Root/WorkloadsOU');
  });

  const small = (ouPolicy: string, acctPolicy: string, scpPolicy: string) =>
    manifests(`
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: team }
spec: { name: Team, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: scratch }
spec: { name: Scratch, parent: root, deletionPolicy: ${ouPolicy} }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: a1 }
spec: { name: a1, email: a1@example.com, parent: team }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: a2 }
spec: { name: a2, email: a2@example.com, parent: team }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: gone }
spec: { name: gone, email: gone@example.com, parent: team, deletionPolicy: ${acctPolicy} }
---
apiVersion: orgplane.io/v1alpha1
kind: ServiceControlPolicy
metadata: { name: deny-leave }
spec:
  name: DenyLeave
  deletionPolicy: ${scpPolicy}
  targets: { organizationalUnits: [team] }
  document: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "organizations:LeaveOrganization", Resource: "*" }] }
---
apiVersion: orgplane.io/v1alpha1
kind: Organization
metadata: { name: org }
spec: { deletion: { maxDeleteFraction: 1 } }
`);
  const without = (rs: AnyResource[], ...keys: string[]) => rs.filter((r) => !keys.includes(`${r.kind}/${r.metadata.name}`));

  it('deletes with deletionPolicy Delete / Close: OU and SCP deleted, account closed', async () => {
    const clients = clientsFor(moto.endpoint);
    const all = small('Delete', 'Close', 'Delete');
    ok(await apply(all, clients));
    // The operator raises the circuit breaker (--max-delete-fraction 1): the manifest may only lower it.
    const r = await apply(without(all, 'OrganizationalUnit/scratch', 'Account/gone', 'ServiceControlPolicy/deny-leave'), clients, {
      guards: { maxDeleteFraction: 1 },
    });
    ok(r);
    const s = await shape(clients);
    expect(s.ous).toEqual(['Root/Team']);
    expect(s.policies).toEqual([]);
    expect(s.accounts.find((a) => a.includes('gone@example.com'))).toMatch(/SUSPENDED$/);
  });

  it('removes an account from the organization with deletionPolicy Remove', async () => {
    const clients = clientsFor(moto.endpoint);
    const all = small('Delete', 'Remove', 'Delete');
    ok(await apply(all, clients));
    ok(await apply(without(all, 'Account/gone'), clients, { guards: { maxDeleteFraction: 1 } }));
    const accounts = await orgClient(moto.endpoint).send(new ListAccountsCommand({}));
    expect(accounts.Accounts?.map((a) => a.Email)).not.toContain('gone@example.com');
  });

  it('leaves everything in AWS with deletionPolicy Retain and reports it unmanaged afterwards', async () => {
    const clients = clientsFor(moto.endpoint);
    const all = small('Retain', 'Retain', 'Retain');
    ok(await apply(all, clients));
    const before = await shape(clients);
    const rest = without(all, 'OrganizationalUnit/scratch', 'Account/gone', 'ServiceControlPolicy/deny-leave');
    const r = await apply(rest, clients, { guards: { maxDeleteFraction: 1 } });
    expect(r.applied.filter((x) => x.status !== 'succeeded')).toEqual([]);
    expect(await shape(clients)).toEqual(before);
    const p = await plan(rest, clients);
    expect(p.plan.ops).toEqual([]);
    expect(p.plan.unmanaged.join('\n')).toMatch(/Scratch/);
    expect(p.plan.unmanaged.join('\n')).toMatch(/gone/);
    expect(p.plan.unmanaged.join('\n')).toMatch(/DenyLeave/);
  });

  it('deletes nothing when the manifest set is empty or truncated (circuit breaker)', async () => {
    const clients = clientsFor(moto.endpoint);
    const base = example('eight-ou').map((r) =>
      r.kind === 'Account' || r.kind === 'OrganizationalUnit' || r.kind === 'ServiceControlPolicy'
        ? edit([r], `${r.kind}/${r.metadata.name}`, (x) => {
            (x.spec as { deletionPolicy?: string }).deletionPolicy = x.kind === 'Account' ? 'Close' : 'Delete';
          })[0]
        : r,
    );
    ok(await apply(base, clients));
    const before = await shape(clients);
    const truncated = base.filter((r) => r.kind === 'Organization' || r.metadata.name.startsWith('security'));
    const r = await apply(truncated, clients);
    expect(r.applied.filter((x) => ['DeleteOU', 'CloseAccount', 'DeletePolicy', 'RemoveAccount'].includes(x.op.op))).toEqual([]);
    expect(r.plan.blocked.some((b) => b.reason === 'DeletionCircuitBreaker')).toBe(true);
    expect(r.plan.blocked.find((b) => b.reason === 'DeletionCircuitBreaker')?.message).toMatch(/nothing was deleted/);
    expect(await shape(clients)).toEqual(before);
  });

  it('imports an existing organization into manifests that re-plan to zero changes', async () => {
    const clients = clientsFor(moto.endpoint);
    ok(await apply(example('reference'), clients));
    const actual = await readOrganization(clients);
    const tags = await readTags(clients, Object.keys(actual.accounts));
    for (const [id, t] of Object.entries(tags)) actual.accounts[id].tags = t;
    const imported = importOrganization(actual);
    expect(imported.filter((r) => r.kind === 'Account')).toHaveLength(Object.keys(actual.accounts).length - 1);
    const p = await plan(imported, clients);
    expect(p.errors).toEqual([]);
    expect(p.plan.ops.map((o) => o.summary)).toEqual([]);
  });

  it('imports an organization orgplane never touched (nested OUs, tags, SCPs) with zero changes', async () => {
    const clients = clientsFor(moto.endpoint);
    const org = orgClient(moto.endpoint);
    const {
      ListRootsCommand,
      CreateOrganizationalUnitCommand,
      CreateAccountCommand,
      MoveAccountCommand,
      CreatePolicyCommand,
      AttachPolicyCommand,
      TagResourceCommand,
      EnablePolicyTypeCommand,
    } = await import('@aws-sdk/client-organizations');
    const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    const prod = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Prod Workloads' }))).OrganizationalUnit!.Id!;
    const nested = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: prod, Name: 'Payments', Tags: [{ Key: 'team', Value: 'payments' }] })))
      .OrganizationalUnit!.Id!;
    const sameName = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Payments' }))).OrganizationalUnit!.Id!;
    const acct = (await org.send(new CreateAccountCommand({ AccountName: 'payments-prod', Email: 'pay@example.com' }))).CreateAccountStatus!.AccountId!;
    await org.send(new MoveAccountCommand({ AccountId: acct, SourceParentId: rootId, DestinationParentId: nested }));
    await org.send(new TagResourceCommand({ ResourceId: acct, Tags: [{ Key: 'cost-center', Value: '42' }] }));
    const pol = (
      await org.send(
        new CreatePolicyCommand({
          Name: 'DenyLeave',
          Description: 'no leaving',
          Type: 'SERVICE_CONTROL_POLICY',
          Content: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] }),
        }),
      )
    ).Policy!.PolicySummary!.Id!;
    for (const t of [prod, acct, sameName]) await org.send(new AttachPolicyCommand({ PolicyId: pol, TargetId: t }));

    const actual = await readOrganization(clients);
    const tags = await readTags(clients, Object.keys(actual.accounts));
    for (const [id, t] of Object.entries(tags)) actual.accounts[id].tags = t;
    const imported = importOrganization(actual);
    const names = imported.map((r) => `${r.kind}/${r.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining(['OrganizationalUnit/prod-workloads', 'OrganizationalUnit/payments', 'Account/payments-prod', 'ServiceControlPolicy/denyleave']),
    );
    expect(new Set(names).size).toBe(names.length);
    const p = await plan(imported, clients);
    expect(p.errors).toEqual([]);
    expect(p.plan.ops.map((o) => o.summary)).toEqual([]);
    expect(p.plan.unmanaged).toEqual([]);
  });
});

describe('migration approval', () => {
  const moto = useMoto();

  it("holds a move that changes an account's SCPs until a person approves it", async () => {
    const clients = clientsFor(moto.endpoint);
    const base = edit(orgOnly(example('securecart')), 'Organization/securecart', (r) => {
      if (r.kind === 'Organization') r.spec.migrationApproval = 'WhenPoliciesChange';
    });
    ok(await apply(base, clients));
    const moved = edit(base, 'Account/dev', (r) => {
      if (r.kind === 'Account') r.spec.parent = 'shared-services';
    });

    const held = await apply(moved, clients);
    const move = held.applied.find((x) => x.op.op === 'MoveAccount');
    expect(move).toMatchObject({ status: 'skipped', reason: 'AwaitingApproval', resource: 'Account/dev' });
    expect(move?.op.summary).toMatch(/loses .*EnforceEncryption.* \[needs approval\]$/);
    expect((await shape(clients)).accounts.find((a) => a.includes('aws-dev@'))).toMatch(/^Root\/WorkloadsOU\//);
    const synced = held.statuses['Account/dev'].conditions.find((c) => c.type === 'Synced');
    expect(synced).toMatchObject({ status: 'False', reason: 'AwaitingApproval' });
    expect(synced?.message).toContain('approve with the orgplane.io/approve-migration annotation (or orgplane apply --approve-migration dev)');
    expect(held.statuses['Account/dev'].conditions.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'Migrating' });

    const approved = await apply(moved, clients, { approved: ['Account/dev'] });
    ok(approved);
    expect(approved.statuses['Account/dev']).toMatchObject({ ou: 'SharedServicesOU' });
  });
});
