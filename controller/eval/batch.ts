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

// Which actions a statement's Action/NotAction covers does not depend on the request, so the
// bitmaps outlive one evaluateBatch call: the plan evaluates the same policies once per region.
const statementBitmaps = new WeakMap<string[], WeakMap<Statement, Uint8Array>>();
function statementCache(actions: string[]): WeakMap<Statement, Uint8Array> {
  let m = statementBitmaps.get(actions);
  if (!m) {
    m = new WeakMap();
    statementBitmaps.set(actions, m);
  }
  return m;
}

class Bitmaps {
  private readonly stmt: WeakMap<Statement, Uint8Array>;
  private readonly reqMatch = new Map<Statement, boolean>();
  private readonly level = new Map<string, { deny: Uint8Array; allow: Uint8Array }>();
  private readonly prefix = new Map<string, { denied: Uint8Array; allowed: Uint8Array }>();

  constructor(
    private readonly actions: string[],
    private readonly req: NormalRequest,
    private readonly anyResource: boolean,
  ) {
    this.stmt = statementCache(actions);
  }

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
      const resourceFree = this.anyResource && !s.notResource?.includes('*');
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

  /**
   * OR of the denies and AND of the allows from the root down to the last level. Chains in a tree
   * share their upper levels, so each prefix is computed once: a chain costs one pass for its own
   * level instead of one per level (the inner loop of the plan's impact step).
   */
  chainBits(kind: 'SCP' | 'RCP', levels: Chain['levels']): { denied: Uint8Array; allowed: Uint8Array } {
    const n = this.actions.length;
    let key = kind;
    let acc = this.prefix.get(key);
    if (!acc) {
      acc = { denied: new Uint8Array(n), allowed: new Uint8Array(n).fill(1) };
      this.prefix.set(key, acc);
    }
    for (const l of levels) {
      const policies = kind === 'SCP' ? l.scps : l.rcps;
      const lk = levelKey(kind, policies);
      key += `>${lk}`;
      let next = this.prefix.get(key);
      if (!next) {
        const lv = this.levelBits(lk, policies);
        next = { denied: acc.denied.slice(), allowed: acc.allowed.slice() };
        for (let j = 0; j < n; j++) {
          next.denied[j] |= lv.deny[j];
          next.allowed[j] &= lv.allow[j];
        }
        this.prefix.set(key, next);
      }
      acc = next;
    }
    return acc;
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
  if (star === p.length - 1 && !p.includes('?')) {
    const prefix = p.slice(0, -1);
    return (a) => a.startsWith(prefix);
  }
  return (a) => globMatch(p, a, true);
}

const levelKey = (kind: string, policies: AttachedPolicy[]) => `${kind}|${policies.map((p) => p.id).join(',')}`;

/** Decisions of one side (SCP or RCP) of a chain; `applies[j] = 0` skips action j (exempt). */
function sideDecisions(bm: Bitmaps, kind: 'SCP' | 'RCP', chain: Chain, n: number, applies?: Uint8Array): Uint8Array {
  // Plain typed-array passes (OR of the denies, AND of the allows, shared by chain prefix) rather
  // than a loop over levels per action: this is the inner loop of the impact computation.
  const { denied, allowed: allowedEverywhere } = bm.chainBits(kind, chain.levels);
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (applies && !applies[j]) continue;
    out[j] = denied[j] ? EXPLICIT_DENY : allowedEverywhere[j] ? ALLOW : IMPLICIT_DENY;
  }
  return out;
}

const chainKey = (c: Chain) =>
  `${c.management}|${c.scpEnabled}|${c.rcpEnabled}|${c.levels.map((l) => `${l.scps.map((p) => p.id).join(',')}/${l.rcps.map((p) => p.id).join(',')}`).join(';')}`;

const worse = (a: number, b: number) =>
  a === EXPLICIT_DENY || b === EXPLICIT_DENY ? EXPLICIT_DENY : a === IMPLICIT_DENY || b === IMPLICIT_DENY ? IMPLICIT_DENY : ALLOW;

// Which actions RCPs cover, per action list and service set: the plan evaluates the same
// catalogue once per region, and splitting 22,000 names each time shows up in profiles.
const rcpMasks = new WeakMap<string[], WeakMap<ReadonlySet<string>, Uint8Array>>();
function rcpMask(actions: string[], services: ReadonlySet<string>): Uint8Array {
  const bySet = rcpMasks.get(actions) ?? new WeakMap<ReadonlySet<string>, Uint8Array>();
  rcpMasks.set(actions, bySet);
  let mask = bySet.get(services);
  if (!mask) {
    mask = Uint8Array.from(actions, (a) => (services.has(serviceOf(a)) ? 1 : 0));
    bySet.set(services, mask);
  }
  return mask;
}

/** evaluate() for every (account, action) pair; resources are taken to be in the same account. */
export function evaluateBatch(chains: Chain[], actions: string[], opts: BatchOptions = {}): BatchResult {
  const req = normalizeRequest({ ...opts.request, action: '*' });
  const bm = new Bitmaps(actions, req, opts.request?.resource === undefined && opts.anyResource !== false);
  const rcpServices = opts.rcpServices ?? RCP_SERVICES;
  const rcpApplies = rcpMask(actions, rcpServices);
  const slr = isServiceLinkedRole(req.principal);
  const memo = new Map<string, Uint8Array>();
  const decisions = chains.map((c) => {
    const key = chainKey(c);
    let d = memo.get(key);
    if (!d) {
      const exempt = c.management || slr;
      const scp = !exempt && c.scpEnabled ? sideDecisions(bm, 'SCP', c, actions.length) : new Uint8Array(actions.length);
      const rcp = !exempt && c.rcpEnabled ? sideDecisions(bm, 'RCP', c, actions.length, rcpApplies) : new Uint8Array(actions.length);
      d = c.rcpEnabled && !exempt ? scp.map((v, j) => worse(v, rcp[j])) : scp;
      memo.set(key, d);
    }
    return d;
  });
  return { actions, accounts: chains.map((c) => c.account), decisions };
}
