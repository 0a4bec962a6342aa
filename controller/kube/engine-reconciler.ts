// Binds the controller to the engine (controller/engine.ts) with the AWS clients it runs with.
import type { AwsClients } from '../aws/clients.js';
import type { Reconciler } from './reconciler.js';

// Moves are approved by Approval resources (approvals/gate.ts), and by the approve-migration
// annotation only when the controller runs with --allow-self-approval.
export { ANNOTATION_APPROVE_MIGRATION } from './approvals/gate.js';

/** How long one controller reconcile waits on account workflows. */
export const WORKFLOW_WAIT_MS = 60_000;

export function engineReconciler(clients: AwsClients, opts: { concurrency?: number } = {}): Reconciler {
  return async (resources, ctx) => {
    // Loaded on first use: the engine pulls in every AWS adapter and workflow.
    const { reconcile } = await import('../engine.js');
    const r = await reconcile(resources, {
      clients,
      namespace: ctx.namespace,
      workflowStore: ctx.workflowStore,
      apply: ctx.apply,
      observeOnly: ctx.observeOnly,
      concurrency: opts.concurrency,
      approveMigration: ctx.approvals?.migration,
      // One reconcile at a time: never sit out a slow CreateAccount or closure inside it; the
      // workflow reports InProgress and the controller requeues to resume it.
      workflowWaitMs: WORKFLOW_WAIT_MS,
      signal: ctx.signal,
    });
    return { plan: r.plan, pending: r.pending, errors: r.errors, actual: r.actual, applied: r.applied, statuses: r.statuses, events: r.events };
  };
}
