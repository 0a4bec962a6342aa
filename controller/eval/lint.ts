// Policy lint that needs the catalogue: SCP/RCP statements that can never match because an
// Action names no existing action. (NotAction patterns that match nothing are harmless: the
// statement then covers everything, which is another lint's business.)
import type { ParsedPolicy } from './types.js';
import { unknownActionReason, type Catalog } from './catalog.js';

export interface LintFinding {
  /** "Statement[2].Action[0]" */
  field: string;
  rule: 'unknown-action' | 'statement-never-matches';
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
      out.push({ field: `${where}.Action`, rule: 'statement-never-matches', message: 'no entry of Action names an existing action: the statement can never match' });
    }
  }
  return out;
}
