// plan/resume.ts: which stored workflows a plan resumes (as ResumeWorkflow ops) and which it
// cancels, on plain data.
import { describe, expect, it } from 'vitest';
import type { WorkflowStatus } from '../../controller/api/schemas.js';
import type { Op, WorkflowOp } from '../../controller/plan/operations.js';
import { resumeStillValid, snapshotHash, withStoredWorkflows } from '../../controller/plan/resume.js';
import { riskOf, actionOf } from '../../controller/plan/op-table.js';
import { forgedClose, planOf } from '../support/workflows.js';
import { cancelWorkflows } from '../../controller/apply/executor.js';
import { MemoryWorkflowStore, type WorkflowStore } from '../../controller/workflows/store.js';

const stored = (kind: string, machine: string, value: string, context: Record<string, unknown>, phase = 'Running', status = 'active'): WorkflowStatus => ({
  kind,
  phase,
  snapshot: JSON.stringify({ machine, version: 1, value, context, status }),
});
const migrate = (ctx: Record<string, unknown>, value = 'awaitingApproval') =>
  stored(
    'migrate',
    'account-migrate',
    value,
    { resource: 'Account/dev', accountId: '111111111111', fromId: 'ou-a', toId: 'ou-b', requireApproval: true, approved: false, ...ctx },
    'AwaitingApproval',
  );
const move: WorkflowOp = {
  id: 'op-3',
  deps: ['op-1'],
  op: 'MoveAccount',
  resource: 'Account/dev',
  summary: 'move account dev from A to B',
  accountId: '111111111111',
  fromId: 'ou-a',
  to: { id: 'ou-b' },
  gained: ['DenyB'],
  lost: [],
};
const create: WorkflowOp = {
  id: 'op-1',
  deps: [],
  op: 'CreateAccount',
  resource: 'Account/new',
  summary: 'create account new',
  name: 'new',
  email: 'New@example.com',
  parent: { id: 'ou-a' },
  tags: {},
  roleName: 'OrganizationAccountAccessRole',
};
const close: WorkflowOp = {
  id: 'op-9',
  deps: [],
  op: 'CloseAccount',
  resource: 'Account/old',
  summary: 'close account old',
  accountId: '222222222222',
  name: 'old',
};

describe('withStoredWorkflows', () => {
  it('replaces the fresh op by a resume op when the plan asks for the same outcome (same id, deps, risk)', () => {
    const wf = migrate({});
    const r = withStoredWorkflows(planOf([move]), { 'Account/dev': wf });
    expect(r.cancelled).toEqual([]);
    expect(r.plan.ops).toEqual([
      {
        id: 'op-3',
        deps: ['op-1'],
        resource: 'Account/dev',
        op: 'ResumeWorkflow',
        workflow: 'migrate',
        phase: 'AwaitingApproval',
        snapshotHash: snapshotHash(wf),
        resumes: move,
        summary: 'resume migrate workflow (AwaitingApproval): move account dev from A to B',
      },
    ]);
    expect(actionOf(r.plan.ops[0])).toBe('resume');
    expect(riskOf(r.plan.ops[0])).toBe('routine');
  });

  it('resumes a create marker whose email the plan still creates (adopt-by-email), whatever the case', () => {
    const wf = stored('create', 'account-create', 'creating', { resource: 'Account/new', email: 'new@EXAMPLE.com' }, 'Creating');
    expect(withStoredWorkflows(planOf([create]), { 'Account/new': wf }).plan.ops[0]).toMatchObject({ op: 'ResumeWorkflow', workflow: 'create' });
  });

  it('a resumed closure stays destructive', () => {
    const wf = stored('close', 'account-close', 'closing', { resource: 'Account/old', accountId: '222222222222' }, 'Closing');
    const op = withStoredWorkflows(planOf([close]), { 'Account/old': wf }).plan.ops[0];
    expect(riskOf(op)).toBe('destructive');
  });

  it.each([
    ['no op for it', [] as Op[], migrate({}), 'the plan has no MoveAccount for Account/dev'],
    [
      'another destination',
      [move],
      migrate({ toId: 'ou-c' }),
      'the plan moves account 111111111111 from ou-a to ou-b, the stored workflow was moving it from ou-a to ou-c',
    ],
    [
      'another source (moved out of band)',
      [move],
      migrate({ fromId: 'ou-x' }),
      'the plan moves account 111111111111 from ou-a to ou-b, the stored workflow was moving it from ou-x to ou-b',
    ],
    ['another account', [move], migrate({ accountId: '999999999999' }), 'the plan moves account 111111111111, the stored workflow was moving 999999999999'],
    ['another op kind', [{ ...close, resource: 'Account/dev' }], migrate({}), 'the plan asks for CloseAccount of Account/dev, not a migrate workflow'],
    ['a snapshot about another resource', [move], migrate({ resource: 'Account/other' }), 'its snapshot is about Account/other, not Account/dev'],
    ['a kind that does not fit the machine', [move], { ...migrate({}), kind: 'close' }, 'a close workflow cannot hold a account-migrate snapshot'],
    ['an unreadable snapshot', [move], { kind: 'migrate', phase: 'Moving', snapshot: '{not json' }, 'its snapshot is not an orgplane workflow snapshot'],
  ])('cancels, never resumes, a stored workflow with %s', (_what, ops, wf, reason) => {
    const r = withStoredWorkflows(planOf(ops), { 'Account/dev': wf });
    expect(r.plan.ops).toEqual(ops);
    expect(r.cancelled).toEqual([{ resource: 'Account/dev', kind: wf.kind, phase: wf.phase, reason }]);
    expect(r.plan.warnings).toEqual([`stored ${wf.kind} workflow of Account/dev (phase ${wf.phase}) is not resumed: ${reason}; apply cancels it`]);
  });

  it('a close snapshot naming an account the plan does not close is cancelled', () => {
    const r = withStoredWorkflows(planOf([close]), { 'Account/old': forgedClose('Account/old', '333333333333') });
    expect(r.plan.ops).toEqual([close]);
    expect(r.cancelled[0].reason).toBe('the plan closes account 222222222222, the stored workflow was closing 333333333333');
  });

  it('keeps, neither resumes nor cancels, the workflow of a resource the plan leaves out (invalid, paused)', () => {
    const wf = stored('create', 'account-create', 'creating', { resource: 'Account/new', email: 'new@example.com' }, 'Creating');
    const r = withStoredWorkflows(planOf([]), { 'Account/new': wf }, new Set(['Account/new']));
    expect(r.cancelled).toEqual([]);
    expect(r.plan.warnings).toEqual(['stored create workflow of Account/new (phase Creating) is kept, not resumed: Account/new is left out of this plan']);
  });

  it('leaves finished workflows alone (status history)', () => {
    const done = stored('migrate', 'account-migrate', 'done', { resource: 'Account/dev' }, 'Succeeded', 'done');
    const r = withStoredWorkflows(planOf([move]), { 'Account/dev': done });
    expect(r).toEqual({ plan: planOf([move]), cancelled: [] });
  });
});

describe('resumeStillValid (checked again when the op runs)', () => {
  it('refuses a snapshot that changed since the plan was made', () => {
    const wf = migrate({});
    const op = withStoredWorkflows(planOf([move]), { 'Account/dev': wf }).plan.ops[0];
    if (op.op !== 'ResumeWorkflow') throw new Error('expected a resume op');
    expect(resumeStillValid(op, wf)).toBeUndefined();
    expect(resumeStillValid(op, migrate({ toId: 'ou-c' }))).toBe('the stored migrate workflow of Account/dev changed since the plan was made');
    expect(resumeStillValid(op, undefined)).toBe('no stored migrate workflow of Account/dev any more');
  });
});

describe('cancelWorkflows', () => {
  const cancelled = [{ resource: 'Account/ghost', kind: 'close', phase: 'Closing', reason: 'the plan has no CloseAccount for Account/ghost' }];

  it('forgets the workflow and reports it', async () => {
    const store = new MemoryWorkflowStore({ 'Account/ghost': forgedClose('Account/ghost', '333333333333') });
    const events: string[] = [];
    await cancelWorkflows(cancelled, store, { write: true, onEvent: (e) => events.push(`${e.resource} ${e.type} ${e.reason}: ${e.message}`) });
    expect(await store.load()).toEqual({});
    expect(events).toEqual([
      'Account/ghost Warning WorkflowCancelled: stored close workflow (phase Closing) cancelled, not run: the plan has no CloseAccount for Account/ghost',
    ]);
  });

  it('a store that cannot forget it does not stop the reconcile, and says so', async () => {
    const store: WorkflowStore = {
      load: async () => ({}),
      save: async () => {
        throw new Error('accounts.orgplane.io "ghost" not found');
      },
    };
    const events: string[] = [];
    await cancelWorkflows(cancelled, store, { write: true, onEvent: (e) => events.push(e.message) });
    expect(events).toEqual([
      'stored close workflow (phase Closing) not run (forgetting it failed: accounts.orgplane.io "ghost" not found): the plan has no CloseAccount for Account/ghost',
    ]);
  });
});
