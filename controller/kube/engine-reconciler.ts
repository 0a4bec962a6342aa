// Binds the controller to the engine (controller/engine.ts) with the AWS clients it runs with.
import type { AwsClients } from '../aws/clients.js';
import type { Reconciler } from './reconciler.js';
import type { Guards } from '../plan/guards.js';
import type { Op } from '../plan/operations.js';
import type { AnyResource } from '../api/schemas.js';
import { approvalCovers, opFingerprint, ORG_WIDE_APPROVAL_ANNOTATION } from '../plan/org-wide.js';
import type { ReconcileContext } from './reconciler.js';

// Moves are approved by Approval resources (approvals/gate.ts), and by the approve-migration
// annotation only when the controller runs with --allow-self-approval.
export { ANNOTATION_APPROVE_MIGRATION } from './approvals/gate.js';

/** How long one controller reconcile waits on account workflows. */
export const WORKFLOW_WAIT_MS = 60_000;

export function engineReconciler(clients: AwsClients, opts: { concurrency?: number; guards?: Partial<Guards> } = {}): Reconciler {
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
      // Deletion guards come from the controller's flags; manifests may only lower them.
      guards: opts.guards,
      deleting: ctx.deleting,
      allowOrgWide: orgWideGate(ctx, resources),
      // One reconcile at a time: never sit out a slow CreateAccount or closure inside it; the
      // workflow reports InProgress and the controller requeues to resume it.
      workflowWaitMs: WORKFLOW_WAIT_MS,
      signal: ctx.signal,
    });
    return { plan: r.plan, pending: r.pending, errors: r.errors, actual: r.actual, applied: r.applied, statuses: r.statuses, events: r.events };
  };
}

/**
 * Org-wide ops go ahead with a Pending Approval of kind OrgWide for the op's resource, its
 * generation and the op's fingerprint (the gate records it; the controller marks it Consumed once
 * the op succeeded). The interim annotation orgplane.io/approve-org-wide on the Organization
 * ("true" or fingerprints) counts only under --allow-self-approval: authors can set it.
 */
function orgWideGate(ctx: ReconcileContext, resources: AnyResource[]): (op: Op) => boolean {
  const byAnnotation = orgWideApproval(resources);
  return (op) => (ctx.approvals?.orgWide(op, opFingerprint(op)) ?? false) || (ctx.approvals?.selfApproval === true && byAnnotation(op));
}

/** The interim annotation: "true" or the op fingerprints it approves. */
export function orgWideApproval(resources: AnyResource[]): (op: Op) => boolean {
  const org = resources.find((r) => r.kind === 'Organization');
  const value = org?.metadata.annotations?.[ORG_WIDE_APPROVAL_ANNOTATION];
  return (op) => approvalCovers(value, op);
}
