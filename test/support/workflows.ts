// Runs ops the way the engine does when workflows are stored: the stored workflows enter the
// plan first (resume ops, cancellations; plan/resume.ts), cancellations are written, then the
// plan is applied. Tests of the executor use it instead of calling applyPlan on a raw op list
// whenever a store may hold an unfinished workflow.
import { applyPlan, cancelWorkflows, type ApplyDeps, type ApplyResult } from '../../controller/apply/executor.js';
import type { Op, Plan } from '../../controller/plan/operations.js';
import { withStoredWorkflows, type CancelledWorkflow } from '../../controller/plan/resume.js';
import type { WorkflowStatus } from '../../controller/api/schemas.js';

export const planOf = (ops: Op[]): Plan => ({ ops, blocked: [], unmanaged: [], warnings: [], drift: {} });

export async function applyWithStore(ops: Op[], deps: ApplyDeps): Promise<ApplyResult & { plan: Plan; cancelled: CancelledWorkflow[] }> {
  const { plan, cancelled } = withStoredWorkflows(planOf(ops), await deps.workflowStore.load());
  await cancelWorkflows(cancelled, deps.workflowStore, { write: true, onEvent: deps.onEvent });
  return { ...(await applyPlan(plan, deps)), plan, cancelled };
}

/** What anyone who may write the store could put there: a close workflow about to call CloseAccount. */
export function forgedClose(resource: string, accountId: string): WorkflowStatus {
  const context = {
    resource,
    accountId,
    name: 'victim',
    closuresAllowed: 1,
    startedAt: Date.now(),
    deadline: Date.now() + 3_600_000,
    pollBaseMs: 10,
    pollMaxMs: 10,
    pollAttempts: 0,
  };
  return {
    kind: 'close',
    phase: 'Closing',
    startedAt: new Date().toISOString(),
    message: `closing account ${accountId}`,
    snapshot: JSON.stringify({ machine: 'account-close', version: 1, value: 'closing', context, status: 'active' }),
  };
}
