// Binds the controller to the engine (controller/engine.ts) with the AWS clients it runs with.
import type { AnyResource } from '../api/schemas.js';
import { refKey } from '../api/schemas.js';
import type { AwsClients } from '../aws/clients.js';
import type { Reconciler } from './reconciler.js';
import type { Guards } from '../plan/guards.js';
import type { Op } from '../plan/operations.js';
import { approvalCovers, ORG_WIDE_APPROVAL_ANNOTATION } from '../plan/org-wide.js';

/** On an Account: a person approved its pending move to another OU (any value but "false"). */
export const ANNOTATION_APPROVE_MIGRATION = 'orgplane.io/approve-migration';

export function approvedMigrations(resources: readonly AnyResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const v = r.metadata.annotations?.[ANNOTATION_APPROVE_MIGRATION];
    if (r.kind === 'Account' && v !== undefined && v !== 'false') out.add(refKey('Account', r.metadata.name));
  }
  return out;
}

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
      approvedMigrations: approvedMigrations(resources),
      // Deletion guards come from the controller's flags; manifests may only lower them.
      guards: opts.guards,
      deleting: ctx.deleting,
      allowOrgWide: orgWideApproval(resources),
      // One reconcile at a time: never sit out a slow CreateAccount or closure inside it; the
      // workflow reports InProgress and the controller requeues to resume it.
      workflowWaitMs: WORKFLOW_WAIT_MS,
      signal: ctx.signal,
    });
    return { plan: r.plan, pending: r.pending, errors: r.errors, actual: r.actual, applied: r.applied, statuses: r.statuses, events: r.events };
  };
}

/**
 * Org-wide ops need an approval on the Organization resource: the annotation
 * orgplane.io/approve-org-wide set to "true" or to the op fingerprints it approves. (A later
 * issue replaces this with an Approval kind whose RBAC is separate from the manifests'.)
 */
export function orgWideApproval(resources: AnyResource[]): (op: Op) => boolean {
  const org = resources.find((r) => r.kind === 'Organization');
  const value = org?.metadata.annotations?.[ORG_WIDE_APPROVAL_ANNOTATION];
  return (op) => approvalCovers(value, op);
}
