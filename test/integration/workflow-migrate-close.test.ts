// account-migrate, account-close and RemoveAccount against real moto, through applyPlan.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  DescribeAccountCommand,
  ListAccountsCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { applyPlan, type ApplyEvent } from '../../controller/apply/executor.js';
import { applyWithStore } from '../support/workflows.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import { parseSnapshot } from '../../controller/workflows/runner.js';
import type { Op } from '../../controller/plan/operations.js';

const moto = useMoto();
let clients: AwsClients;
afterEach(() => clients?.destroy());
const connect = () => (clients = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS }));

interface World {
  rootId: string;
  a: string;
  b: string;
  c: string;
  accountId: string;
}

async function world(org: OrganizationsClient): Promise<World> {
  const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
  const mk = async (name: string) => (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: name }))).OrganizationalUnit!.Id!;
  const [a, b, c] = [await mk('a'), await mk('b'), await mk('c')];
  const accountId = (await org.send(new CreateAccountCommand({ AccountName: 'payments', Email: 'payments@example.com' }))).CreateAccountStatus!.AccountId!;
  await org.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: rootId, DestinationParentId: a }));
  return { rootId, a, b, c, accountId };
}

const parentOf = async (org: OrganizationsClient, id: string) => (await org.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id!;

const moveOp = (w: World, extra: Partial<Extract<Op, { op: 'MoveAccount' }>> = {}): Op => ({
  id: 'op-1',
  deps: [],
  op: 'MoveAccount',
  resource: 'Account/payments',
  summary: 'move account payments from a to b',
  accountId: w.accountId,
  fromId: w.a,
  to: { id: w.b },
  gained: ['DenyB'],
  lost: ['AllowA'],
  ...extra,
});

describe('account-migrate workflow (moto)', () => {
  it('records the preflight, moves, verifies; a second run finds it already moved', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const store = new MemoryWorkflowStore();
    const events: ApplyEvent[] = [];
    c.calls.reset();
    const r = await applyPlan({ ops: [moveOp(w)] }, { clients: c, workflowStore: store, onEvent: (e) => events.push(e) });
    expect(c.calls.toJSON()).toEqual({ 'Organizations:ListParents': 2, 'Organizations:MoveAccount': 1 });
    expect(r.results[0]).toMatchObject({
      status: 'succeeded',
      outcome: { createdId: w.accountId, message: `moved account ${w.accountId} from ${w.a} to ${w.b}; gains SCPs [DenyB], loses SCPs [AllowA]` },
    });
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.b);
    expect(events.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Normal', 'MigrationPreflight', `moving account ${w.accountId} from ${w.a} to ${w.b}: gains SCPs [DenyB], loses SCPs [AllowA]`],
      ['Normal', 'MovedAccount', `moved account ${w.accountId} from ${w.a} to ${w.b}; gains SCPs [DenyB], loses SCPs [AllowA]`],
    ]);
    const wf = (await store.load())['Account/payments'];
    expect(wf).toMatchObject({ kind: 'migrate', phase: 'Succeeded' });
    expect(parseSnapshot(wf.snapshot!).context).toMatchObject({ gained: ['DenyB'], lost: ['AllowA'], alreadyThere: false });

    c.calls.reset();
    const again = await applyPlan({ ops: [moveOp(w)] }, { clients: c, workflowStore: store });
    expect(again.results[0].outcome?.message).toBe(`account ${w.accountId} was already under ${w.b}`);
    expect(c.calls.byOperation.get('Organizations:MoveAccount')).toBeUndefined();
  });

  it('fails clearly when someone moved the account elsewhere meanwhile', async () => {
    const c = connect();
    const w = await world(c.organizations);
    await c.organizations.send(new MoveAccountCommand({ AccountId: w.accountId, SourceParentId: w.a, DestinationParentId: w.c }));
    const r = await applyPlan({ ops: [moveOp(w)] }, { clients: c, workflowStore: new MemoryWorkflowStore() });
    expect(r.results[0]).toMatchObject({
      status: 'failed',
      retryable: false,
      reason: 'ConcurrentMove',
      error: `account ${w.accountId} is under ${w.c}, neither the planned source ${w.a} nor the destination ${w.b}: it was moved outside orgplane; the next plan will start from where it is now`,
    });
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.c);
  });

  it('with requireApproval waits without moving, and the resumed workflow moves once approved', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const store = new MemoryWorkflowStore();
    const events: ApplyEvent[] = [];
    const r = await applyPlan({ ops: [moveOp(w, { requireApproval: true })] }, { clients: c, workflowStore: store, onEvent: (e) => events.push(e) });
    const waitMsg = `move of account ${w.accountId} from ${w.a} to ${w.b} awaits approval (gains SCPs [DenyB], loses SCPs [AllowA])`;
    expect(r.results[0]).toMatchObject({ status: 'skipped', reason: 'AwaitingApproval', error: waitMsg });
    expect(events.at(-1)).toEqual({ resource: 'Account/payments', type: 'Normal', reason: 'AwaitingApproval', message: waitMsg, op: 'op-1' });
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.a);
    expect((await store.load())['Account/payments']).toMatchObject({ phase: 'AwaitingApproval', message: waitMsg });

    // not approved yet: the plan resumes the stored workflow, which still waits
    const waiting = await applyWithStore([moveOp(w, { requireApproval: true })], { clients: c, workflowStore: store });
    expect(waiting.plan.ops[0]).toMatchObject({ op: 'ResumeWorkflow', phase: 'AwaitingApproval' });
    expect(waiting.results[0]).toMatchObject({ status: 'skipped', reason: 'AwaitingApproval' });
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.a);
    const done = await applyWithStore([moveOp(w, { requireApproval: true })], {
      clients: c,
      workflowStore: store,
      approvedMigrations: new Set(['Account/payments']),
    });
    expect(done.results[0]).toMatchObject({ status: 'succeeded', outcome: { createdId: w.accountId } });
    expect((await store.load())['Account/payments'].phase).toBe('Succeeded');
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.b);
  });

  it('approval is decided by the current op, not the snapshot: a waiting move whose op no longer needs approval moves', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const store = new MemoryWorkflowStore();
    await applyPlan({ ops: [moveOp(w, { requireApproval: true })] }, { clients: c, workflowStore: store });
    expect((await store.load())['Account/payments'].phase).toBe('AwaitingApproval');
    const r = await applyWithStore([moveOp(w)], { clients: c, workflowStore: store });
    expect(r.results[0].status).toBe('succeeded');
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.b);
  });

  it('a fresh op never runs over an unfinished stored workflow it was not planned with', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const store = new MemoryWorkflowStore();
    await applyPlan({ ops: [moveOp(w, { requireApproval: true })] }, { clients: c, workflowStore: store });
    c.calls.reset();
    const r = await applyPlan({ ops: [moveOp(w)] }, { clients: c, workflowStore: store, approvedMigrations: new Set(['Account/payments']) });
    expect(r.results[0]).toMatchObject({ status: 'failed', reason: 'WorkflowInProgress' });
    expect(c.calls.writes()).toBe(0);
    expect(await parentOf(c.organizations, w.accountId)).toBe(w.a);
  });
});

const state = async (org: OrganizationsClient, id: string) => (await org.send(new DescribeAccountCommand({ AccountId: id }))).Account!.State;

describe('account-close workflow and RemoveAccount (moto)', () => {
  it('closes (SUSPENDED), then treats an already closed account as done', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const op: Op = {
      id: 'op-1',
      deps: [],
      op: 'CloseAccount',
      resource: 'Account/payments',
      summary: 'close account payments',
      accountId: w.accountId,
      name: 'payments',
    };
    const store = new MemoryWorkflowStore();
    const r = await applyPlan({ ops: [op] }, { clients: c, workflowStore: store });
    expect(r.results[0]).toMatchObject({ status: 'succeeded', outcome: { message: `closed account ${w.accountId} (SUSPENDED)` } });
    expect(await state(c.organizations, w.accountId)).toBe('SUSPENDED');
    expect((await store.load())['Account/payments']).toMatchObject({ kind: 'close', phase: 'Succeeded' });

    const again = await applyPlan({ ops: [op] }, { clients: c, workflowStore: store });
    expect(again.results[0].outcome?.message).toBe(`account ${w.accountId} was already closed (SUSPENDED)`);
  });

  it('closes no more accounts than closuresAllowed', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const other = (await c.organizations.send(new CreateAccountCommand({ AccountName: 'old', Email: 'old@example.com' }))).CreateAccountStatus!.AccountId!;
    const ops: Op[] = [
      { id: 'op-1', deps: [], op: 'CloseAccount', resource: 'Account/payments', summary: 'close payments', accountId: w.accountId, name: 'payments' },
      { id: 'op-2', deps: [], op: 'CloseAccount', resource: 'Account/old', summary: 'close old', accountId: other, name: 'old' },
    ];
    const r = await applyPlan({ ops }, { clients: c, workflowStore: new MemoryWorkflowStore(), closuresAllowed: 1, concurrency: 1 });
    expect(r.results[0].status).toBe('succeeded');
    expect(r.results[1]).toMatchObject({
      status: 'skipped',
      reason: 'QuotaGuard',
      error: `not closing account ${other} (old): the account closure quota for this run is used up; it will be closed in a later run`,
    });
    expect(await state(c.organizations, other)).toBe('ACTIVE');
  });

  it('RemoveAccount removes the account from the organization, and is idempotent', async () => {
    const c = connect();
    const w = await world(c.organizations);
    const op: Op = {
      id: 'op-1',
      deps: [],
      op: 'RemoveAccount',
      resource: 'Account/payments',
      summary: 'remove payments',
      accountId: w.accountId,
      name: 'payments',
    };
    const r = await applyPlan({ ops: [op] }, { clients: c, workflowStore: new MemoryWorkflowStore() });
    expect(r.results[0]).toMatchObject({ status: 'succeeded', outcome: { message: `removed account ${w.accountId} from the organization` } });
    const ids = ((await c.organizations.send(new ListAccountsCommand({}))).Accounts ?? []).map((a) => a.Id);
    expect(ids).not.toContain(w.accountId);
    const again = await applyPlan({ ops: [op] }, { clients: c, workflowStore: new MemoryWorkflowStore() });
    expect(again.results[0]).toMatchObject({ status: 'succeeded', outcome: { message: `account ${w.accountId} was already outside the organization` } });
  });
});
