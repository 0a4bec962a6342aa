// Access-specific validation of permission sets and cross-account roles: what needs the live
// Identity Store (unknown group / user names) and the Identity Center and IAM limits. The graph
// rules (references, names) live in validate.ts; the same document checks are repeated here so
// that this function is complete on its own.
import type { ActualOrg } from './actual.js';
import type { DesiredOrg, ValidationError } from './desired.js';
import { checkPolicyDocument, durationMinutes, policySize } from './validate.js';

export interface AccessValidationContext {
  actual?: ActualOrg;
}

/** Identity Center: inline policy of a permission set (characters). */
export const MAX_PS_INLINE_POLICY = 32_768;
/** Identity Center: AWS managed + customer managed policies on one permission set. */
export const MAX_PS_MANAGED_POLICIES = 20;
/** IAM: all inline policies of one role together (characters). */
export const MAX_ROLE_INLINE_TOTAL = 10_240;
/** IAM: managed policies attached to one role (default quota). */
export const MAX_ROLE_MANAGED_POLICIES = 10;
const PS_NAME = /^[\w+=,.@-]{1,32}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

export function validateAccess(desired: DesiredOrg, ctx: AccessValidationContext = {}): ValidationError[] {
  const errors: ValidationError[] = [];
  const err = (resource: string, field: string, rule: string, message: string) => errors.push({ resource, field, rule, message });
  const access = ctx.actual?.access;
  const missing = new Set(access?.missingPrincipals ?? []);
  const store = access?.identityStoreId ? ` ${access.identityStoreId}` : '';

  for (const ps of Object.values(desired.permissionSets).sort((a, b) => a.ref.localeCompare(b.ref))) {
    if (!PS_NAME.test(ps.name))
      err(
        ps.key,
        'spec.name',
        'permission-set-name',
        `${JSON.stringify(ps.name)} is not a valid permission set name (1-32 characters: letters, digits and +=,.@-_)`,
      );
    const minutes = durationMinutes(ps.sessionDuration);
    if (minutes === undefined || minutes < 60 || minutes > 720) {
      err(
        ps.key,
        'spec.sessionDuration',
        'session-duration',
        `${JSON.stringify(ps.sessionDuration)} is ${minutes === undefined ? 'no duration' : `${minutes} minutes`}; a session lasts 1 to 12 hours (PT1H to PT12H)`,
      );
    }
    if (ps.inlinePolicy !== '') {
      for (const p of checkPolicyDocument(ps.inlinePolicy)) err(ps.key, 'spec.inlinePolicy', p.rule, p.message);
      const size = policySize(ps.inlinePolicy);
      if (size > MAX_PS_INLINE_POLICY)
        err(ps.key, 'spec.inlinePolicy', 'policy-size', `is ${size} characters; an inline policy of a permission set holds at most ${MAX_PS_INLINE_POLICY}`);
    }
    const managed = ps.managedPolicies.length + ps.customerManagedPolicies.length;
    if (managed > MAX_PS_MANAGED_POLICIES) {
      err(
        ps.key,
        'spec.managedPolicies',
        'policy-quota',
        `${managed} managed and customer managed policies; a permission set holds at most ${MAX_PS_MANAGED_POLICIES}`,
      );
    }
    ps.assignments.forEach((a, i) => {
      const at = `spec.assignments[${i}].principal`;
      const pr = a.principal;
      if (!pr.name && !pr.id) {
        err(ps.key, at, 'principal', 'needs a name or an id');
        return;
      }
      if (pr.id || !pr.name) return;
      // Only names Identity Store was asked about and answered "not found" are errors: a name
      // not looked up yet (no snapshot, CLI validate) is not known to be wrong.
      if (missing.has(`${pr.type}:${pr.name}`)) {
        err(
          ps.key,
          `${at}.name`,
          'unknown-principal',
          pr.type === 'GROUP'
            ? `group ${JSON.stringify(pr.name)} not found in Identity Store${store} (no group has that DisplayName)`
            : `user ${JSON.stringify(pr.name)} not found in Identity Store${store} (no user has that UserName)`,
        );
      }
    });
  }

  for (const r of Object.values(desired.roles).sort((a, b) => a.ref.localeCompare(b.ref))) {
    if (!ROLE_NAME.test(r.roleName))
      err(r.key, 'spec.roleName', 'role-name', `${JSON.stringify(r.roleName)} is not a valid IAM role name (1-64 characters: letters, digits and +=,.@-_)`);
    if (r.maxSessionDuration < 3600 || r.maxSessionDuration > 43200) {
      err(r.key, 'spec.maxSessionDuration', 'session-duration', `${r.maxSessionDuration} seconds; a role session lasts 3600 to 43200 seconds (1 to 12 hours)`);
    }
    if (r.trust.accounts.length === 0 && r.trust.principalArns.length === 0)
      err(r.key, 'spec.trust', 'role-trust', 'must name at least one account or principal ARN');
    let total = 0;
    for (const [name, doc] of Object.entries(r.inlinePolicies).sort(([a], [b]) => a.localeCompare(b))) {
      for (const p of checkPolicyDocument(doc)) err(r.key, `spec.inlinePolicies.${name}`, p.rule, p.message);
      total += policySize(doc);
    }
    if (total > MAX_ROLE_INLINE_TOTAL)
      err(r.key, 'spec.inlinePolicies', 'policy-size', `inline policies total ${total} characters; IAM allows ${MAX_ROLE_INLINE_TOTAL} per role`);
    if (r.managedPolicyArns.length > MAX_ROLE_MANAGED_POLICIES) {
      err(
        r.key,
        'spec.managedPolicyArns',
        'policy-quota',
        `${r.managedPolicyArns.length} managed policies; IAM attaches at most ${MAX_ROLE_MANAGED_POLICIES} to a role by default`,
      );
    }
  }
  return errors;
}
