// What a policy change does to accounts' permissions, for the plan's impact lines (the lines
// themselves are rendered by plan/, later): evaluate the catalogue's actions before and after for
// the accounts whose chain changed, and summarise per service, re-collapsing "service:*" when a
// whole service flips. Pure; cost is bounded by evaluateBatch's sharing of levels and chains.
import type { Chain } from './org.js';
import type { Decision, EvalRequest } from './types.js';
import { ALLOW, DECISIONS, evaluateBatch } from './batch.js';
import { serviceOf } from './exemptions.js';

export interface AccountImpact {
  account: Chain['account'];
  /** Actions allowed before and denied after ("ec2:*" when every ec2 action flipped). */
  newlyDenied: string[];
  /** Actions denied before and allowed after. */
  newlyAllowed: string[];
  /** How many catalogue actions flipped each way (before collapsing). */
  counts: { denied: number; allowed: number };
}

export interface ImpactOptions {
  request?: Omit<EvalRequest, 'action'>;
  rcpServices?: ReadonlySet<string>;
}

// Policy text per parsed policy, so that comparing 1,000 chains does not re-serialise them.
const policyText = new WeakMap<object, string>();
const textOf = (p: object): string => {
  let t = policyText.get(p);
  if (t === undefined) {
    t = JSON.stringify(p);
    policyText.set(p, t);
  }
  return t;
};

/** Everything the decision of a chain depends on: accounts with equal keys decide alike. */
export const chainSignature = (c: Chain): string =>
  `${c.management}|${c.scpEnabled}|${c.rcpEnabled}|${c.levels.map((l) => `${l.target.id}:${[...l.scps, ...l.rcps].map((p) => `${p.id}@${textOf(p.policy)}`).join(',')}`).join(';')}`;

/** How many actions each service has in the list evaluated (to know when a whole service flipped). */
export function serviceCounts(actions: string[]): Map<string, number> {
  const perService = new Map<string, number>();
  for (const a of actions) perService.set(serviceOf(a), (perService.get(serviceOf(a)) ?? 0) + 1);
  return perService;
}

/** ["ec2:A", "ec2:B", "s3:C"] -> ["ec2:*", "s3:C"] when A and B are all of ec2 in the actions evaluated. */
export function collapse(flipped: string[], perService: Map<string, number>): string[] {
  const bySvc = new Map<string, string[]>();
  for (const a of flipped) bySvc.set(serviceOf(a), [...(bySvc.get(serviceOf(a)) ?? []), a]);
  const out: string[] = [];
  for (const [svc, list] of bySvc) out.push(...(list.length === perService.get(svc) ? [`${svc}:*`] : list));
  return out.sort();
}

/**
 * Accounts are matched by id; an account only in `after` is compared with "everything denied"
 * being unknown, so it is skipped (it is new: nothing is taken away from it).
 */
export function computeImpact(before: Chain[], after: Chain[], actions: string[], opts: ImpactOptions = {}): AccountImpact[] {
  const old = new Map(before.map((c) => [c.account.id, c]));
  const changed = after.filter((c) => {
    const b = old.get(c.account.id);
    return b && chainSignature(b) !== chainSignature(c);
  });
  if (changed.length === 0) return [];
  const batchOpts = { request: opts.request, rcpServices: opts.rcpServices };
  const was = evaluateBatch(
    changed.map((c) => old.get(c.account.id) as Chain),
    actions,
    batchOpts,
  );
  const now = evaluateBatch(changed, actions, batchOpts);
  const perService = serviceCounts(actions);
  const out: AccountImpact[] = [];
  changed.forEach((c, i) => {
    const denied: string[] = [];
    const allowed: string[] = [];
    for (let j = 0; j < actions.length; j++) {
      const b = was.decisions[i][j];
      const a = now.decisions[i][j];
      if (b === a) continue;
      if (b === ALLOW) denied.push(actions[j]);
      else if (a === ALLOW) allowed.push(actions[j]);
    }
    if (denied.length || allowed.length) {
      out.push({
        account: c.account,
        newlyDenied: collapse(denied, perService),
        newlyAllowed: collapse(allowed, perService),
        counts: { denied: denied.length, allowed: allowed.length },
      });
    }
  });
  return out;
}

export const decisionName = (code: number): Decision => DECISIONS[code];
