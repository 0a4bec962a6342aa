// Stored workflows are untrusted input (issue 11, findings 1 and 2), through `reconcile` on moto:
// a stored workflow runs only as a resume op of a plan that still asks for its outcome; approval
// is decided from the current spec; a forged snapshot causes no AWS write.
import { describe, expect, it } from 'vitest';
import { CreateAccountCommand, DescribeAccountCommand, ListParentsCommand } from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { apply, clientsFor, edit, example, orgClient } from '../support/engine.js';
import { reconcile } from '../../controller/engine.js';
import type { AnyResource } from '../../controller/api/schemas.js';
import { forgedClose } from '../support/workflows.js';
import { MemoryWorkflowStore, type WorkflowStore } from '../../controller/workflows/store.js';
import type { AwsClients } from '../../controller/aws/clients.js';

const orgOnly = (rs: AnyResource[]) => rs.filter((r) => r.kind !== 'PermissionSet' && r.kind !== 'CrossAccountRole');
const withApproval = (rs: AnyResource[], mode: 'Never' | 'WhenPoliciesChange') =>
  edit(rs, 'Organization/securecart', (r) => {
    if (r.kind === 'Organization') r.spec.migrationApproval = mode;
  });
const moveDev = (rs: AnyResource[]) =>
  edit(rs, 'Account/dev', (r) => {
    if (r.kind === 'Account') r.spec.parent = 'shared-services';
  });

const planWith = (rs: AnyResource[], clients: AwsClients, store: WorkflowStore) =>
  reconcile(rs, { clients, namespace: 'default', workflowStore: store, apply: false });

async function parentName(endpoint: string, accountId: string, names: Record<string, string>): Promise<string> {
  const p = (await orgClient(endpoint).send(new ListParentsCommand({ ChildId: accountId }))).Parents![0].Id!;
  return names[p] ?? p;
}

describe('stored workflows run only as part of the plan', () => {
  const moto = useMoto();

  /** securecart with WhenPoliciesChange, built; then dev's move to SharedServicesOU left waiting in `store`. */
  async function waitingMove(store: WorkflowStore) {
    const clients = clientsFor(moto.endpoint);
    const base = withApproval(orgOnly(example('securecart')), 'WhenPoliciesChange');
    const built = await apply(base, clients, { store });
    expect(built.pending.ops).toEqual([]);
    const held = await apply(moveDev(base), clients, { store });
    expect(held.applied.find((x) => x.op.op === 'MoveAccount')).toMatchObject({ status: 'skipped', reason: 'AwaitingApproval' });
    expect((await store.load())['Account/dev']).toMatchObject({ kind: 'migrate', phase: 'AwaitingApproval' });
    const devId = built.ids['Account/dev'];
    const names = { [built.ids['OrganizationalUnit/workloads']]: 'workloads', [built.ids['OrganizationalUnit/shared-services']]: 'shared-services' };
    return { clients, base, devId, names };
  }

  it('finding 1: a waiting move whose manifests were reverted is cancelled, not run, even when approved', async () => {
    const store = new MemoryWorkflowStore();
    const { clients, base, devId, names } = await waitingMove(store);

    const p = await planWith(base, clients, store);
    expect(p.plan.ops).toEqual([]);
    expect(p.plan.warnings).toContainEqual(
      expect.stringMatching(/^stored migrate workflow of Account\/dev \(phase AwaitingApproval\) is not resumed: the plan has no MoveAccount for Account\/dev/),
    );
    expect((await store.load())['Account/dev']).toBeDefined(); // planning writes nothing

    clients.calls.reset();
    const r = await apply(base, clients, { store, approved: ['Account/dev'] });
    expect(clients.calls.writes()).toBe(0);
    expect(r.applied).toEqual([]);
    expect(r.events).toContainEqual(expect.objectContaining({ resource: 'Account/dev', type: 'Warning', reason: 'WorkflowCancelled' }));
    expect((await store.load())['Account/dev']).toBeUndefined();
    expect(await parentName(moto.endpoint, devId, names)).toBe('workloads');
  }, 60_000);

  it('finding 2: approval comes from the current spec; with migrationApproval back to Never the waiting move runs', async () => {
    const store = new MemoryWorkflowStore();
    const { clients, base, devId, names } = await waitingMove(store);
    const never = moveDev(withApproval(base, 'Never'));

    const p = await planWith(never, clients, store);
    expect(p.plan.ops).toHaveLength(1);
    expect(p.plan.ops[0]).toMatchObject({ op: 'ResumeWorkflow', workflow: 'migrate', resource: 'Account/dev', phase: 'AwaitingApproval' });
    expect(p.plan.ops[0].summary).not.toMatch(/needs approval/);

    const r = await apply(never, clients, { store });
    expect(r.applied.map((x) => [x.op.op, x.status])).toEqual([['ResumeWorkflow', 'succeeded']]);
    expect(r.pending.ops).toEqual([]);
    expect(r.statuses['Account/dev']).toMatchObject({ ou: 'SharedServicesOU' });
    expect(await parentName(moto.endpoint, devId, names)).toBe('shared-services');
  }, 60_000);

  it('a forged snapshot (closing an account orgplane does not manage) causes no AWS write', async () => {
    const clients = clientsFor(moto.endpoint);
    const base = orgOnly(example('securecart'));
    const built = await apply(base, clients);
    expect(built.pending.ops).toEqual([]);
    const org = orgClient(moto.endpoint);
    const outsider = (await org.send(new CreateAccountCommand({ AccountName: 'outsider', Email: 'outsider@example.com' }))).CreateAccountStatus!.AccountId!;
    const store = new MemoryWorkflowStore({
      // A managed resource's key, and one no manifest has: neither may close the outsider.
      'Account/dev': forgedClose('Account/dev', outsider),
      'Account/ghost': forgedClose('Account/ghost', outsider),
    });

    clients.calls.reset();
    const r = await apply(base, clients, { store });
    expect(clients.calls.writes()).toBe(0);
    expect(
      r.events
        .filter((e) => e.reason === 'WorkflowCancelled')
        .map((e) => e.resource)
        .sort(),
    ).toEqual(['Account/dev', 'Account/ghost']);
    expect(await store.load()).toEqual({});
    expect((await org.send(new DescribeAccountCommand({ AccountId: outsider }))).Account!.State).toBe('ACTIVE');
  }, 60_000);
});
