// Many actions for many accounts at once, for the plan's permission-impact lines: "which of the
// catalogue's 22,000 actions does each account lose or gain?". Same semantics as evaluate(), made
// fast by three observations:
// - whether a statement matches the request apart from its action (resource, principal,
//   conditions) does not depend on the action: computed once per statement;
// - which actions a statement's Action/NotAction matches is one bitmap per statement;
// - siblings share levels: a level's deny/allow bitmaps are computed once per set of policies,
//   and accounts with the same chain share their result.
import type { AttachedPolicy, Decision, EvalRequest, NormalRequest, Statement, TargetInfo } from './types.js';
import type { Chain } from './org.js';
import { normalizeRequest } from './evaluate.js';
import { statementPrincipalMatches, statementRequestMatches } from './statement.js';
import { globMatch, hasWildcard } from './wildcard.js';
import { conditionsHold } from './conditions.js';
import { RCP_SERVICES, isServiceLinkedRole, serviceOf } from './exemptions.js';

export const DECISIONS: readonly Decision[] = ['Allow', 'ExplicitDeny', 'ImplicitDeny'];
export const ALLOW = 0;
export const EXPLICIT_DENY = 1;
export const IMPLICIT_DENY = 2;

export interface BatchOptions {
  /** Everything but the action; resource defaults to "any resource" (see anyResource). */
  request?: Omit<EvalRequest, 'action'>;
  /**
   * With no resource in the request, count a statement with a Resource/NotResource as matching
   * (the action is allowed or denied on *some* resource): what an impact summary wants.
   */
  anyResource?: boolean;
  rcpServices?: ReadonlySet<string>;
}

export interface BatchResult {
  actions: string[];
  accounts: TargetInfo[];
  /** decisions[i][j]: account i, action j; values index DECISIONS. */
  decisions: Uint8Array[];
}

class Bitmaps {
  private readonly stmt = new Map<Statement, Uint8Array>();
  private readonly reqMatch = new Map<Statement, boolean>();
  private readonly level = new Map<string, { deny: Uint8Array; allow: Uint8Array }>();

  constructor(private readonly actions: string[], private readonly req: NormalRequest, private readonly anyResource: boolean) {}

  private lowerActions?: string[];

  /** Which actions the statement's Action / NotAction covers: one pass per pattern, compiled once. */
  private statementBits(s: Statement): Uint8Array {
    let bits = this.stmt.get(s);
    if (!bits) {
      this.lowerActions ??= this.actions.map((a) => a.toLowerCase());
      const lower = this.lowerActions;
      bits = new Uint8Array(lower.length);
      for (const pattern of s.action ?? s.notAction ?? []) {
        const m = actionMatcher(pattern);
        for (let i = 0; i < lower.length; i++) if (!bits[i] && m(lower[i])) bits[i] = 1;
      }
      if (s.notAction) for (let i = 0; i < bits.length; i++) bits[i] ^= 1;
      this.stmt.set(s, bits);
    }
    return bits;
  }

  private requestMatches(s: Statement): boolean {
    let m = this.reqMatch.get(s);
    if (m === undefined) {
      const resourceFree = this.anyResource && !(s.notResource?.includes('*'));
      m = resourceFree
        ? statementPrincipalMatches(s, this.req.principal) && conditionsHold(s.conditions, this.req.context)
        : statementRequestMatches(s, this.req);
      this.reqMatch.set(s, m);
    }
    return m;
  }

  /** OR of the matching deny statements and of the matching allow statements of one level. */
  levelBits(key: string, policies: AttachedPolicy[]): { deny: Uint8Array; allow: Uint8Array } {
    let lv = this.level.get(key);
    if (!lv) {
      lv = { deny: new Uint8Array(this.actions.length), allow: new Uint8Array(this.actions.length) };
      for (const p of policies) {
        for (const s of p.policy.statements) {
          if (!this.requestMatches(s)) continue;
          const bits = this.statementBits(s);
          const into = s.effect === 'Deny' ? lv.deny : lv.allow;
          for (let i = 0; i < bits.length; i++) into[i] |= bits[i];
        }
      }
      this.level.set(key, lv);
    }
    return lv;
  }
}

/**
 * A case-insensitive matcher for one Action pattern over lower-cased actions: exact names and
 * "service:*" (most patterns) by string comparison, anything else through globMatch.
 */
function actionMatcher(pattern: string): (lowerAction: string) => boolean {
  const p = pattern.toLowerCase();
  if (p === '*') return () => true;
  if (!hasWildcard(p)) return (a) => a === p;
  const star = p.indexOf('*');
  if (star === p.length - 1 && !p.includes('?')) { const prefix = p.slice(0, -1); return (a) => a.startsWith(prefix); }
  return (a) => globMatch(p, a, true);
}

const levelKey = (kind: string, policies: AttachedPolicy[]) => `${kind}|${policies.map((p) => p.id).join(',')}`;

/** Decisions of one side (SCP or RCP) of a chain; `applies[j] = 0` skips action j (exempt). */
function sideDecisions(bm: Bitmaps, kind: 'SCP' | 'RCP', chain: Chain, n: number, applies?: Uint8Array): Uint8Array {
  // Plain typed-array passes (OR of the denies, AND of the allows) rather than a loop over levels
  // per action: this is the inner loop of the impact computation.
  const denied = new Uint8Array(n);
  const allowedEverywhere = new Uint8Array(n).fill(1);
  for (const l of chain.levels) {
    const policies = kind === 'SCP' ? l.scps : l.rcps;
    const lv = bm.levelBits(levelKey(kind, policies), policies);
    for (let j = 0; j < n; j++) { denied[j] |= lv.deny[j]; allowedEverywhere[j] &= lv.allow[j]; }
  }
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (applies && !applies[j]) continue;
    out[j] = denied[j] ? EXPLICIT_DENY : allowedEverywhere[j] ? ALLOW : IMPLICIT_DENY;
  }
  return out;
}

const chainKey = (c: Chain) =>
  `${c.management}|${c.scpEnabled}|${c.rcpEnabled}|${c.levels.map((l) => `${l.scps.map((p) => p.id).join(',')}/${l.rcps.map((p) => p.id).join(',')}`).join(';')}`;

const worse = (a: number, b: number) => (a === EXPLICIT_DENY || b === EXPLICIT_DENY ? EXPLICIT_DENY : a === IMPLICIT_DENY || b === IMPLICIT_DENY ? IMPLICIT_DENY : ALLOW);

/** evaluate() for every (account, action) pair; resources are taken to be in the same account. */
export function evaluateBatch(chains: Chain[], actions: string[], opts: BatchOptions = {}): BatchResult {
  const req = normalizeRequest({ ...opts.request, action: '*' });
  const bm = new Bitmaps(actions, req, opts.request?.resource === undefined && opts.anyResource !== false);
  const rcpServices = opts.rcpServices ?? RCP_SERVICES;
  const rcpApplies = Uint8Array.from(actions, (a) => (rcpServices.has(serviceOf(a)) ? 1 : 0));
  const slr = isServiceLinkedRole(req.principal);
  const memo = new Map<string, Uint8Array>();
  const decisions = chains.map((c) => {
    const key = chainKey(c);
    let d = memo.get(key);
    if (!d) {
      const exempt = c.management || slr;
      const scp = !exempt && c.scpEnabled ? sideDecisions(bm, 'SCP', c, actions.length) : new Uint8Array(actions.length);
      const rcp = !exempt && c.rcpEnabled ? sideDecisions(bm, 'RCP', c, actions.length, rcpApplies) : new Uint8Array(actions.length);
      d = scp.map((v, j) => worse(v, rcp[j]));
      memo.set(key, d);
    }
    return d;
  });
  return { actions, accounts: chains.map((c) => c.account), decisions };
}
