// Account lifecycle ops (CreateAccount, MoveAccount, CloseAccount, RemoveAccount) run as
// persisted xstate workflows. This module turns an op into a started or resumed workflow and a
// workflow's end into an op outcome; it also resumes whatever a previous run left unfinished.
import type { WorkflowStatus } from '../api/schemas.js';
import type { IdRef, Op, OpOutcome, ResumeOp } from '../plan/operations.js';
import { readStoredSnapshot, resumeStillValid } from '../plan/resume.js';
import type { AccountApi } from '../workflows/account-api.js';
import { accountCloseWorkflow, type CloseInput } from '../workflows/account-close.js';
import { accountCreateWorkflow, type CreateInput } from '../workflows/account-create.js';
import { accountMigrateWorkflow, describeScpChange, type MigrateInput } from '../workflows/account-migrate.js';
import { isFinished, resumeWorkflow, startWorkflow, type AnyWorkflow, type RunDeps, type StepInfo, type WorkflowRunResult } from '../workflows/runner.js';
import type { WorkflowStore } from '../workflows/store.js';
import type { WorkflowKind } from '../workflows/types.js';
import { OpDeferred, OpError } from './errors.js';

export type AccountOp = Extract<Op, { op: 'CreateAccount' | 'MoveAccount' | 'CloseAccount' | 'RemoveAccount' | 'ResumeWorkflow' }>;

export const WORKFLOWS: Record<WorkflowKind, AnyWorkflow> = {
  create: accountCreateWorkflow,
  migrate: accountMigrateWorkflow,
  close: accountCloseWorkflow,
};

export function workflowFor(kind: string): AnyWorkflow | undefined {
  return (WORKFLOWS as Record<string, AnyWorkflow | undefined>)[kind];
}

/** Knobs of the workflow runner the executor passes through (tests shorten waits with them). */
export interface WorkflowOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onStep?: (info: StepInfo) => void | Promise<void>;
  stepAttempts?: number;
  retryDelayMs?: number;
  waitBudgetMs?: number;
  /** Poll intervals for new create/close workflows. */
  pollBaseMs?: number;
  pollMaxMs?: number;
}

export interface AccountRunContext {
  api: AccountApi;
  store: WorkflowStore;
  /** Workflows stored when this run began. */
  stored: Record<string, WorkflowStatus>;
  resolve: (r: IdRef) => string;
  /** Takes one closure from this run's quota; false when none is left. */
  takeClosure: () => boolean;
  requireApproval: (op: Extract<Op, { op: 'MoveAccount' }>) => boolean;
  isApproved: (resourceKey: string) => boolean;
  options: WorkflowOptions;
  onWorkflowEvent?: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

function runDeps(ctx: Pick<AccountRunContext, 'api' | 'store' | 'isApproved' | 'options'>): RunDeps {
  const o = ctx.options;
  return {
    store: ctx.store,
    io: { api: ctx.api, now: o.now ?? Date.now, isApproved: ctx.isApproved },
    sleep: o.sleep,
    onStep: o.onStep,
    stepAttempts: o.stepAttempts,
    retryDelayMs: o.retryDelayMs,
    waitBudgetMs: o.waitBudgetMs,
  };
}

/** The op outcome of a finished workflow, or the error/deferral that says why it is not finished. */
export function toOutcome(r: WorkflowRunResult): OpOutcome {
  switch (r.status) {
    case 'done':
      return r.outcome ?? {};
    case 'failed':
      if (r.error?.code === 'QuotaGuard') throw new OpDeferred(r.error.message, 'QuotaGuard');
      throw new OpError(r.error?.message ?? 'workflow failed', r.error?.code ?? 'WorkflowFailed', r.retryable ?? false);
    case 'waiting':
      throw new OpDeferred(r.workflow.message ?? `${r.kind} workflow waiting`, r.workflow.phase === 'AwaitingApproval' ? 'AwaitingApproval' : 'InProgress');
    case 'interrupted':
      throw new OpError(r.workflow.message ?? r.error?.message ?? 'workflow interrupted', r.error?.code ?? 'Interrupted', true);
  }
}

/**
 * A stored workflow runs only as the ResumeWorkflow op of a plan that still asks for it
 * (plan/resume.ts). A fresh op that finds one open was planned without looking at the store:
 * starting over could create an account twice, resuming could do what nobody reviewed.
 */
function refuseIfOpen(stored: Record<string, WorkflowStatus>, op: AccountOp): void {
  const wf = stored[op.resource];
  if (!wf?.snapshot || isFinished(wf)) return;
  throw new OpError(
    `${op.resource} has an unfinished ${wf.kind} workflow (phase ${wf.phase}) that this plan does not resume; plan again to review it`,
    'WorkflowInProgress',
    true,
  );
}

export async function runAccountOp(op: AccountOp, ctx: AccountRunContext): Promise<OpOutcome> {
  const deps = runDeps(ctx);
  const now = (ctx.options.now ?? Date.now)();
  if (op.op === 'ResumeWorkflow') return resumePlanned(op, ctx);
  refuseIfOpen(ctx.stored, op);

  switch (op.op) {
    case 'CreateAccount': {
      const input: CreateInput = {
        resource: op.resource,
        name: op.name,
        email: op.email,
        parentId: ctx.resolve(op.parent),
        roleName: op.roleName,
        iamUserAccessToBilling: op.iamUserAccessToBilling,
        tags: op.tags,
        startedAt: now,
        pollBaseMs: ctx.options.pollBaseMs,
        pollMaxMs: ctx.options.pollMaxMs,
      };
      return toOutcome(await startWorkflow(accountCreateWorkflow, input, deps));
    }
    case 'MoveAccount': {
      const toId = ctx.resolve(op.to);
      const input: MigrateInput = {
        resource: op.resource,
        accountId: op.accountId,
        fromId: op.fromId,
        toId,
        gained: op.gained,
        lost: op.lost,
        requireApproval: ctx.requireApproval(op),
        startedAt: now,
      };
      ctx.onWorkflowEvent?.(
        'Normal',
        'MigrationPreflight',
        `moving account ${op.accountId} from ${op.fromId} to ${toId}: ${describeScpChange(op.gained, op.lost)}`,
      );
      return toOutcome(await startWorkflow(accountMigrateWorkflow, input, deps));
    }
    case 'CloseAccount': {
      const input: CloseInput = {
        resource: op.resource,
        accountId: op.accountId,
        name: op.name,
        closuresAllowed: ctx.takeClosure() ? 1 : 0,
        startedAt: now,
        pollBaseMs: ctx.options.pollBaseMs,
        pollMaxMs: ctx.options.pollMaxMs,
      };
      return toOutcome(await startWorkflow(accountCloseWorkflow, input, deps));
    }
    case 'RemoveAccount': {
      // One idempotent call: no workflow to persist.
      const r = await ctx.api.removeAccount(op.accountId);
      return {
        createdId: op.accountId,
        message: r === 'removed' ? `removed account ${op.accountId} from the organization` : `account ${op.accountId} was already outside the organization`,
      };
    }
  }
}

/**
 * A resumed create puts the account where the plan now says (the parent may have changed since
 * the marker was written): only the email has to match, since that is what makes it the same account.
 */
function placedAsPlanned(wf: WorkflowStatus, parentId: string): WorkflowStatus {
  const snap = JSON.parse(wf.snapshot ?? '{}') as { context?: Record<string, unknown> };
  if (!snap.context || snap.context.parentId === parentId) return wf;
  return { ...wf, snapshot: JSON.stringify({ ...snap, context: { ...snap.context, parentId } }) };
}

/**
 * Runs a ResumeWorkflow op: the stored snapshot must be the one the plan showed and still match
 * the op it resumes. A migration's approval gate is decided now, from the current plan's
 * requirement and the current approvals; whatever the snapshot recorded about approval is ignored.
 */
async function resumePlanned(op: ResumeOp, ctx: AccountRunContext): Promise<OpOutcome> {
  const wf = ctx.stored[op.resource];
  const invalid = resumeStillValid(op, wf);
  if (invalid || !wf) throw new OpError(`not resumed: ${invalid ?? 'no stored workflow'}; plan again`, 'WorkflowChanged', false);
  let deps = runDeps(ctx);
  if (op.resumes.op === 'CreateAccount')
    return toOutcome(await resumeWorkflow(WORKFLOWS.create, op.resource, placedAsPlanned(wf, ctx.resolve(op.resumes.parent)), deps));
  if (op.resumes.op === 'MoveAccount') {
    const mayMove = !ctx.requireApproval(op.resumes) || ctx.isApproved(op.resource);
    // A snapshot stopped in `moving` passed its gate in an earlier run; the move still needs today's approval.
    if (!mayMove && readStoredSnapshot(wf)?.state === 'moving') {
      throw new OpDeferred(
        `move of account ${op.resumes.accountId} awaits approval (${describeScpChange(op.resumes.gained, op.resumes.lost)})`,
        'AwaitingApproval',
      );
    }
    deps = { ...deps, io: { ...deps.io, isApproved: () => mayMove } };
  }
  return toOutcome(await resumeWorkflow(WORKFLOWS[op.workflow], op.resource, wf, deps));
}
