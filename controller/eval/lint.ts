// Policy lint that needs the catalogue: SCP/RCP statements that can never match because an
// Action names no existing action. (NotAction patterns that match nothing are harmless: the
// statement then covers everything, which is another lint's business.)
import type { ParsedPolicy } from './types.js';
import { unknownActionReason, type Catalog } from './catalog.js';

export interface LintFinding {
  /** "Statement[2].Action[0]" */
  field: string;
  rule: 'unknown-action' | 'statement-never-matches' | 'rcp-syntax';
  message: string;
}

export function lintPolicyActions(policy: ParsedPolicy, catalog: Catalog): LintFinding[] {
  const out: LintFinding[] = [];
  for (const s of policy.statements) {
    if (!s.action) continue;
    const where = `Statement[${s.index}]${s.sid ? ` (${s.sid})` : ''}`;
    const reasons = s.action.map((a) => unknownActionReason(catalog, a));
    reasons.forEach((r, i) => {
      if (r) out.push({ field: `${where}.Action[${i}]`, rule: 'unknown-action', message: `${r}: this entry matches no action` });
    });
    if (reasons.length && reasons.every((r) => r !== undefined)) {
      out.push({
        field: `${where}.Action`,
        rule: 'statement-never-matches',
        message: 'no entry of Action names an existing action: the statement can never match',
      });
    }
  }
  return out;
}

/**
 * RCP-specific rules: only Deny statements (the Allow of RCPFullAWSAccess aside), Principal "*"
 * and no NotPrincipal, and actions of services that support RCPs.
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
 */
export function rcpProblems(policy: ParsedPolicy, rcpServices: ReadonlySet<string>): LintFinding[] {
  const out: LintFinding[] = [];
  const bad = (field: string, message: string) => out.push({ field, rule: 'rcp-syntax', message });
  for (const s of policy.statements) {
    const where = `Statement[${s.index}]${s.sid ? ` (${s.sid})` : ''}`;
    const fullAccess =
      s.effect === 'Allow' && s.action?.join() === '*' && s.resource?.join() === '*' && s.principal?.join() === '*' && s.conditions.length === 0;
    if (s.effect === 'Allow' && !fullAccess) bad(`${where}.Effect`, 'RCPs support only Deny statements (besides RCPFullAWSAccess)');
    if (s.principal?.join() !== '*') bad(`${where}.Principal`, 'RCP statements must have Principal "*"');
    if (s.notPrincipal) bad(`${where}.NotPrincipal`, 'RCPs do not support NotPrincipal');
    for (const [i, a] of (s.action ?? []).entries()) {
      const svc = a.split(':')[0].toLowerCase();
      if (a !== '*' && !svc.includes('*') && !rcpServices.has(svc)) bad(`${where}.Action[${i}]`, `${svc} does not support RCPs: the entry never applies`);
    }
  }
  return out;
}
