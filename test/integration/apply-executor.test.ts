// applyPlan end to end with the real writers against moto, and a workflow interrupted by real
// network failures that the next run resumes.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ListAccountsCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListOrganizationalUnitsForParentCommand,
} from '@aws-sdk/client-organizations';
import { useMoto, TEST_CREDENTIALS, TEST_REGION, freePort } from '../support/moto.js';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { applyPlan, cancelWorkflows } from '../../controller/apply/executor.js';
import { withStoredWorkflows } from '../../controller/plan/resume.js';
import { applyWithStore, planOf } from '../support/workflows.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import { parseSnapshot } from '../../controller/workflows/runner.js';
import type { Op } from '../../controller/plan/operations.js';

const moto = useMoto();
const opened: AwsClients[] = [];
afterEach(() => {
  while (opened.length) opened.pop()!.destroy();
});
const connect = (endpoint = moto.endpoint, retry?: { maxAttempts: number }) => {
  const c = createAwsClients({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, retry });
  opened.push(c);
  return c;
};

describe('applyPlan (moto)', () => {
  it('creates an OU with org-writer and an account under it through the workflow, refs resolved in between', async () => {
    const c = connect();
    const rootId = (await c.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    const ops: Op[] = [
      {
        id: 'op-1',
        deps: [],
        op: 'CreateOU',
        resource: 'OrganizationalUnit/workloads',
        summary: 'create OU workloads',
        name: 'workloads',
        parent: { id: rootId },
        tags: { team: 'platform' },
      },
      {
        id: 'op-2',
        deps: ['op-1'],
        op: 'CreateAccount',
        resource: 'Account/payments',
        summary: 'create account payments',
        name: 'payments',
        email: 'payments@example.com',
        parent: { ref: 'OrganizationalUnit/workloads' },
        tags: { team: 'pay' },
        roleName: 'OrganizationAccountAccessRole',
      },
    ];
    const r = await applyPlan({ ops }, { clients: c, workflowStore: new MemoryWorkflowStore() });
    expect(r.results.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
    const ous = (await c.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }))).OrganizationalUnits!;
    expect(ous.map((o) => o.Name)).toEqual(['workloads']);
    const acct = (await c.organizations.send(new ListAccountsCommand({}))).Accounts!.find((a) => a.Email === 'payments@example.com')!;
    expect(r.ids).toEqual({ 'OrganizationalUnit/workloads': ous[0].Id, 'Account/payments': acct.Id });
    expect((await c.organizations.send(new ListParentsCommand({ ChildId: acct.Id! }))).Parents![0].Id).toBe(ous[0].Id);
    expect((await c.organizations.send(new ListTagsForResourceCommand({ ResourceId: acct.Id! }))).Tags).toEqual([{ Key: 'team', Value: 'pay' }]);
  });

  it('a workflow whose calls keep failing on the network stops retryable, keeps its snapshot, and the next run finishes it', async () => {
    const good = connect();
    const rootId = (await good.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    // Nothing listens on this port: every call is a real ECONNREFUSED.
    const dead = connect(`http://127.0.0.1:${await freePort()}`, { maxAttempts: 1 });
    const store = new MemoryWorkflowStore();
    const op: Op = {
      id: 'op-1',
      deps: [],
      op: 'CreateAccount',
      resource: 'Account/payments',
      summary: 'create account payments',
      name: 'payments',
      email: 'payments@example.com',
      parent: { id: rootId },
      tags: {},
      roleName: 'OrganizationAccountAccessRole',
    };
    const r = await applyPlan({ ops: [op] }, { clients: dead, workflowStore: store, workflow: { stepAttempts: 2, retryDelayMs: 1 } });
    expect(r.results[0]).toMatchObject({ status: 'failed', retryable: true, reason: 'ECONNREFUSED' });
    expect(r.results[0].error).toMatch(/^looking for an account payments@example\.com a previous run may have created \(will retry: ECONNREFUSED: /);
    // CreateAccount's outcome was unknown: the stored workflow looks before it creates
    const stored = (await store.load())['Account/payments'];
    expect(stored.phase).toBe('Adopting');
    expect(parseSnapshot(stored.snapshot!)).toMatchObject({ value: 'findingByEmail', context: { createAttempts: 1 } });

    // The next plan still creates payments@example.com: the stored workflow is resumed as an op of it.
    const resumed = await applyWithStore([op], { clients: good, workflowStore: store });
    expect(resumed.plan.ops[0]).toMatchObject({ op: 'ResumeWorkflow', workflow: 'create', phase: 'Adopting', resumes: op });
    expect(resumed.results[0].status).toBe('succeeded');
    expect((await store.load())['Account/payments'].phase).toBe('Succeeded');
    const accts = (await good.organizations.send(new ListAccountsCommand({}))).Accounts!.filter((a) => a.Email === 'payments@example.com');
    expect(accts).toHaveLength(1);
    expect(resumed.ids).toEqual({ 'Account/payments': accts[0].Id });
  });

  it('a stored workflow no plan op asks for is reported, not run; observe-only does not even forget it', async () => {
    const c = connect();
    const stored = {
      'Account/x': {
        kind: 'migrate',
        phase: 'AwaitingApproval',
        message: 'awaits approval',
        snapshot: JSON.stringify({ machine: 'account-migrate', version: 1, value: 'awaitingApproval', context: { resource: 'Account/x' }, status: 'active' }),
      },
      'Account/y': {
        kind: 'create',
        phase: 'Succeeded',
        snapshot: JSON.stringify({ machine: 'account-create', version: 1, value: 'done', context: {}, status: 'done' }),
      },
    };
    const store = new MemoryWorkflowStore(stored);
    const { plan, cancelled } = withStoredWorkflows(planOf([]), await store.load());
    expect(plan.ops).toEqual([]);
    expect(cancelled).toEqual([{ resource: 'Account/x', kind: 'migrate', phase: 'AwaitingApproval', reason: 'the plan has no MoveAccount for Account/x' }]);
    expect(plan.warnings).toEqual([
      'stored migrate workflow of Account/x (phase AwaitingApproval) is not resumed: the plan has no MoveAccount for Account/x; apply cancels it',
    ]);
    const events: string[] = [];
    await cancelWorkflows(cancelled, store, { write: false, onEvent: (e) => events.push(`${e.reason} ${e.message}`) });
    expect(events).toEqual([
      'WorkflowCancelled stored migrate workflow (phase AwaitingApproval) not resumed (nothing written): the plan has no MoveAccount for Account/x',
    ]);
    expect(await store.load()).toEqual(stored);
    await applyPlan(plan, { clients: c, workflowStore: store });
    expect(c.calls.total).toBe(0);
  });
});
