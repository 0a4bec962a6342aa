// The SCP / RCP decision for one request, level by level from the root to the account.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
// An Allow must be present at every level (root, each OU, the account); an explicit Deny at any
// level wins; a level with no matching Allow is an implicit deny. RCPs work the same way on the
// account that owns the resource.
import type { AttachedPolicy, ContextInput, Decision, EvalRequest, EvalResult, LevelResult, NormalRequest, PolicyKind, StatementRef } from './types.js';
import type { Chain, ChainLevel } from './org.js';
import { statementApplies } from './statement.js';
import { RCP_SERVICES, rcpExemption, scpExemption } from './exemptions.js';

export interface EvaluateOptions {
  /** The chain of the account that owns the resource (RCP side); default: the caller's own. */
  resourceChain?: Chain;
  /** Resource outside the organization: no RCP applies. */
  resourceOutsideOrg?: boolean;
  /** Principal of an account outside the organization: no SCP applies (it calls in from outside). */
  principalOutsideOrg?: boolean;
  rcpServices?: ReadonlySet<string>;
}

export function normalizeContext(input: ContextInput | undefined): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [k, v] of Object.entries(input ?? {})) {
    const values = (Array.isArray(v) ? v : [v]).map(String);
    const key = k.toLowerCase();
    m.set(key, [...(m.get(key) ?? []), ...values]);
  }
  return m;
}

export function normalizeRequest(req: EvalRequest): NormalRequest {
  const context = normalizeContext(req.context);
  // AWS puts the caller's ARN and account in every request context.
  if (req.principal && !context.has('aws:principalarn')) context.set('aws:principalarn', [req.principal]);
  const account = req.principal?.split(':')[4];
  if (account && /^\d{12}$/.test(account) && !context.has('aws:principalaccount')) context.set('aws:principalaccount', [account]);
  return { action: req.action, actionLower: req.action.toLowerCase(), resource: req.resource ?? '*', principal: req.principal, context };
}

/** First matching Deny wins the level; otherwise the first matching Allow. */
function evaluateLevel(kind: PolicyKind, level: ChainLevel, req: NormalRequest): LevelResult {
  const policies: AttachedPolicy[] = kind === 'SCP' ? level.scps : level.rcps;
  let allow: StatementRef | undefined;
  for (const p of policies) {
    for (const s of p.policy.statements) {
      if (!statementApplies(s, req)) continue;
      const ref: StatementRef = { policy: p.name, policyId: p.id, sid: s.sid, index: s.index, effect: s.effect };
      if (s.effect === 'Deny') return { kind, target: level.target, policies: policies.map((x) => x.name), decision: 'ExplicitDeny', statement: ref };
      allow ??= ref;
    }
  }
  return { kind, target: level.target, policies: policies.map((x) => x.name), decision: allow ? 'Allow' : 'ImplicitDeny', statement: allow };
}

/** Deny anywhere beats everything; then a level without an Allow denies implicitly. */
export function combine(decisions: Decision[]): Decision {
  if (decisions.includes('ExplicitDeny')) return 'ExplicitDeny';
  if (decisions.includes('ImplicitDeny')) return 'ImplicitDeny';
  return 'Allow';
}

function sideLevels(kind: PolicyKind, chain: Chain, req: NormalRequest, exempt: string | undefined): LevelResult[] {
  const enabled = kind === 'SCP' ? chain.scpEnabled : chain.rcpEnabled;
  if (exempt || !enabled) return [];
  return chain.levels.map((l) => evaluateLevel(kind, l, req));
}

export function evaluate(chain: Chain, request: EvalRequest, opts: EvaluateOptions = {}): EvalResult {
  const req = normalizeRequest(request);
  const resourceChain = opts.resourceChain ?? chain;
  const scpExempt = opts.principalOutsideOrg ? 'SCPs do not apply: the principal is outside the organization' : scpExemption(chain.management, req.principal);
  const rcpExempt = !resourceChain.rcpEnabled
    ? 'RCPs are not enabled in this organization'
    : opts.resourceOutsideOrg
      ? 'RCPs do not apply: the resource is outside the organization'
      : rcpExemption({ management: resourceChain.management, principal: req.principal, action: req.action, rcpServices: opts.rcpServices ?? RCP_SERVICES });
  const scp = sideLevels('SCP', chain, req, scpExempt);
  const rcp = opts.resourceOutsideOrg ? [] : sideLevels('RCP', resourceChain, req, rcpExempt);
  const scpDecision = combine(scp.map((l) => l.decision));
  const rcpDecision = combine(rcp.map((l) => l.decision));
  return {
    decision: combine([scpDecision, rcpDecision]),
    account: chain.account,
    action: req.action,
    resource: req.resource,
    principal: req.principal,
    scpExemption: scpExempt ?? (chain.scpEnabled ? undefined : 'SCPs are not enabled in this organization'),
    rcpExemption: rcpExempt,
    scpDecision,
    rcpDecision,
    levels: [...scp, ...rcp],
  };
}
