// Stored account workflows are untrusted input: a file anyone can edit (CLI) or a status field
// anyone who may patch status can write (controller). A stored, unfinished workflow therefore
// runs only as part of a plan: when the plan still asks for its outcome (same account, same kind
// of op, same destination / email), the fresh op is replaced by a ResumeWorkflow op that the
// person reviews like any other; otherwise the workflow is cancelled and reported, never run.
// This module only decides (pure); the store is read by the caller and written by the engine.
import { createHash } from 'node:crypto';
import type { WorkflowStatus } from '../api/schemas.js';
import type { Op, Plan, ResumeOp, WorkflowOp } from './operations.js';

export type StoredKind = ResumeOp['workflow'];

/** A stored workflow the plan does not ask for: cancelled by apply, never executed. */
export interface CancelledWorkflow {
  resource: string;
  kind: string;
  phase: string;
  /** Why it does not run, as a sentence fragment ("the plan moves account 1 to ou-b, not ou-c"). */
  reason: string;
}

export interface WorkflowPlan {
  plan: Plan;
  cancelled: CancelledWorkflow[];
}

const KIND_OF: Record<WorkflowOp['op'], StoredKind> = { CreateAccount: 'create', MoveAccount: 'migrate', CloseAccount: 'close' };
const MACHINE_OF: Record<StoredKind, string> = { create: 'account-create', migrate: 'account-migrate', close: 'account-close' };
const OP_OF: Record<StoredKind, WorkflowOp['op']> = { create: 'CreateAccount', migrate: 'MoveAccount', close: 'CloseAccount' };

/** The part of a stored snapshot this module trusts only after checking it. */
export interface StoredSnapshot {
  machine: string;
  state: string;
  done: boolean;
  context: Record<string, unknown>;
}

/** Parses snapshot text without trusting it; undefined when it is not an orgplane workflow snapshot. */
export function readStoredSnapshot(wf: WorkflowStatus): StoredSnapshot | undefined {
  if (typeof wf.snapshot !== 'string') return undefined;
  let p: unknown;
  try {
    p = JSON.parse(wf.snapshot);
  } catch {
    return undefined;
  }
  if (p === null || typeof p !== 'object') return undefined;
  const o = p as Record<string, unknown>;
  if (o.version !== 1 || typeof o.machine !== 'string' || typeof o.value !== 'string') return undefined;
  if (o.context === null || typeof o.context !== 'object' || Array.isArray(o.context)) return undefined;
  return { machine: o.machine, state: o.value, done: o.status === 'done', context: o.context as Record<string, unknown> };
}

/** Identifies the exact snapshot a plan was made with (the store may change before apply). */
export function snapshotHash(wf: WorkflowStatus): string {
  return createHash('sha256')
    .update(wf.snapshot ?? '')
    .digest('hex')
    .slice(0, 16);
}

const isWorkflowOp = (op: Op): op is WorkflowOp => op.op in KIND_OF;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Why this stored context does not ask for what `op` asks for; undefined when it does. */
export function mismatch(op: WorkflowOp, ctx: Record<string, unknown>): string | undefined {
  switch (op.op) {
    case 'CreateAccount':
      // A create marker may mean the account exists or is on its way: resuming it looks the
      // account up by email before creating, so a plan that still creates this email resumes it.
      return str(ctx.email)?.toLowerCase() === op.email.toLowerCase()
        ? undefined
        : `the plan creates ${op.email}, the stored workflow was creating ${str(ctx.email) ?? '(no email)'}`;
    case 'MoveAccount': {
      const to = 'id' in op.to ? op.to.id : op.to.ref;
      if (str(ctx.accountId) !== op.accountId)
        return `the plan moves account ${op.accountId}, the stored workflow was moving ${str(ctx.accountId) ?? '(no account)'}`;
      if (str(ctx.fromId) !== op.fromId || str(ctx.toId) !== to) {
        return `the plan moves account ${op.accountId} from ${op.fromId} to ${to}, the stored workflow was moving it from ${str(ctx.fromId)} to ${str(ctx.toId)}`;
      }
      return undefined;
    }
    case 'CloseAccount':
      return str(ctx.accountId) === op.accountId
        ? undefined
        : `the plan closes account ${op.accountId}, the stored workflow was closing ${str(ctx.accountId) ?? '(no account)'}`;
  }
}

type Decision = { resume: ResumeOp } | { cancel: CancelledWorkflow };

/** Matches one stored workflow against the plan's fresh ops of its resource. */
function decide(key: string, wf: WorkflowStatus, ops: readonly Op[]): Decision {
  const cancel = (reason: string): Decision => ({ cancel: { resource: key, kind: wf.kind, phase: wf.phase, reason } });
  const snap = readStoredSnapshot(wf);
  if (!snap) return cancel('its snapshot is not an orgplane workflow snapshot');
  const kind = wf.kind as StoredKind;
  if (!(kind in MACHINE_OF) || MACHINE_OF[kind] !== snap.machine) return cancel(`a ${wf.kind} workflow cannot hold a ${snap.machine} snapshot`);
  if (str(snap.context.resource) !== key) return cancel(`its snapshot is about ${str(snap.context.resource) ?? 'no resource'}, not ${key}`);
  const mine = ops.filter((o): o is WorkflowOp => isWorkflowOp(o) && o.resource === key);
  const same = mine.filter((o) => o.op === OP_OF[kind]);
  if (same.length === 0) return cancel(notPlanned(key, kind, snap, mine[0]));
  const match = same.find((o) => mismatch(o, snap.context) === undefined);
  if (!match) return cancel(mismatch(same[0], snap.context) ?? 'it does not match the plan');
  return { resume: resumeOp(match, kind, wf) };
}

function notPlanned(key: string, kind: StoredKind, snap: StoredSnapshot, other: WorkflowOp | undefined): string {
  // A create marker whose account the planner already sees (by email) is simply done with.
  if (kind === 'create')
    return `the plan no longer creates ${str(snap.context.email) ?? key}${other ? ` (it has ${other.op} of ${key}: the account exists)` : ''}`;
  return other ? `the plan asks for ${other.op} of ${key}, not a ${kind} workflow` : `the plan has no ${OP_OF[kind]} for ${key}`;
}

function resumeOp(op: WorkflowOp, kind: StoredKind, wf: WorkflowStatus): ResumeOp {
  return {
    id: op.id,
    deps: op.deps,
    resource: op.resource,
    group: op.group,
    risk: op.risk,
    change: op.change,
    op: 'ResumeWorkflow',
    workflow: kind,
    phase: wf.phase,
    snapshotHash: snapshotHash(wf),
    resumes: op,
    summary: `resume ${kind} workflow (${wf.phase}): ${op.summary}`,
  };
}

/**
 * Puts the stored workflows into the plan: resume ops where it still asks for them, cancellations
 * elsewhere. A workflow of a resource the plan leaves out this time (`held`: invalid spec, paused,
 * blocked) is neither: it is kept for a later plan, since cancelling a create marker there could
 * lead to a second CreateAccount once the spec is fixed.
 */
export function withStoredWorkflows(plan: Plan, stored: Readonly<Record<string, WorkflowStatus>>, held: ReadonlySet<string> = new Set()): WorkflowPlan {
  const ops = [...plan.ops];
  const cancelled: CancelledWorkflow[] = [];
  const kept: string[] = [];
  for (const key of Object.keys(stored).sort()) {
    const wf = stored[key];
    // Finished workflows stay in the store as status history; an unreadable one is reported.
    if (!wf.snapshot || readStoredSnapshot(wf)?.done) continue;
    if (held.has(key)) {
      kept.push(`stored ${wf.kind} workflow of ${key} (phase ${wf.phase}) is kept, not resumed: ${key} is left out of this plan`);
      continue;
    }
    const d = decide(key, wf, ops);
    if ('cancel' in d) {
      cancelled.push(d.cancel);
      continue;
    }
    ops[ops.findIndex((o) => o.id === d.resume.id)] = d.resume;
  }
  const warnings = [...plan.warnings, ...kept, ...cancelled.map(cancelWarning)];
  return { plan: { ...plan, ops, warnings }, cancelled };
}

export const cancelWarning = (c: CancelledWorkflow): string =>
  `stored ${c.kind} workflow of ${c.resource} (phase ${c.phase}) is not resumed: ${c.reason}; apply cancels it`;

/** Everything of the plan's op that a resume must still agree with at run time. */
export function resumeStillValid(op: ResumeOp, wf: WorkflowStatus | undefined): string | undefined {
  if (!wf) return `no stored ${op.workflow} workflow of ${op.resource} any more`;
  if (snapshotHash(wf) !== op.snapshotHash) return `the stored ${op.workflow} workflow of ${op.resource} changed since the plan was made`;
  const snap = readStoredSnapshot(wf);
  if (!snap || snap.done) return `the stored ${op.workflow} workflow of ${op.resource} is no longer open`;
  if (MACHINE_OF[op.workflow] !== snap.machine || KIND_OF[op.resumes.op] !== op.workflow)
    return `the stored workflow of ${op.resource} is not a ${op.workflow} workflow`;
  return mismatch(op.resumes, snap.context);
}
