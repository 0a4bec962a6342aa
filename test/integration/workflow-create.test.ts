// account-create against real moto: end to end, and crashes at the two dangerous points.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateOrganizationalUnitCommand,
  ListAccountsCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { initialTransition } from 'xstate';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { applyPlan, type ApplyEvent } from '../../controller/apply/executor.js';
import { applyWithStore } from '../support/workflows.js';
import { FileWorkflowStore } from '../../controller/workflows/store.js';
import { accountCreateMachine, accountCreateWorkflow } from '../../controller/workflows/account-create.js';
import { serializeSnapshot, parseSnapshot, type StepInfo } from '../../controller/workflows/runner.js';
import { ownershipTags } from '../../controller/model/ownership.js';
import type { Op } from '../../controller/plan/operations.js';

const moto = useMoto();
let clients: AwsClients;
afterEach(() => clients?.destroy());

const connect = () => {
  clients = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  return clients;
};
const tmpStorePath = async () => path.join(await mkdtemp(path.join(tmpdir(), 'orgplane-wf-')), 'workflows.json');

async function setupOu(org: OrganizationsClient, name: string): Promise<{ rootId: string; ouId: string }> {
  const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
  const ouId = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: name }))).OrganizationalUnit!.Id!;
  return { rootId, ouId };
}

const tags = ownershipTags('team-a', 'Account/payments', 'Retain');
const createOp = (ouId: string): Op => ({
  id: 'op-1',
  deps: [],
  op: 'CreateAccount',
  resource: 'Account/payments',
  summary: 'create account payments',
  name: 'payments',
  email: 'payments@example.com',
  parent: { id: ouId },
  tags,
  roleName: 'OrganizationAccountAccessRole',
});

async function accountsWithEmail(org: OrganizationsClient, email: string) {
  return ((await org.send(new ListAccountsCommand({}))).Accounts ?? []).filter((a) => a.Email === email);
}

async function tagsOf(org: OrganizationsClient, id: string): Promise<Record<string, string>> {
  const t = (await org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags ?? [];
  return Object.fromEntries(t.map((x) => [x.Key!, x.Value!]));
}

describe('account-create workflow (moto)', () => {
  it('creates the account, moves it under the OU, tags it, and records the workflow', async () => {
    const c = connect();
    const { ouId } = await setupOu(c.organizations, 'workloads');
    const store = new FileWorkflowStore(await tmpStorePath());
    const events: ApplyEvent[] = [];
    const r = await applyPlan({ ops: [createOp(ouId)] }, { clients: c, workflowStore: store, onEvent: (e) => events.push(e) });
    const calls = c.calls.toJSON();

    expect(r.results[0].status).toBe('succeeded');
    const [acct] = await accountsWithEmail(c.organizations, 'payments@example.com');
    expect(acct.Name).toBe('payments');
    expect(r.ids).toEqual({ 'Account/payments': acct.Id });
    expect(r.results[0].outcome).toEqual({ createdId: acct.Id, message: `created account ${acct.Id} (payments@example.com)` });
    expect((await c.organizations.send(new ListParentsCommand({ ChildId: acct.Id! }))).Parents).toEqual([{ Id: ouId, Type: 'ORGANIZATIONAL_UNIT' }]);
    expect(await tagsOf(c.organizations, acct.Id!)).toEqual(tags);
    expect(events).toEqual([
      { resource: 'Account/payments', type: 'Normal', reason: 'CreatedAccount', message: `created account ${acct.Id} (payments@example.com)`, op: 'op-1' },
    ]);

    const stored = (await new FileWorkflowStore(store.path).load())['Account/payments'];
    expect(stored).toMatchObject({ kind: 'create', phase: 'Succeeded', message: `created account ${acct.Id} under ${ouId}` });
    expect(parseSnapshot(stored.snapshot!)).toMatchObject({ value: 'done', status: 'done', context: { accountId: acct.Id, requestId: expect.any(String) } });
    expect(r.workflows['Account/payments']).toEqual(stored);
    // one CreateAccount, one ListParents, one MoveAccount; tags went with CreateAccount
    expect(calls).toEqual({
      'Organizations:CreateAccount': 1,
      'Organizations:CreateOrganizationalUnit': 1,
      'Organizations:ListParents': 1,
      'Organizations:ListRoots': 1,
      'Organizations:MoveAccount': 1,
    });
  });

  it('crash after CreateAccount, before its result is recorded: the next run adopts the account instead of creating another', async () => {
    const c = connect();
    const { ouId } = await setupOu(c.organizations, 'workloads');
    const storePath = await tmpStorePath();
    const crash = (info: StepInfo) => {
      if (info.from === 'creating' && info.stage === 'performed') throw new Error('crash: process killed');
    };
    const first = await applyPlan({ ops: [createOp(ouId)] }, { clients: c, workflowStore: new FileWorkflowStore(storePath), workflow: { onStep: crash } });
    // in-process the crash surfaces as the op's failure; what matters is what is on disk
    expect(first.results[0]).toMatchObject({ status: 'failed', error: 'crash: process killed' });
    const afterCrash = (await new FileWorkflowStore(storePath).load())['Account/payments'];
    expect(afterCrash.phase).toBe('Creating');
    const marker = parseSnapshot(afterCrash.snapshot!);
    expect(marker.value).toBe('creating');
    expect(marker.context).toMatchObject({ email: 'payments@example.com', name: 'payments' });
    expect(marker.context.requestId).toBeUndefined();
    expect(await accountsWithEmail(c.organizations, 'payments@example.com')).toHaveLength(1);

    // "restart": new clients, new store instance on the same file
    c.destroy();
    const c2 = connect();
    const events: ApplyEvent[] = [];
    // The next plan still creates payments@example.com (moto lists the account, but this op list
    // stands for a plan made before it was visible): the marker resumes on the adopt-by-email path.
    const resumed = await applyWithStore([createOp(ouId)], { clients: c2, workflowStore: new FileWorkflowStore(storePath), onEvent: (e) => events.push(e) });
    const accts = await accountsWithEmail(c2.organizations, 'payments@example.com');
    expect(accts).toHaveLength(1);
    const id = accts[0].Id!;
    expect(resumed.plan.ops.map((o) => o.summary)).toEqual(['resume create workflow (Creating): create account payments']);
    expect(resumed.results[0]).toMatchObject({
      status: 'succeeded',
      outcome: { createdId: id, message: `adopted existing account ${id} (payments@example.com)` },
    });
    expect(resumed.ids).toEqual({ 'Account/payments': id });
    expect(c2.calls.byOperation.get('Organizations:CreateAccount')).toBeUndefined();
    expect((await c2.organizations.send(new ListParentsCommand({ ChildId: id }))).Parents?.[0].Id).toBe(ouId);
    expect(await tagsOf(c2.organizations, id)).toEqual(tags);
    expect(events).toEqual([
      { resource: 'Account/payments', type: 'Normal', reason: 'ResumedWorkflow', message: `adopted existing account ${id} (payments@example.com)`, op: 'op-1' },
    ]);
    // nothing left to resume: a plan without the op cancels nothing (the workflow is finished)
    expect((await applyWithStore([], { clients: c2, workflowStore: new FileWorkflowStore(storePath) })).cancelled).toEqual([]);
  });

  it('crash after the request id was persisted: the next run continues from it without a second CreateAccount', async () => {
    const c = connect();
    const { ouId } = await setupOu(c.organizations, 'workloads');
    const storePath = await tmpStorePath();
    const crash = (info: StepInfo) => {
      if (info.from === 'creating' && info.stage === 'persisted') throw new Error('crash: process killed');
    };
    const r = await applyPlan({ ops: [createOp(ouId)] }, { clients: c, workflowStore: new FileWorkflowStore(storePath), workflow: { onStep: crash } });
    expect(r.results[0]).toMatchObject({ status: 'failed', error: 'crash: process killed' });
    const stored = parseSnapshot((await new FileWorkflowStore(storePath).load())['Account/payments'].snapshot!);
    expect(stored.value).toBe('placing');
    expect(stored.context.requestId).toEqual(expect.any(String));

    // The next plan still wants the account (actual read before resume would not matter): the
    // executor resumes the stored workflow instead of starting a new one.
    c.calls.reset();
    const again = await applyWithStore([createOp(ouId)], { clients: c, workflowStore: new FileWorkflowStore(storePath) });
    expect(again.plan.ops[0].op).toBe('ResumeWorkflow');
    expect(again.results[0].status).toBe('succeeded');
    expect(c.calls.byOperation.get('Organizations:CreateAccount')).toBeUndefined();
    const accts = await accountsWithEmail(c.organizations, 'payments@example.com');
    expect(accts).toHaveLength(1);
    expect(again.ids).toEqual({ 'Account/payments': accts[0].Id });
  });

  it('marker persisted but CreateAccount never sent: the resumed workflow looks, finds nothing, and creates exactly one', async () => {
    const c = connect();
    const { ouId } = await setupOu(c.organizations, 'workloads');
    const storePath = await tmpStorePath();
    const [marker] = initialTransition(accountCreateMachine, {
      resource: 'Account/payments',
      name: 'payments',
      email: 'payments@example.com',
      parentId: ouId,
      roleName: 'OrganizationAccountAccessRole',
      tags,
      startedAt: Date.now(),
    });
    await new FileWorkflowStore(storePath).save('Account/payments', {
      kind: 'create',
      phase: 'Creating',
      snapshot: serializeSnapshot(accountCreateWorkflow, marker),
      startedAt: new Date().toISOString(),
    });
    const resumed = await applyWithStore([createOp(ouId)], { clients: c, workflowStore: new FileWorkflowStore(storePath) });
    const calls = c.calls.toJSON();
    expect(resumed.results[0]).toMatchObject({ status: 'succeeded' });
    const accts = await accountsWithEmail(c.organizations, 'payments@example.com');
    expect(accts).toHaveLength(1);
    expect(resumed.results[0].outcome?.message).toBe(`created account ${accts[0].Id} (payments@example.com)`);
    expect(calls).toMatchObject({
      'Organizations:ListAccounts': 1,
      'Organizations:ListCreateAccountStatus': 1,
      'Organizations:CreateAccount': 1,
    });
  });

  it('a resumed marker places the account where the plan says now, not where the marker said', async () => {
    const c = connect();
    const { rootId, ouId } = await setupOu(c.organizations, 'workloads');
    const storePath = await tmpStorePath();
    const [marker] = initialTransition(accountCreateMachine, {
      resource: 'Account/payments',
      name: 'payments',
      email: 'payments@example.com',
      parentId: rootId,
      roleName: 'OrganizationAccountAccessRole',
      tags,
      startedAt: Date.now(),
    });
    await new FileWorkflowStore(storePath).save('Account/payments', {
      kind: 'create',
      phase: 'Creating',
      snapshot: serializeSnapshot(accountCreateWorkflow, marker),
      startedAt: new Date().toISOString(),
    });
    const resumed = await applyWithStore([createOp(ouId)], { clients: c, workflowStore: new FileWorkflowStore(storePath) });
    expect(resumed.plan.ops[0].op).toBe('ResumeWorkflow');
    expect(resumed.results[0].status).toBe('succeeded');
    const [acct] = await accountsWithEmail(c.organizations, 'payments@example.com');
    expect((await c.organizations.send(new ListParentsCommand({ ChildId: acct.Id! }))).Parents?.[0].Id).toBe(ouId);
  });
});
