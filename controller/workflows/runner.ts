// Drives an account workflow with xstate's pure functions: read the snapshot's state, run that
// state's step (the AWS call), feed the result event to transition(), persist the new snapshot,
// repeat. Nothing lives only in memory between two steps, so a process killed anywhere resumes
// from the stored snapshot (restoring a long-lived actor would restart invoked actors and lose
// `after` delays; here deadlines and request ids are plain context fields).
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { WorkflowStatus } from '../api/schemas.js';
import { errorCode, isRetryable } from '../aws/errors.js';
import type { OpOutcome } from '../plan/operations.js';
import type { WorkflowStore } from './store.js';
import type { BaseContext, FailEvent, StepIO, WorkflowDefinition, WorkflowError, WorkflowKind } from './types.js';

/** Any workflow definition (their methods take their own context; bivariant on purpose). */
export type AnyWorkflow = WorkflowDefinition<BaseContext>;

/** What the store's `snapshot` text holds. */
export interface PersistedSnapshot {
  machine: string;
  version: 1;
  value: string;
  context: Record<string, unknown>;
  status: 'active' | 'done';
}

export interface StepInfo {
  resourceKey: string;
  kind: WorkflowKind;
  /** State whose step ran. */
  from: string;
  event: { type: string };
  /** 'performed': the AWS call returned, nothing recorded yet; 'persisted': the next snapshot is saved. */
  stage: 'performed' | 'persisted';
  to?: string;
}

export interface RunDeps {
  store: WorkflowStore;
  io: StepIO;
  sleep?: (ms: number) => Promise<void>;
  /** Called around every step; a throw aborts the run as a crash would (tests use it). */
  onStep?: (info: StepInfo) => void | Promise<void>;
  /** Attempts of one step on retryable errors before the run stops and leaves the workflow to the next run. */
  stepAttempts?: number;
  retryDelayMs?: number;
  /** Longest total time this run sleeps for polling; beyond it the run stops with 'waiting'. */
  waitBudgetMs?: number;
}

export interface WorkflowRunResult {
  kind: WorkflowKind;
  resource: string;
  /**
   * done / failed: the machine is final. waiting: it needs approval or more time than this run
   * may wait. interrupted: a step kept failing with retryable errors; the next run resumes it.
   */
  status: 'done' | 'failed' | 'waiting' | 'interrupted';
  state: string;
  context: BaseContext;
  workflow: WorkflowStatus;
  outcome?: OpOutcome;
  error?: WorkflowError;
  retryable?: boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function serializeSnapshot(def: AnyWorkflow, snap: AnyMachineSnapshot): string {
  const body: PersistedSnapshot = {
    machine: def.machineId,
    version: 1,
    value: stateOf(snap),
    context: snap.context as Record<string, unknown>,
    status: snap.status === 'done' ? 'done' : 'active',
  };
  return JSON.stringify(body);
}

export function parseSnapshot(text: string): PersistedSnapshot {
  let p: Partial<PersistedSnapshot>;
  try {
    p = JSON.parse(text) as Partial<PersistedSnapshot>;
  } catch (e) {
    throw new Error(`stored workflow snapshot is not JSON: ${(e as Error).message}`);
  }
  if (!p || p.version !== 1 || typeof p.machine !== 'string' || typeof p.value !== 'string' || typeof p.context !== 'object' || p.context === null) {
    throw new Error('stored workflow snapshot is not an orgplane workflow snapshot (version 1)');
  }
  return { machine: p.machine, version: 1, value: p.value, context: p.context, status: p.status === 'done' ? 'done' : 'active' };
}

export function restoreSnapshot(def: AnyWorkflow, text: string): AnyMachineSnapshot {
  const p = parseSnapshot(text);
  if (p.machine !== def.machineId) throw new Error(`stored snapshot is for ${p.machine}, not ${def.machineId}`);
  if (!(p.value in (def.machine.config.states ?? {}))) throw new Error(`stored snapshot state ${p.value} is not a state of ${def.machineId}`);
  return (def.machine as AnyStateMachine).resolveState({ value: p.value, context: p.context });
}

/** Whether a stored workflow has reached a final state (succeeded or failed). */
export function isFinished(wf: WorkflowStatus): boolean {
  if (!wf.snapshot) return true;
  try {
    return parseSnapshot(wf.snapshot).status === 'done';
  } catch {
    return true; // unreadable: nothing to resume
  }
}

const stateOf = (snap: AnyMachineSnapshot): string => {
  if (typeof snap.value !== 'string') throw new Error('account workflows are flat machines: state value must be a string');
  return snap.value;
};

function statusOf(def: AnyWorkflow, snap: AnyMachineSnapshot, note?: string): WorkflowStatus {
  const ctx = snap.context as BaseContext;
  const state = stateOf(snap);
  const message = def.message(state, ctx);
  return {
    kind: def.kind,
    phase: def.phase(state),
    snapshot: serializeSnapshot(def, snap),
    startedAt: new Date(ctx.startedAt).toISOString(),
    message: note ? `${message} (${note})` : message,
  };
}

/** Start a new workflow: its initial snapshot (the marker) is persisted before any AWS call. */
export async function startWorkflow<I>(def: AnyWorkflow, input: I & { resource: string }, deps: RunDeps): Promise<WorkflowRunResult> {
  const [snap] = initialTransition(def.machine as AnyStateMachine, input);
  await deps.store.save(input.resource, statusOf(def, snap));
  return drive(def, input.resource, snap, deps);
}

/** Resume a stored workflow. The last step may or may not have happened: RESUME lets the machine say what that means. */
export async function resumeWorkflow(def: AnyWorkflow, resourceKey: string, stored: WorkflowStatus, deps: RunDeps): Promise<WorkflowRunResult> {
  if (!stored.snapshot) throw new Error(`stored ${stored.kind} workflow of ${resourceKey} has no snapshot`);
  let snap = restoreSnapshot(def, stored.snapshot);
  if (snap.status !== 'done') {
    const [next] = transition(def.machine as AnyStateMachine, snap, { type: 'RESUME' });
    if (next !== snap && stateOf(next) !== stateOf(snap)) {
      snap = next;
      await deps.store.save(resourceKey, statusOf(def, snap));
    }
  }
  return drive(def, resourceKey, snap, deps);
}

async function drive(def: AnyWorkflow, resourceKey: string, start: AnyMachineSnapshot, deps: RunDeps): Promise<WorkflowRunResult> {
  const d = def;
  const sleep = deps.sleep ?? defaultSleep;
  const attempts = Math.max(1, deps.stepAttempts ?? 3);
  const retryDelay = deps.retryDelayMs ?? 1_000;
  let waitBudget = deps.waitBudgetMs ?? Number.POSITIVE_INFINITY;
  let snap = start;

  const result = (status: WorkflowRunResult['status'], extra: Partial<WorkflowRunResult> = {}, note?: string): WorkflowRunResult => {
    const context = snap.context as BaseContext;
    return { kind: def.kind, resource: resourceKey, status, state: stateOf(snap), context, workflow: statusOf(def, snap, note), ...extra };
  };

  for (let guard = 0; guard < 10_000; guard++) {
    const state = stateOf(snap);
    const ctx = snap.context as BaseContext;
    if (snap.status === 'done') {
      return state === 'failed'
        ? result('failed', { error: ctx.error ?? { code: 'Failed', message: 'workflow failed' }, retryable: ctx.error?.code === 'QuotaGuard' })
        : result('done', { outcome: d.outcome(ctx) });
    }

    const wait = d.waitMs(state, ctx, deps.io.now());
    if (wait > 0) {
      if (wait > waitBudget) {
        const r = result('waiting', {}, `next check in ${Math.ceil(wait / 1000)}s`);
        await deps.store.save(resourceKey, r.workflow);
        return r;
      }
      waitBudget -= wait;
      await sleep(wait);
    }

    let event: { type: string } | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        event = await d.step(state, ctx, deps.io);
        break;
      } catch (e) {
        if (isRetryable(e)) {
          if (attempt < attempts) {
            await sleep(retryDelay * 2 ** (attempt - 1));
            continue;
          }
          const error = { code: errorCode(e), message: `${errorCode(e)}: ${(e as Error).message ?? String(e)}` };
          const r = result('interrupted', { error, retryable: true }, `will retry: ${error.message}`);
          await deps.store.save(resourceKey, r.workflow);
          return r;
        }
        const code = errorCode(e);
        const msg = (e as Error).message ?? String(e);
        const fail: FailEvent = { type: 'FAIL', code, message: msg.startsWith(code) ? msg : `${code}: ${msg}` };
        event = fail;
        break;
      }
    }
    if (event === undefined) {
      const r = result('waiting');
      await deps.store.save(resourceKey, r.workflow);
      return r;
    }

    await deps.onStep?.({ resourceKey, kind: def.kind, from: state, event, stage: 'performed' });
    const [next] = transition(def.machine as AnyStateMachine, snap, event);
    if (next === snap) throw new Error(`${def.machineId}: event ${event.type} is not accepted in state ${state}`);
    snap = next;
    await deps.store.save(resourceKey, statusOf(def, snap));
    await deps.onStep?.({ resourceKey, kind: def.kind, from: state, event, stage: 'persisted', to: stateOf(snap) });
  }
  throw new Error(`${def.machineId}: more than 10000 steps for ${resourceKey}`);
}
