// Validation of the policy kinds beyond ServiceControlPolicy (ResourceControlPolicy,
// ManagementPolicy). SCPs keep their rules in validate.ts; these differ in document syntax,
// size and per-target quotas, which AWS states per type:
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
import type { DesiredOrganization, DesiredPolicy } from './desired.js';
import { checkPolicyDocument, policySize } from './validate.js';
import { RCP_FULL_AWS_ACCESS_NAME, RCP_TYPE, SCP_TYPE, policyLabels } from './policy-types.js';
import { parsePolicy } from '../eval/policy.js';
import { rcpProblems } from '../eval/lint.js';
import { RCP_SERVICES } from '../eval/exemptions.js';
import { validateManagementPolicy } from '../eval/management-validate.js';

/** RCP quotas: 5,120 characters per document, 5 RCPs per root, OU or account (RCPFullAWSAccess included). */
export const RCP_MAX_SIZE = 5120;
export const RCP_MAX_PER_TARGET = 5;
/** Management policy types: 10 per target (AWS default quota for tag, backup, AI opt-out … policies). */
export const MANAGEMENT_MAX_PER_TARGET = 10;

type Err = (resource: string, field: string, rule: string, message: string) => void;

/** The document rules of one non-SCP policy. */
function checkDocument(p: DesiredPolicy, type: string, err: Err): void {
  if (p.awsManaged) {
    if (type !== RCP_TYPE) err(p.key, 'spec.awsManaged', 'policy-document', `${type} has no AWS managed policy`);
    else if (p.content !== '')
      err(p.key, 'spec.document', 'policy-document', 'must be omitted when awsManaged is true (an AWS managed policy cannot be changed)');
    return;
  }
  if (p.content === '') {
    err(p.key, 'spec.document', 'policy-document', type === RCP_TYPE ? 'is required unless awsManaged is true' : 'is required');
    return;
  }
  if (type === RCP_TYPE) return checkRcpDocument(p, err);
  for (const pr of validateManagementPolicy(type, p.content)) err(p.key, `spec.document.${pr.field}`, pr.rule, pr.message);
}

function checkRcpDocument(p: DesiredPolicy, err: Err): void {
  const problems = checkPolicyDocument(p.content);
  for (const pr of problems) err(p.key, 'spec.document', pr.rule, pr.message);
  if (problems.length > 0) return;
  const size = policySize(p.content);
  if (size > RCP_MAX_SIZE) err(p.key, 'spec.document', 'policy-size', `is ${size} characters when minified; RCPs are limited to ${RCP_MAX_SIZE}`);
  const parsed = parsePolicy(p.content);
  for (const e of parsed.errors) err(p.key, 'spec.document', 'policy-structure', e);
  if (!parsed.policy) return;
  for (const f of rcpProblems(parsed.policy, RCP_SERVICES)) err(p.key, `spec.document.${f.field}`, f.rule, f.message);
  if (p.name.toLowerCase() === RCP_FULL_AWS_ACCESS_NAME.toLowerCase()) {
    err(
      p.key,
      'spec.name',
      'duplicate-policy-name',
      `policy name ${JSON.stringify(p.name)} is taken by the AWS managed policy (set awsManaged: true to refer to it)`,
    );
  }
}

/** Document, type-enabled, name-uniqueness (within the type) and per-target quota rules. */
export function validateTypedPolicies(policies: DesiredPolicy[], org: DesiredOrganization | undefined, err: Err): void {
  const typed = policies.filter((p) => (p.policyType ?? SCP_TYPE) !== SCP_TYPE).sort((a, b) => a.key.localeCompare(b.key));
  for (const p of typed) {
    const type = p.policyType ?? SCP_TYPE;
    checkDocument(p, type, err);
    if (org?.enabledPolicyTypes !== undefined && !org.enabledPolicyTypes.includes(type) && p.targets.length > 0) {
      err(
        p.key,
        'spec.targets',
        'policy-type-disabled',
        `${policyLabels(type)} cannot be attached: ${org.key} spec.enabledPolicyTypes does not include ${type}`,
      );
    }
  }
  checkNames(typed, err);
  checkQuota(typed, err);
}

function checkNames(typed: DesiredPolicy[], err: Err): void {
  const byName = new Map<string, DesiredPolicy[]>();
  for (const p of typed) {
    const k = `${p.policyType}\u0000${p.name.toLowerCase()}`;
    byName.set(k, [...(byName.get(k) ?? []), p]);
  }
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    for (const p of group) {
      const others = group
        .filter((o) => o !== p)
        .map((o) => o.key)
        .join(', ');
      err(
        p.key,
        'spec.name',
        'duplicate-policy-name',
        `policy name ${JSON.stringify(p.name)} is also used by ${others} (policy names are unique within a policy type; compared case-insensitively)`,
      );
    }
  }
}

/** Policies of one type per target; RCPFullAWSAccess, which AWS keeps everywhere, counts as one. */
function checkQuota(typed: DesiredPolicy[], err: Err): void {
  const byTarget = new Map<string, DesiredPolicy[]>();
  for (const p of typed) {
    for (const t of p.targets) {
      const k = `${p.policyType}\u0000${t.kind === 'root' ? 'the root' : t.kind === 'ou' ? `OrganizationalUnit/${t.ref}` : `Account/${t.ref}`}`;
      byTarget.set(k, [...(byTarget.get(k) ?? []), p]);
    }
  }
  for (const [k, list] of byTarget) {
    const [type, label] = k.split('\u0000');
    const rcp = type === RCP_TYPE;
    const count = list.filter((p) => !p.awsManaged).length + (rcp ? 1 : 0);
    const limit = rcp ? RCP_MAX_PER_TARGET : MANAGEMENT_MAX_PER_TARGET;
    if (count <= limit) continue;
    for (const p of list) {
      err(
        p.key,
        'spec.targets',
        'policy-quota',
        `${label} would have ${count} ${policyLabels(type)} attached${rcp ? ` (${RCP_FULL_AWS_ACCESS_NAME} included)` : ''}, more than the limit of ${limit}: ${list.map((x) => x.key).join(', ')}`,
      );
    }
  }
}
