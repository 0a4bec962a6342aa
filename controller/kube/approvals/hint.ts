// What a resource waiting for approval says in its status: exactly which Approval lets its move
// through, as a command an approver can paste (grantedBy is filled in by `kubectl auth whoami`,
// because the admission webhook refuses any name but the requester's own).
import { APPROVAL_DEFAULT_TTL, API_VERSION, type ApprovalObject } from '../../api/schemas.js';
import { describeOperation, verdict, type ChangeRequest } from './match.js';

export interface MigrationHint {
  namespace: string;
  /** "Account/dev" */
  resource: string;
  generation?: number;
  /** Names as the status shows them (OU resource name, "root", else the AWS id). */
  from: string;
  to: string;
}

/** A DNS-1123 name for the suggested Approval: account, generation and destination. */
export function suggestedName(h: MigrationHint): string {
  const account = h.resource.split('/')[1] ?? 'account';
  const raw = `${account}-g${h.generation ?? 0}-to-${h.to}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  return raw.slice(0, 253).replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'approval';
}

/** The Approval manifest (YAML) for this move, inside a `kubectl create` a shell runs as is. */
export function approvalCommand(h: MigrationHint): string {
  return [
    `kubectl create -n ${h.namespace} -f - <<EOF`,
    `apiVersion: ${API_VERSION}`,
    'kind: Approval',
    'metadata:',
    `  name: ${suggestedName(h)}`,
    'spec:',
    `  resource: ${h.resource}`,
    `  generation: ${h.generation ?? 0}`,
    `  operation: {kind: Migration, from: ${JSON.stringify(h.from)}, to: ${JSON.stringify(h.to)}}`,
    "  grantedBy: $(kubectl auth whoami -o jsonpath='{.status.userInfo.username}')",
    `  ttl: ${APPROVAL_DEFAULT_TTL}`,
    'EOF',
  ].join('\n');
}

/**
 * Why the newest Approvals that name this resource do not let the move through (at most 3).
 * Consumed ones are left out: they approved an earlier change and say nothing about this one.
 */
export function unusable(approvals: readonly ApprovalObject[], req: ChangeRequest, now: Date): string[] {
  const out: string[] = [];
  const newest = [...approvals].sort((x, y) => (y.metadata.creationTimestamp ?? '').localeCompare(x.metadata.creationTimestamp ?? ''));
  for (const a of newest) {
    if (a.spec.resource !== req.resource.key || a.status?.state === 'Consumed') continue;
    const v = verdict(a, req, now);
    if (!v.ok) out.push(`Approval ${a.metadata.name} (${describeOperation(a.spec.operation)}) does not apply: ${v.why}`);
  }
  return out.slice(0, 3);
}

/** The Synced message of a resource whose move waits for approval. */
export function awaitingApprovalMessage(o: { summaries: string[]; hint: MigrationHint; unusable: string[]; annotationIgnored: boolean }): string {
  const what = `${o.hint.resource} generation ${o.hint.generation ?? '?'}, ${o.hint.from} -> ${o.hint.to}`;
  return [
    `${o.summaries.join('; ')}: waiting for an Approval of exactly this move (${what}). An orgplane-approver creates it with:`,
    approvalCommand(o.hint),
    ...o.unusable,
    ...(o.annotationIgnored
      ? ['The orgplane.io/approve-migration annotation is ignored: approvals are separate from authoring (the controller runs without --allow-self-approval).']
      : []),
  ].join('\n');
}
