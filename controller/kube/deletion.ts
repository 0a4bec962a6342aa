// When a deleted resource may let go of its finalizer: pure, from the reconcile that ran with
// the resource absent. Retain never gets here (released at once); Delete/Close/Remove wait
// until the plan re-computed after the run (`pending`) has nothing left for the resource, none
// of its ops failed, nothing blocked it and no workflow of it is still open.
import type { Plan } from '../plan/operations.js';
import type { OpResult } from '../apply/executor.js';

export interface DeletionOutcome {
  done: boolean;
  /** Condition reason while not done (Deleting, ObserveOnly, DeleteFailed, or a Blocked reason). */
  reason: string;
  message: string;
  /** Worth a Warning event (blocked or failed), not just waiting. */
  warning: boolean;
}

export function deletionOutcome(
  key: string,
  policy: string,
  pending: Plan,
  applied: readonly OpResult[],
  workflowOpen: boolean,
  observeOnly: boolean,
): DeletionOutcome {
  const blocked = pending.blocked.find((b) => b.resource === key);
  if (blocked) return { done: false, reason: blocked.reason, message: `deletion (${policy}) blocked: ${blocked.message}`, warning: true };
  const ops = pending.ops.filter((o) => o.resource === key);
  if (observeOnly && ops.length > 0) {
    return {
      done: false,
      reason: 'ObserveOnly',
      message: `deletion (${policy}) needs ${ops.length} operation(s) in AWS; not applied in observe-only mode`,
      warning: false,
    };
  }
  // A skipped op (dependency failed, interrupted, ...) holds the deletion back like a failed one.
  const failed = applied.find((r) => r.resource === key && r.status !== 'succeeded');
  if (failed) {
    const err = failed.error;
    return { done: false, reason: 'DeleteFailed', message: `deletion (${policy}) failed${err ? `: ${err}` : ''}; will retry`, warning: true };
  }
  if (ops.length > 0) {
    return { done: false, reason: 'Deleting', message: `deletion (${policy}): ${ops.length} operation(s) still to run in AWS`, warning: false };
  }
  if (workflowOpen) return { done: false, reason: 'Deleting', message: `deletion (${policy}): workflow still running in AWS`, warning: false };
  return { done: true, reason: 'Deleted', message: `deletion (${policy}) done in AWS`, warning: false };
}
