import { afterAll, describe, expect, it } from 'vitest';
import { ConstraintViolationException, TooManyRequestsException } from '@aws-sdk/client-organizations';
import { applyPlan, type ApplyEvent, type OpRunners } from '../../controller/apply/executor.js';
import { createAwsClients } from '../../controller/aws/clients.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import type { IdRef, Op } from '../../controller/plan/operations.js';

// Real clients object, never called: every op below goes to the runners given.
const clients = createAwsClients({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
afterAll(() => clients.destroy());

const ou = (id: string, name: string, deps: string[] = [], parent: IdRef = { id: 'r-root' }): Op => ({
  id,
  deps,
  op: 'CreateOU',
  resource: `OrganizationalUnit/${name}`,
  summary: `create OU ${name}`,
  name,
  parent,
  tags: {},
});
const tag = (id: string, resource: string, deps: string[], target: IdRef): Op => ({
  id,
  deps,
  op: 'TagResource',
  resource,
  summary: `tag ${resource}`,
  target,
  tags: { a: 'b' },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('applyPlan DAG', () => {
  it('a failed op skips its transitive dependents, naming it; unrelated ops still run', async () => {
    const ran: string[] = [];
    const events: ApplyEvent[] = [];
    const runners: OpRunners = {
      org: async (op) => {
        ran.push(op.id);
        if (op.id === 'op-1') throw new ConstraintViolationException({ message: 'OU depth exceeded', $metadata: { httpStatusCode: 400 } });
        return op.op === 'CreateOU' ? { createdId: `ou-${op.name}` } : {};
      },
    };
    const plan = {
      ops: [
        ou('op-1', 'bad'),
        ou('op-2', 'child', ['op-1'], { ref: 'OrganizationalUnit/bad' }),
        tag('op-3', 'OrganizationalUnit/child', ['op-2'], { ref: 'OrganizationalUnit/child' }),
        ou('op-4', 'good'),
        tag('op-5', 'OrganizationalUnit/good', ['op-4'], { ref: 'OrganizationalUnit/good' }),
      ],
    };
    const r = await applyPlan(plan, { clients, workflowStore: new MemoryWorkflowStore(), runners, onEvent: (e) => events.push(e) });
    expect(r.results.map((x) => [x.opId, x.status])).toEqual([
      ['op-1', 'failed'],
      ['op-2', 'skipped'],
      ['op-3', 'skipped'],
      ['op-4', 'succeeded'],
      ['op-5', 'succeeded'],
    ]);
    expect(ran.sort()).toEqual(['op-1', 'op-4', 'op-5']);
    expect(r.results[0]).toMatchObject({ error: 'ConstraintViolationException: OU depth exceeded', retryable: false, reason: 'ConstraintViolationException' });
    expect(r.results[1].error).toBe('skipped: depends on op-1 (create OU bad) failed: ConstraintViolationException: OU depth exceeded');
    // the grandchild names the op that failed, not the skipped one in between
    expect(r.results[2].error).toBe('skipped: depends on op-1 (create OU bad) failed: ConstraintViolationException: OU depth exceeded');
    expect(r.results[2].reason).toBe('DependencyFailed');
    expect(r.ids).toEqual({ 'OrganizationalUnit/good': 'ou-good' });
    expect(events.map((e) => [e.op, e.type, e.reason])).toEqual(
      expect.arrayContaining([
        ['op-1', 'Warning', 'ApplyFailed'],
        ['op-2', 'Warning', 'DependencyFailed'],
        ['op-3', 'Warning', 'DependencyFailed'],
        ['op-4', 'Normal', 'CreatedOU'],
        ['op-5', 'Normal', 'TaggedResource'],
      ]),
    );
    expect(events.find((e) => e.op === 'op-1')?.message).toBe('create OU bad: ConstraintViolationException: OU depth exceeded');
  });

  it('never runs more than `concurrency` ops at once and respects dependency order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const finished: string[] = [];
    const runners: OpRunners = {
      org: async (op) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(15);
        inFlight--;
        finished.push(op.id);
        return {};
      },
    };
    const ops = Array.from({ length: 12 }, (_, i) => ou(`op-${i + 1}`, `n${i + 1}`));
    ops.push(ou('op-13', 'last', ['op-1', 'op-12']));
    const r = await applyPlan({ ops }, { clients, workflowStore: new MemoryWorkflowStore(), runners, concurrency: 3 });
    expect(r.results.every((x) => x.status === 'succeeded')).toBe(true);
    expect(maxInFlight).toBe(3);
    expect(finished.at(-1)).toBe('op-13');
  });

  it('resolves {ref} from createdIds of earlier ops (never from a bare arn) and fails clearly when unresolved', async () => {
    const seen: Record<string, string[]> = {};
    const runners: OpRunners = {
      org: async (op, resolve) => {
        if (op.op === 'CreateOU') {
          seen[op.id] = [resolve(op.parent)];
          return { createdId: `ou-${op.name}` };
        }
        if (op.op === 'CreatePolicy') return { createdId: 'p-12345678', arn: 'arn:aws:organizations::1:policy/p-12345678' };
        if (op.op === 'UpdatePolicy') return { arn: 'arn:aws:organizations::1:policy/p-87654321' };
        if (op.op === 'AttachPolicy') {
          seen[op.id] = [resolve(op.policy), resolve(op.target)];
          return {};
        }
        return {};
      },
      access: async (op) =>
        op.op === 'CreatePermissionSet' ? { createdId: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1', arn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1' } : {},
      account: async (op, resolve) => {
        if (op.op === 'CreateAccount') {
          seen[op.id] = [resolve(op.parent)];
          return { createdId: '123456789012' };
        }
        return {};
      },
    };
    const ops: Op[] = [
      ou('op-1', 'workloads'),
      ou('op-2', 'prod', ['op-1'], { ref: 'OrganizationalUnit/workloads' }),
      {
        id: 'op-3',
        deps: [],
        op: 'CreatePolicy',
        resource: 'ServiceControlPolicy/deny',
        summary: 'create SCP deny',
        name: 'deny',
        description: '',
        content: '{}',
        tags: {},
      },
      {
        id: 'op-4',
        deps: ['op-2', 'op-3'],
        op: 'AttachPolicy',
        resource: 'ServiceControlPolicy/deny',
        summary: 'attach deny to prod',
        policy: { ref: 'ServiceControlPolicy/deny' },
        target: { ref: 'OrganizationalUnit/prod' },
        policyName: 'deny',
        targetName: 'prod',
      },
      {
        id: 'op-5',
        deps: ['op-2'],
        op: 'CreateAccount',
        resource: 'Account/pay',
        summary: 'create account pay',
        name: 'pay',
        email: 'pay@example.com',
        parent: { ref: 'OrganizationalUnit/prod' },
        tags: {},
        roleName: 'OrganizationAccountAccessRole',
      },
      {
        id: 'op-6',
        deps: [],
        op: 'CreatePermissionSet',
        resource: 'PermissionSet/admin',
        summary: 'create permission set admin',
        instanceArn: 'arn:aws:sso:::instance/ssoins-1',
        name: 'admin',
        tags: {},
        spec: { name: 'admin', description: '', sessionDuration: 'PT1H', relayState: '', managedPolicies: [], customerManagedPolicies: [], inlinePolicy: '' },
      },
      ou('op-7', 'orphan', [], { ref: 'OrganizationalUnit/nowhere' }),
      { id: 'op-8', deps: [], op: 'UpdatePolicy', resource: 'ServiceControlPolicy/other', summary: 'update SCP other', policyId: 'p-87654321', content: '{}' },
    ];
    const r = await applyPlan({ ops }, { clients, workflowStore: new MemoryWorkflowStore(), runners, ids: { 'Account/known': '210987654321' } });
    expect(seen).toEqual({ 'op-1': ['r-root'], 'op-2': ['ou-workloads'], 'op-4': ['p-12345678', 'ou-prod'], 'op-5': ['ou-prod'] });
    expect(r.ids).toEqual({
      'Account/known': '210987654321',
      'OrganizationalUnit/workloads': 'ou-workloads',
      'OrganizationalUnit/prod': 'ou-prod',
      'ServiceControlPolicy/deny': 'p-12345678',
      'Account/pay': '123456789012',
      'PermissionSet/admin': 'arn:aws:sso:::permissionSet/ssoins-1/ps-1',
    });
    expect(r.results[6]).toMatchObject({
      status: 'failed',
      retryable: false,
      error: 'unresolved reference OrganizationalUnit/nowhere: no earlier operation in this run produced its id',
    });
  });

  it('classifies throttling as retryable', async () => {
    const runners: OpRunners = {
      org: async () => {
        throw new TooManyRequestsException({ message: 'slow down', $metadata: { httpStatusCode: 429 } });
      },
    };
    const r = await applyPlan({ ops: [ou('op-1', 'a')] }, { clients, workflowStore: new MemoryWorkflowStore(), runners });
    expect(r.results[0]).toMatchObject({ status: 'failed', retryable: true, reason: 'TooManyRequestsException', error: 'TooManyRequestsException: slow down' });
  });

  it('observe-only runs nothing', async () => {
    let calls = 0;
    const runners: OpRunners = {
      org: async () => {
        calls++;
        return {};
      },
    };
    const r = await applyPlan(
      { ops: [ou('op-1', 'a'), ou('op-2', 'b', ['op-1'])] },
      { clients, workflowStore: new MemoryWorkflowStore(), runners, observeOnly: true },
    );
    expect(calls).toBe(0);
    expect(r.results.map((x) => [x.status, x.reason])).toEqual([
      ['skipped', 'observe-only'],
      ['skipped', 'observe-only'],
    ]);
  });

  it('fails ops that depend on unknown ops or on each other', async () => {
    const runners: OpRunners = { org: async () => ({}) };
    const r = await applyPlan(
      { ops: [ou('op-1', 'a', ['op-9']), ou('op-2', 'b', ['op-3']), ou('op-3', 'c', ['op-2']), ou('op-4', 'd')] },
      { clients, workflowStore: new MemoryWorkflowStore(), runners },
    );
    expect(r.results.map((x) => [x.opId, x.status, x.error])).toEqual([
      ['op-1', 'failed', 'depends on op-9, which is not in the plan'],
      ['op-2', 'failed', 'dependency cycle: op-2 waits on op-3'],
      ['op-3', 'failed', 'dependency cycle: op-3 waits on op-2'],
      ['op-4', 'succeeded', undefined],
    ]);
  });

  it('account ops go to the account runner, access ops to the access runner', async () => {
    const got: string[] = [];
    const runners: OpRunners = {
      org: async (op) => {
        got.push(`org:${op.op}`);
        return {};
      },
      access: async (op) => {
        got.push(`access:${op.op}`);
        return {};
      },
      account: async (op) => {
        got.push(`account:${op.op}`);
        return {};
      },
    };
    const ops: Op[] = [
      { id: 'op-1', deps: [], op: 'CloseAccount', resource: 'Account/a', summary: 'close a', accountId: '111111111111', name: 'a' },
      {
        id: 'op-2',
        deps: ['op-1'],
        op: 'DeleteRole',
        resource: 'CrossAccountRole/r',
        summary: 'delete role',
        accountId: '111111111111',
        accountName: 'a',
        accessRoleName: 'R',
        roleName: 'x',
      },
      { id: 'op-3', deps: ['op-2'], op: 'EnableServiceAccess', resource: '', summary: 'enable', servicePrincipal: 'sso.amazonaws.com' },
    ];
    await applyPlan({ ops }, { clients, workflowStore: new MemoryWorkflowStore(), runners, concurrency: 1 });
    expect(got).toEqual(['account:CloseAccount', 'access:DeleteRole', 'org:EnableServiceAccess']);
  });
});
