// Account lifecycle ops (CreateAccount, MoveAccount, CloseAccount, RemoveAccount) run as
// persisted xstate workflows. This module turns an op into a started or resumed workflow and a
// workflow's end into an op outcome; it also resumes whatever a previous run left unfinished.
import type { WorkflowStatus } from '../api/schemas.js';
import type { IdRef, Op, OpOutcome } from '../plan/operations.js';
import type { AccountApi } from '../workflows/account-api.js';
import { accountCloseWorkflow, type CloseInput } from '../workflows/account-close.js';
import { accountCreateWorkflow, type CreateInput } from '../workflows/account-create.js';
import { accountMigrateWorkflow, describeScpChange, type MigrateInput } from '../workflows/account-migrate.js';
import {
  isFinished, parseSnapshot, resumeWorkflow, startWorkflow,
  type AnyWorkflow, type RunDeps, type StepInfo, type WorkflowRunResult,
} from '../workflows/runner.js';
import type { WorkflowStore } from '../workflows/store.js';
import type { WorkflowKind } from '../workflows/types.js';
import { OpDeferred, OpError } from './errors.js';

export type AccountOp = Extract<Op, { op: 'CreateAccount' | 'MoveAccount' | 'CloseAccount' | 'RemoveAccount' }>;

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

/** A stored, unfinished workflow of this resource, with its kind and context. */
function unfinished(stored: Record<string, WorkflowStatus>, key: string): { wf: WorkflowStatus; context: Record<string, unknown> } | undefined {
  const wf = stored[key];
  if (!wf?.snapshot || isFinished(wf)) return undefined;
  return { wf, context: parseSnapshot(wf.snapshot).context };
}

export async function runAccountOp(op: AccountOp, ctx: AccountRunContext): Promise<OpOutcome> {
  const deps = runDeps(ctx);
  const now = (ctx.options.now ?? Date.now)();
  const open = unfinished(ctx.stored, op.resource);
  const kind: WorkflowKind | undefined = op.op === 'CreateAccount' ? 'create' : op.op === 'MoveAccount' ? 'migrate' : op.op === 'CloseAccount' ? 'close' : undefined;

  if (open && open.wf.kind !== kind) {
    throw new OpError(
      `${op.resource} still has an unfinished ${open.wf.kind} workflow (phase ${open.wf.phase}); ${op.op} waits until it ends`,
      'WorkflowInProgress', true,
    );
  }

  switch (op.op) {
    case 'CreateAccount': {
      // An unfinished create is resumed whatever the op says now: its marker may mean an account exists.
      if (open) return toOutcome(await resumeWorkflow(accountCreateWorkflow, op.resource, open.wf, deps));
      const input: CreateInput = {
        resource: op.resource, name: op.name, email: op.email, parentId: ctx.resolve(op.parent), roleName: op.roleName,
        iamUserAccessToBilling: op.iamUserAccessToBilling, tags: op.tags, startedAt: now,
        pollBaseMs: ctx.options.pollBaseMs, pollMaxMs: ctx.options.pollMaxMs,
      };
      return toOutcome(await startWorkflow(accountCreateWorkflow, input, deps));
    }
    case 'MoveAccount': {
      const toId = ctx.resolve(op.to);
      if (open && open.context.accountId === op.accountId && open.context.toId === toId) {
        return toOutcome(await resumeWorkflow(accountMigrateWorkflow, op.resource, open.wf, deps));
      }
      // A stored migration to another destination is superseded by this op (the spec changed).
      const input: MigrateInput = {
        resource: op.resource, accountId: op.accountId, fromId: op.fromId, toId, gained: op.gained, lost: op.lost,
        requireApproval: ctx.requireApproval(op), startedAt: now,
      };
      ctx.onWorkflowEvent?.('Normal', 'MigrationPreflight', `moving account ${op.accountId} from ${op.fromId} to ${toId}: ${describeScpChange(op.gained, op.lost)}`);
      return toOutcome(await startWorkflow(accountMigrateWorkflow, input, deps));
    }
    case 'CloseAccount': {
      if (open && open.context.accountId === op.accountId) {
        return toOutcome(await resumeWorkflow(accountCloseWorkflow, op.resource, open.wf, deps));
      }
      const input: CloseInput = {
        resource: op.resource, accountId: op.accountId, name: op.name, closuresAllowed: ctx.takeClosure() ? 1 : 0, startedAt: now,
        pollBaseMs: ctx.options.pollBaseMs, pollMaxMs: ctx.options.pollMaxMs,
      };
      return toOutcome(await startWorkflow(accountCloseWorkflow, input, deps));
    }
    case 'RemoveAccount': {
      // One idempotent call: no workflow to persist.
      const r = await ctx.api.removeAccount(op.accountId);
      return { createdId: op.accountId, message: r === 'removed' ? `removed account ${op.accountId} from the organization` : `account ${op.accountId} was already outside the organization` };
    }
  }
}

export interface ResumedWorkflow {
  resource: string;
  kind: string;
  status: WorkflowRunResult['status'] | 'error';
  phase: string;
  message: string;
  /** The account the workflow is about (created/adopted for create). */
  accountId?: string;
  retryable?: boolean;
}

export interface ResumeResult {
  resumed: ResumedWorkflow[];
  /** Resource key -> account id, for workflows that finished now. */
  ids: Record<string, string>;
  /** Latest stored status of every workflow touched. */
  workflows: Record<string, WorkflowStatus | undefined>;
}

export interface ResumeDeps {
  api: AccountApi;
  workflowStore: WorkflowStore;
  isApproved?: (resourceKey: string) => boolean;
  concurrency?: number;
  workflow?: WorkflowOptions;
  onEvent?: (e: { resource: string; type: 'Normal' | 'Warning'; reason: string; message: string }) => void;
}

/**
 * Runs every stored, unfinished workflow to its end (or until it must wait), before the engine
 * reads the organization and plans: a CreateAccount interrupted by a crash is adopted here,
 * so the next plan sees the account instead of creating it again.
 */
export async function resumeStoredWorkflows(deps: ResumeDeps): Promise<ResumeResult> {
  const stored = await deps.workflowStore.load();
  const workflows: Record<string, WorkflowStatus | undefined> = {};
  const store: WorkflowStore = {
    load: () => deps.workflowStore.load(),
    save: async (k, wf) => { await deps.workflowStore.save(k, wf); workflows[k] = wf; },
  };
  const run = runDeps({ api: deps.api, store, isApproved: deps.isApproved ?? (() => false), options: deps.workflow ?? {} });
  const todo = Object.entries(stored).filter(([, wf]) => wf.snapshot && !isFinished(wf));
  const resumed: ResumedWorkflow[] = [];
  const ids: Record<string, string> = {};

  const one = async ([key, wf]: [string, WorkflowStatus]): Promise<void> => {
    const def = workflowFor(wf.kind);
    if (!def) {
      resumed.push({ resource: key, kind: wf.kind, status: 'error', phase: wf.phase, message: `unknown workflow kind ${wf.kind}` });
      return;
    }
    try {
      const r = await resumeWorkflow(def, key, wf, run);
      const accountId = (r.context as { accountId?: string }).accountId;
      if (r.status === 'done' && accountId) ids[key] = accountId;
      resumed.push({ resource: key, kind: wf.kind, status: r.status, phase: r.workflow.phase, message: r.workflow.message ?? '', accountId, retryable: r.retryable });
      const type = r.status === 'done' || r.status === 'waiting' ? 'Normal' : 'Warning';
      const reason = r.status === 'done' ? 'WorkflowResumed' : r.status === 'waiting' ? (r.workflow.phase === 'AwaitingApproval' ? 'AwaitingApproval' : 'InProgress') : 'WorkflowFailed';
      deps.onEvent?.({ resource: key, type, reason, message: `${wf.kind} workflow: ${r.workflow.message ?? r.status}` });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      resumed.push({ resource: key, kind: wf.kind, status: 'error', phase: wf.phase, message });
      deps.onEvent?.({ resource: key, type: 'Warning', reason: 'WorkflowFailed', message: `${wf.kind} workflow: ${message}` });
    }
  };

  const limit = Math.max(1, deps.concurrency ?? 4);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, todo.length) }, async () => {
    while (next < todo.length) await one(todo[next++]);
  }));
  resumed.sort((a, b) => a.resource.localeCompare(b.resource));
  return { resumed, ids, workflows };
}
