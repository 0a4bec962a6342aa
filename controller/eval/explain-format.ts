// What `orgplane explain` reads from its flags and prints, as pure functions: request parsing
// with messages a person can act on, and the text / JSON renderings of an EvalResult.
import type { EvalResult, LevelResult } from './types.js';

/** "service:Action": a request names one action, so no wildcards. */
export const REQUEST_ACTION = /^[a-zA-Z0-9-]+:[a-zA-Z0-9]+$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseAction(action: string | undefined): Parsed<string> {
  if (!action) return { ok: false, error: '--action is required (service:Action, e.g. ec2:RunInstances)' };
  if (!REQUEST_ACTION.test(action)) {
    return {
      ok: false,
      error: `--action ${JSON.stringify(action)} is not of the form service:Action (e.g. ec2:RunInstances); wildcards name many actions, explain evaluates one`,
    };
  }
  return { ok: true, value: action };
}

/** --context KEY=VALUE, repeatable; a key given twice is multi-valued. Keys look like "aws:Name". */
export function parseContext(entries: string[] | undefined): Parsed<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const e of entries ?? []) {
    const eq = e.indexOf('=');
    const key = eq > 0 ? e.slice(0, eq).trim() : '';
    if (!key || !/^[a-zA-Z0-9-]+:[^\s=]+$/.test(key)) {
      return { ok: false, error: `--context ${JSON.stringify(e)}: expected KEY=VALUE with a condition key such as aws:RequestedRegion=eu-west-1` };
    }
    const existing = Object.keys(out).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
    out[existing] = [...(out[existing] ?? []), e.slice(eq + 1)];
  }
  return { ok: true, value: out };
}

export function parseArn(resource: string | undefined): Parsed<string | undefined> {
  if (resource === undefined || resource === '*') return { ok: true, value: resource };
  if (!/^arn:[a-z-]+:[a-zA-Z0-9-]*:[a-z0-9-]*:(\d{12}|aws)?:.+$/.test(resource)) {
    return { ok: false, error: `${JSON.stringify(resource)} is not an ARN (arn:partition:service:region:account:resource)` };
  }
  return { ok: true, value: resource };
}

/** The account that owns a resource ARN, when the ARN names one. */
export const arnAccount = (arn: string | undefined): string | undefined => {
  const acct = arn?.split(':')[4];
  return acct && /^\d{12}$/.test(acct) ? acct : undefined;
};

export interface ExplainJson {
  decision: EvalResult['decision'];
  account: EvalResult['account'];
  action: string;
  resource: string;
  principal: string | null;
  context: Record<string, string[]>;
  scp: { decision: EvalResult['decision']; exemption: string | null };
  rcp: { decision: EvalResult['decision']; exemption: string | null };
  levels: { kind: string; target: LevelResult['target']; policies: string[]; decision: LevelResult['decision']; statement: LevelResult['statement'] | null }[];
}

export function explainJson(r: EvalResult, context: Record<string, string[]>): ExplainJson {
  return {
    decision: r.decision,
    account: r.account,
    action: r.action,
    resource: r.resource,
    principal: r.principal ?? null,
    context,
    scp: { decision: r.scpDecision, exemption: r.scpExemption ?? null },
    rcp: { decision: r.rcpDecision, exemption: r.rcpExemption ?? null },
    levels: r.levels.map((l) => ({ kind: l.kind, target: l.target, policies: l.policies, decision: l.decision, statement: l.statement ?? null })),
  };
}

const MARK: Record<string, string> = { Allow: '✓', ExplicitDeny: '✗', ImplicitDeny: '·' };

function levelLine(l: LevelResult): string {
  const label =
    l.target.type === 'root'
      ? `Root (${l.target.id})`
      : l.target.type === 'ou'
        ? `OU ${l.target.name} (${l.target.id})`
        : `Account ${l.target.name} (${l.target.id})`;
  const s = l.statement;
  const by = s ? `${s.effect} by ${s.policy} ${s.sid ? `[${s.sid}]` : `[statement ${s.index}]`}` : 'no statement allows it';
  return `  ${MARK[l.decision]} ${label.padEnd(40)} ${l.decision.padEnd(13)} ${by}   attached: ${l.policies.join(', ') || '(none)'}`;
}

function sideLines(title: string, levels: LevelResult[], exemption: string | undefined): string[] {
  if (exemption) return [`${title}: not evaluated: ${exemption}`];
  return [`${title} (root -> account):`, ...levels.map(levelLine)];
}

export function explainText(r: EvalResult, context: Record<string, string[]>): string {
  const ctx =
    Object.entries(context)
      .map(([k, v]) => `${k}=${v.join(',')}`)
      .join(' ') || '(none)';
  const lines = [
    `${r.decision}: ${r.action} on ${r.resource} in ${r.account.name} (${r.account.id})`,
    `  principal: ${r.principal ?? '(not given)'}   context: ${ctx}`,
    '',
    ...sideLines(
      'SCPs',
      r.levels.filter((l) => l.kind === 'SCP'),
      r.scpExemption,
    ),
    ...sideLines(
      'RCPs',
      r.levels.filter((l) => l.kind === 'RCP'),
      r.rcpExemption,
    ),
    '',
    r.decision === 'Allow'
      ? 'Allow means the organization policies let the request through: IAM policies in the account must still grant it.'
      : r.decision === 'ExplicitDeny'
        ? 'An explicit Deny in an SCP or RCP cannot be overridden by any IAM policy.'
        : 'Implicit deny: some level has no policy that allows the action (an Allow must exist at every level).',
  ];
  return lines.join('\n');
}
