// Runs a plan: ops as a DAG (an op starts once all its deps succeeded), at most `concurrency`
// at a time. A failed op skips only its transitive dependents; the rest of the plan runs on.
// Account lifecycle ops go through persisted workflows, access ops to access-writer, the rest
// to org-writer (imported lazily so that this module has no load-time tie to them).
import type { WorkflowStatus } from '../api/schemas.js';
import { abortError, abortMessage, abortableSleep, currentAbortSignal, isAbortError, withAbortSignal } from '../aws/abort.js';
import type { AwsClients } from '../aws/clients.js';
import type { AccessOp, IdRef, Op, OpOutcome, OrgOp, Plan } from '../plan/operations.js';
import { sdkAccountApi, type AccountApi } from '../workflows/account-api.js';
import type { WorkflowStore } from '../workflows/store.js';
import type { CancelledWorkflow } from '../plan/resume.js';
import { runAccountOp, type AccountOp, type WorkflowOptions } from './account-ops.js';
import { classifyError, OpDeferred } from './errors.js';
import { DEPENDENCY_FAILED_REASON, FAILED_REASON } from './reasons.js';
import { eventReasonOf, writerOf } from '../plan/op-table.js';

export type { AccountOp, WorkflowOptions } from './account-ops.js';
export { classifyError, OpDeferred, OpError } from './errors.js';

export interface ApplyEvent {
  resource: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Op id ("op-3") the event is about. */
  op?: string;
}

export interface OpResult {
  opId: string;
  op: Op;
  resource: string;
  status: 'succeeded' | 'failed' | 'skipped';
  outcome?: OpOutcome;
  /** Why it failed or was skipped, as a sentence. */
  error?: string;
  /** For failures: whether a later run can succeed without a spec change. */
  retryable?: boolean;
  /**
   * For skipped ops: 'observe-only', 'DependencyFailed', 'AwaitingApproval', 'InProgress'
   * (a workflow needs more time than this run waits), 'QuotaGuard', 'Aborted' (not started: the
   * run was stopped), 'Interrupted' (its workflow stopped at a saved step when the run was
   * stopped). For failures: the error code.
   */
  reason?: string;
}

export interface ApplyResult {
  results: OpResult[];
  /** Resource key -> AWS id (an ARN for permission sets) produced by this run's ops (outcome.createdId), plus deps.ids. */
  ids: Record<string, string>;
  /** Resource key -> latest workflow status written in this run (undefined = removed). */
  workflows: Record<string, WorkflowStatus | undefined>;
}

export type Resolve = (r: IdRef) => string;

export interface OpRunners {
  org?: (op: OrgOp, resolve: Resolve) => Promise<OpOutcome>;
  access?: (op: AccessOp, resolve: Resolve) => Promise<OpOutcome>;
  account?: (op: AccountOp, resolve: Resolve) => Promise<OpOutcome>;
}

export interface ApplyDeps {
  clients: AwsClients;
  workflowStore: WorkflowStore;
  /** Ops in flight at once (default 4). */
  concurrency?: number;
  /** Run nothing: every op is reported skipped with reason 'observe-only'. */
  observeOnly?: boolean;
  /**
   * Once aborted, no further op is started (ops in flight finish; their workflows stop at the
   * next saved step); the rest is skipped as 'Aborted'. Default: the signal of the calling
   * reconcile's scope (aws/abort.ts).
   */
  signal?: AbortSignal;
  /** Account closures this run may start (default 1, the Organization quota default). */
  closuresAllowed?: number;
  onEvent?: (e: ApplyEvent) => void;
  /** Replace the writers (tests; or a caller with its own). */
  runners?: OpRunners;
  /** Ids known before the run (e.g. from an earlier run) for {ref} resolution. */
  ids?: Record<string, string>;
  /** Resource keys whose migration is approved (CLI --approve-migration). Moves wait only where MoveAccount.requireApproval says so. */
  approvedMigrations?: ReadonlySet<string>;
  /** Whether this exact move (from -> to) is approved: the controller's Approvals name one move, not an account. */
  approveMove?: (op: Extract<Op, { op: 'MoveAccount' }>) => boolean;
  /** Organizations calls of the account workflows (default: the SDK through clients.organizations). */
  accountApi?: AccountApi;
  workflow?: WorkflowOptions;
}

type Runner = (op: Op, resolve: Resolve) => Promise<OpOutcome>;

/**
 * Workflow knobs for a run that may be stopped: a poll or retry sleep ends at once on the
 * signal, and a workflow stops right after the step it is in has been saved. Either way it
 * throws an AbortError and the stored snapshot is where the next run resumes.
 */
export function stoppableWorkflow(o: WorkflowOptions, signal: AbortSignal | undefined): WorkflowOptions {
  if (!signal) return o;
  const sleep = o.sleep ?? ((ms: number) => abortableSleep(ms, signal));
  return {
    ...o,
    sleep: async (ms) => {
      if (signal.aborted) throw abortError(signal);
      await sleep(ms);
    },
    onStep: async (info) => {
      await o.onStep?.(info);
      if (info.stage === 'persisted' && signal.aborted) throw abortError(signal);
    },
  };
}

/** The move an account op makes (a fresh MoveAccount, or the one a resumed migration still has to make). */
const moveOf = (op: AccountOp): Extract<Op, { op: 'MoveAccount' }> | undefined =>
  op.op === 'MoveAccount' ? op : op.op === 'ResumeWorkflow' && op.resumes.op === 'MoveAccount' ? op.resumes : undefined;

const approvalCheck =
  (d: Pick<ApplyDeps, 'approvedMigrations' | 'approveMove'>, op: AccountOp) =>
  (key: string): boolean => {
    if (d.approvedMigrations?.has(key) ?? false) return true;
    const move = moveOf(op);
    return move !== undefined && key === move.resource && (d.approveMove?.(move) ?? false);
  };

function defaultRunner(deps: ApplyDeps, account: (op: AccountOp, resolve: Resolve) => Promise<OpOutcome>): Runner {
  return async (op, resolve) => {
    // The op table names each kind's writer; a new writer family fails to compile here.
    const writer = writerOf(op);
    switch (writer) {
      case 'account-workflow':
        return (deps.runners?.account ?? account)(op as AccountOp, resolve);
      case 'identity-center':
      case 'iam': {
        if (deps.runners?.access) return deps.runners.access(op as AccessOp, resolve);
        const m = await import('../aws/access-writer.js');
        return m.executeAccessOp(deps.clients, op as AccessOp, resolve);
      }
      case 'organizations': {
        if (deps.runners?.org) return deps.runners.org(op as OrgOp, resolve);
        const m = await import('../aws/org-writer.js');
        return m.executeOrgOp(deps.clients, op as OrgOp, resolve);
      }
    }
  };
}

export async function applyPlan(plan: Pick<Plan, 'ops'>, deps: ApplyDeps): Promise<ApplyResult> {
  const ops = plan.ops;
  const ids: Record<string, string> = { ...deps.ids };
  const signal = deps.signal ?? currentAbortSignal();
  const emit = (e: ApplyEvent) => deps.onEvent?.(e);

  if (deps.observeOnly) return observeOnlyResult(ops, ids);

  const { workflows, accountRunner } = await accountRunnerFor(deps, ops, signal, emit);
  const run = defaultRunner(deps, accountRunner);
  const resolve = idResolver(ids);

  const st: RunState = {
    ops,
    results: new Map<string, OpResult>(),
    byId: new Map(ops.map((o) => [o.id, o])),
    rootCause: new Map<string, string>(),
    pending: new Set(ops.map((o) => o.id)),
    runningIds: new Set<string>(),
    signal,
    emit,
  };
  const limit = Math.max(1, Math.floor(deps.concurrency ?? 4));
  await runAll(st, limit, (op) => execute(st, op, () => run(op, resolve), ids));

  return { results: ops.map((o) => st.results.get(o.id)!), ids, workflows };
}

function observeOnlyResult(ops: readonly Op[], ids: Record<string, string>): ApplyResult {
  return {
    results: ops.map((op) => ({
      opId: op.id,
      op,
      resource: op.resource,
      status: 'skipped',
      reason: 'observe-only',
      error: 'observe-only mode: no AWS writes',
    })),
    ids,
    workflows: {},
  };
}

/** The runner for account ops, over a store that captures every workflow status this run writes. */
async function accountRunnerFor(deps: ApplyDeps, ops: readonly Op[], signal: AbortSignal | undefined, emit: (e: ApplyEvent) => void) {
  // Capture every workflow status this run writes, for the caller's resource status.
  const workflows: Record<string, WorkflowStatus | undefined> = {};
  const store: WorkflowStore = {
    load: () => deps.workflowStore.load(),
    save: async (k, wf) => {
      await deps.workflowStore.save(k, wf);
      workflows[k] = wf;
    },
  };
  const hasAccountOps = ops.some((o) => writerOf(o) === 'account-workflow');
  const stored = hasAccountOps && !deps.runners?.account ? await deps.workflowStore.load() : {};
  let closuresLeft = deps.closuresAllowed ?? 1;
  const api = (): AccountApi => deps.accountApi ?? sdkAccountApi(deps.clients.organizations);

  const accountRunner = (op: AccountOp, resolve: Resolve) =>
    runAccountOp(op, {
      api: api(),
      store,
      stored,
      resolve,
      takeClosure: () => (closuresLeft > 0 ? (closuresLeft--, true) : false),
      requireApproval: (m) => m.requireApproval === true,
      isApproved: approvalCheck(deps, op),
      options: stoppableWorkflow(deps.workflow ?? {}, signal),
      onWorkflowEvent: (type, reason, message) => emit({ resource: op.resource, type, reason, message, op: op.id }),
    });
  return { workflows, accountRunner };
}

const idResolver =
  (ids: Record<string, string>): Resolve =>
  (r) => {
    if ('id' in r) return r.id;
    const id = ids[r.ref];
    if (id === undefined) throw new Error(`unresolved reference ${r.ref}: no earlier operation in this run produced its id`);
    return id;
  };

/** What one applyPlan run knows about its ops while it runs them. */
interface RunState {
  ops: readonly Op[];
  results: Map<string, OpResult>;
  byId: Map<string, Op>;
  /** For a failed op: itself; for a skipped one: the failed/deferred op at the root of its chain. */
  rootCause: Map<string, string>;
  pending: Set<string>;
  runningIds: Set<string>;
  signal: AbortSignal | undefined;
  emit: (e: ApplyEvent) => void;
}

const settle = (st: RunState, r: OpResult) => {
  st.results.set(r.opId, r);
  st.pending.delete(r.opId);
};

const describeRoot = (st: RunState, rootId: string): string => {
  const root = st.byId.get(rootId);
  const r = st.results.get(rootId);
  const what = root ? `${root.id} (${root.summary})` : rootId;
  if (r?.status === 'failed') return `${what} failed: ${r.error ?? 'unknown error'}`;
  return `${what} did not run: ${r?.error ?? r?.reason ?? 'skipped'}`;
};

/** Skip ops whose deps did not succeed; fail ops with unknown deps. Repeats until nothing changes. */
function propagate(st: RunState): void {
  const { byId, results, rootCause, emit } = st;
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of st.pending) {
      const op = byId.get(id)!;
      if (results.has(id) || st.runningIds.has(id)) continue;
      const unknown = op.deps.find((d) => !byId.has(d));
      if (unknown) {
        settle(st, {
          opId: id,
          op,
          resource: op.resource,
          status: 'failed',
          reason: 'InvalidPlan',
          retryable: false,
          error: `depends on ${unknown}, which is not in the plan`,
        });
        rootCause.set(id, id);
        emit({
          resource: op.resource,
          type: 'Warning',
          reason: FAILED_REASON,
          message: `${op.summary}: depends on ${unknown}, which is not in the plan`,
          op: id,
        });
        changed = true;
        continue;
      }
      const bad = op.deps.find((d) => {
        const s = results.get(d)?.status;
        return s === 'failed' || s === 'skipped';
      });
      if (bad) {
        const root = rootCause.get(bad) ?? bad;
        rootCause.set(id, root);
        const error = `skipped: depends on ${describeRoot(st, root)}`;
        settle(st, { opId: id, op, resource: op.resource, status: 'skipped', reason: 'DependencyFailed', error });
        emit({ resource: op.resource, type: 'Warning', reason: DEPENDENCY_FAILED_REASON, message: `${op.summary}: ${error}`, op: id });
        changed = true;
      }
    }
  }
}

/** Runs one op and settles it: succeeded, interrupted, deferred or failed. */
async function execute(st: RunState, op: Op, run: () => Promise<OpOutcome>, ids: Record<string, string>): Promise<void> {
  const { signal, emit } = st;
  try {
    // Out of the run's abort scope: an op that has started runs whole, reads included, so a
    // stop never leaves it half-applied (a created OU without its ownership tags).
    const outcome = await withAbortSignal(undefined, run);
    // Only createdId fills refs (an UpdatePolicy's arn must not stand in for the policy id).
    if (outcome.createdId && op.resource) ids[op.resource] = outcome.createdId;
    settle(st, { opId: op.id, op, resource: op.resource, status: 'succeeded', outcome });
    emit({ resource: op.resource, type: 'Normal', reason: eventReasonOf(op), message: outcome.message ?? op.summary, op: op.id });
  } catch (e) {
    st.rootCause.set(op.id, op.id);
    if (signal?.aborted && isAbortError(e)) {
      const error = `interrupted (${abortMessage(signal)}): its workflow is saved and the next run resumes it`;
      settle(st, { opId: op.id, op, resource: op.resource, status: 'skipped', reason: 'Interrupted', error });
      emit({ resource: op.resource, type: 'Normal', reason: 'Interrupted', message: `${op.summary}: ${error}`, op: op.id });
      return;
    }
    if (e instanceof OpDeferred) {
      settle(st, { opId: op.id, op, resource: op.resource, status: 'skipped', reason: e.reason, error: e.message });
      emit({ resource: op.resource, type: e.reason === 'QuotaGuard' ? 'Warning' : 'Normal', reason: e.reason, message: e.message, op: op.id });
      return;
    }
    const c = classifyError(e);
    settle(st, { opId: op.id, op, resource: op.resource, status: 'failed', reason: c.code, error: c.message, retryable: c.retryable });
    emit({ resource: op.resource, type: 'Warning', reason: FAILED_REASON, message: `${op.summary}: ${c.message}`, op: op.id });
  }
}

/** Starts every op whose deps succeeded, up to `limit` at a time, until every op is settled. */
function runAll(st: RunState, limit: number, execute: (op: Op) => Promise<void>): Promise<void> {
  const { ops, byId, results, pending, runningIds, signal, emit } = st;
  let inFlight = 0;
  return new Promise<void>((done) => {
    const pump = () => {
      propagate(st);
      // Aborted (a stop, or the controller lost its Lease): start nothing more; what runs finishes.
      if (signal?.aborted) {
        for (const id of [...pending]) {
          if (runningIds.has(id)) continue;
          const op = byId.get(id)!;
          settle(st, {
            opId: id,
            op,
            resource: op.resource,
            status: 'skipped',
            reason: 'Aborted',
            error: `not started: this run was stopped (${abortMessage(signal)})`,
          });
        }
      }
      for (const op of ops) {
        if (inFlight >= limit) break;
        if (!pending.has(op.id) || runningIds.has(op.id)) continue;
        if (!op.deps.every((d) => results.get(d)?.status === 'succeeded')) continue;
        runningIds.add(op.id);
        inFlight++;
        void execute(op).finally(() => {
          runningIds.delete(op.id);
          inFlight--;
          pump();
        });
      }
      if (inFlight === 0) {
        // Nothing running and nothing startable: what is left waits on itself.
        const stuck = new Set(pending);
        for (const id of stuck) {
          const op = byId.get(id)!;
          settle(st, {
            opId: id,
            op,
            resource: op.resource,
            status: 'failed',
            reason: 'InvalidPlan',
            retryable: false,
            error: `dependency cycle: ${id} waits on ${op.deps.filter((d) => stuck.has(d)).join(', ')}`,
          });
          emit({ resource: op.resource, type: 'Warning', reason: FAILED_REASON, message: `${op.summary}: dependency cycle`, op: id });
        }
        done();
      }
    };
    pump();
  });
}

/** Event reason of a stored workflow the plan does not ask for. */
export const WORKFLOW_CANCELLED_REASON = 'WorkflowCancelled';

/**
 * Forgets stored workflows the plan does not ask for (plan/resume.ts decided which), so that no
 * later run resumes them either; each is reported as a Warning event. Nothing is sent to AWS.
 * With `write` false (plan, observe-only) they are only reported.
 */
export async function cancelWorkflows(
  cancelled: readonly CancelledWorkflow[],
  store: WorkflowStore,
  opts: { write: boolean; onEvent?: (e: ApplyEvent) => void },
): Promise<void> {
  for (const c of cancelled) {
    let what = opts.write ? 'cancelled, not run' : 'not resumed (nothing written)';
    // A store that cannot forget it (e.g. its object is gone) must not stop the reconcile: the
    // workflow is not run either way, and the next plan cancels it again.
    if (opts.write)
      await store.save(c.resource, undefined).catch((e: unknown) => {
        what = `not run (forgetting it failed: ${e instanceof Error ? e.message : String(e)})`;
      });
    opts.onEvent?.({
      resource: c.resource,
      type: 'Warning',
      reason: WORKFLOW_CANCELLED_REASON,
      message: `stored ${c.kind} workflow (phase ${c.phase}) ${what}: ${c.reason}`,
    });
  }
}
