// Org-wide ops (op-table risk 'org-wide': disabling a policy type or trusted access, deregistering
// a delegated admin, taking FullAWSAccess off the root or an OU, a deny-everything SCP on the
// root) run only when the operator allows them: `orgplane apply --allow-org-wide`, or in the
// controller an approval on the Organization resource. A refused op and everything that depends
// on it stay out of the run and are reported as blocked. Pure.
import type { Blocked, Op } from './operations.js';

export const ORG_WIDE_APPROVAL_ANNOTATION = 'orgplane.io/approve-org-wide';

/** A stable name for one org-wide op, for approvals: "<op kind>:<resource>:<what>". */
export function opFingerprint(op: Op): string {
  return `${op.op}:${op.resource}:${fingerprintDetail(op)}`;
}

// Only the kinds the op table can class as org-wide need a precise detail; any other op (an
// approval never names one) is identified by its summary.
function fingerprintDetail(op: Op): string {
  if (op.op === 'DisablePolicyType') return op.policyType;
  if (op.op === 'DisableServiceAccess') return op.servicePrincipal;
  if (op.op === 'DeregisterDelegatedAdmin') return `${op.accountId}/${op.servicePrincipal}`;
  if (op.op === 'DetachPolicy') return `${op.policyId}@${op.targetId}`;
  if (op.op === 'AttachPolicy') return `${'id' in op.policy ? op.policy.id : op.policy.ref}@${'id' in op.target ? op.target.id : op.target.ref}`;
  if (op.op === 'UpdatePolicy') return op.policyId;
  return op.summary;
}

/** Whether an approval annotation value ("true", or fingerprints separated by commas/whitespace) covers this op. */
export function approvalCovers(value: string | undefined, op: Op): boolean {
  if (value === undefined) return false;
  const items = value.split(/[\s,]+/).filter(Boolean);
  return items.includes('true') || items.includes(opFingerprint(op));
}

/** Splits a plan's ops into the ones that may run and the refused org-wide ops plus their dependents. */
export function holdOrgWide<T extends Op>(ops: readonly T[], allow: (op: T) => boolean): { ops: T[]; blocked: Blocked[] } {
  const refused = new Map<string, string>(); // op id -> why
  for (const op of ops) {
    if (op.risk === 'org-wide' && !allow(op)) {
      refused.set(
        op.id,
        `org-wide change "${op.summary}" (${opFingerprint(op)}) is not allowed: pass --allow-org-wide to orgplane apply; in the cluster an orgplane-approver creates an Approval with resource: ${op.resource}, its generation, operation: {kind: OrgWide, fingerprint: "${opFingerprint(op)}"}`,
      );
    }
  }
  // Dependents of a refused op do not run either (ops are in dependency order, but repeat to be sure).
  for (let changed = refused.size > 0; changed; ) {
    changed = false;
    for (const op of ops) {
      if (refused.has(op.id)) continue;
      const dep = op.deps.find((d) => refused.has(d));
      if (dep === undefined) continue;
      const cause = ops.find((o) => o.id === dep);
      refused.set(op.id, `waits for "${cause?.summary ?? dep}", an org-wide change that is not allowed in this run`);
      changed = true;
    }
  }
  const blocked: Blocked[] = [];
  const seen = new Set<string>();
  for (const op of ops) {
    const why = refused.get(op.id);
    if (why === undefined) continue;
    const k = `${op.resource}|${why}`;
    if (seen.has(k)) continue;
    seen.add(k);
    blocked.push({ resource: op.resource, reason: 'OrgWideNotAllowed', message: why });
  }
  return { ops: ops.filter((o) => !refused.has(o.id)), blocked };
}
