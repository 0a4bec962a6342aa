// The seam between the Kubernetes side and the engine: the controller hands the engine every
// live resource of its namespace and gets back the plan, what was applied, per-resource status
// and events. The shape follows controller/engine.ts's ReconcileResult.
import type { AnyResource } from '../api/schemas.js';
import type { ValidationError } from '../model/desired.js';
import type { ActualOrg } from '../model/actual.js';
import type { Plan } from '../plan/operations.js';
import type { WorkflowStore } from '../workflows/store.js';
import type { StatusFields } from './conditions.js';
import type { EngineEvent } from '../engine.js';
import type { ApprovalGate } from './approvals/gate.js';

export type { EngineEvent };

export interface ReconcileOutcome {
  /** The plan computed at the start of the run. */
  plan: Plan;
  /** What is still to do after the run (the plan again when nothing was applied). */
  pending?: Plan;
  errors: ValidationError[];
  actual?: ActualOrg;
  /** One entry per op the executor ran; read loosely (see opFailed) to stay tolerant of its shape. */
  applied: unknown[];
  statuses: Record<string, StatusFields>;
  events: EngineEvent[];
}

export interface ReconcileContext {
  namespace: string;
  observeOnly: boolean;
  /** false = plan only (a follower, or a dry run). */
  apply: boolean;
  workflowStore: WorkflowStore;
  /** Answers whether a move (or org-wide op) is approved, and records which Approval let it through. */
  approvals?: ApprovalGate;
  /** Aborted on a stop (SIGTERM) or when leadership is lost: reads end at once, no op starts after it. */
  signal: AbortSignal;
  /** Resources being deleted that still hold orgplane's finalizer: the engine plans what their deletionPolicy asks. */
  deleting?: AnyResource[];
}

export type Reconciler = (resources: AnyResource[], ctx: ReconcileContext) => Promise<ReconcileOutcome>;

/** Resource key of an applied-op record, whatever the executor's exact OpResult shape. */
export function appliedResource(r: unknown): string | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const o = r as { resource?: unknown; op?: { resource?: unknown } };
  if (typeof o.resource === 'string') return o.resource;
  if (o.op && typeof o.op.resource === 'string') return o.op.resource;
  return undefined;
}

/** True when an applied-op record says the op did not succeed. */
export function appliedFailed(r: unknown): boolean {
  if (!r || typeof r !== 'object') return false;
  const o = r as { ok?: unknown; status?: unknown; error?: unknown; outcome?: unknown };
  if (o.ok === false) return true;
  if (o.error !== undefined && o.error !== null) return true;
  if (typeof o.status === 'string' && /fail|error|skip|block/i.test(o.status)) return true;
  if (typeof o.outcome === 'string' && /fail|error|skip|block/i.test(o.outcome)) return true;
  return false;
}
