// The seam between the Kubernetes side and the engine: the controller hands the engine every
// live resource of its namespace and gets back the plan, what was applied, per-resource status
// and events. The shape follows controller/engine.ts's ReconcileResult.
import type { AnyResource } from '../api/schemas.js';
import type { OpResult } from '../apply/executor.js';
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
  /** One entry per op the executor ran or skipped (status and reason say which and why). */
  applied: OpResult[];
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
