// The one context every per-kind planner (plan/kinds/*.ts) shares: the desired and actual org,
// the match between them, one-pass indexes over the live org, and the plan being built (drafts,
// blocked, warnings, drift). Pure data plus small helpers; no AWS calls.
import type { ActualOrg, ActualOU } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import type { Blocked } from './operations.js';
import { isNewNode, matchOrg, type NodeKey, type OrgMatch, type OUMatch } from './match.js';
import type { Draft } from './order.js';
import { targetName } from './safety.js';

export interface PlanOptions {
  namespace: string;
  observeOnly?: boolean;
  /** Resource keys left out by validation: never delete what they describe. */
  invalid?: Set<string>;
  /** Blocked entries from earlier stages (validation); carried into the plan, and their resources are protected like `invalid`. */
  blocked?: Blocked[];
  /** Access deletions (permission sets, assignments, role copies) and managed access objects, for the one circuit breaker. */
  accessDeletions?: { units: { resource: string; label: string }[]; managed: number };
}

export interface PlanContext {
  ns: string;
  desired: DesiredOrg;
  actual: ActualOrg;
  opts: PlanOptions;
  m: OrgMatch;
  mgmt: string;
  protectedKeys: Set<string>;
  // ---- the plan being built ----
  drafts: Draft[];
  blocked: Blocked[];
  warnings: string[];
  drift: Map<string, string[]>;
  noteDrift: (key: string, text: string) => void;
  // ---- indexes over the live org ----
  ouChildren: Map<string, ActualOU[]>;
  accountsIn: Map<string, string[]>;
  policiesOn: Map<string, string[]>;
  ouDepth: (id: string) => number;
  managedPolicyIds: Set<string>;
  matchedAccountIds: Set<string>;
  /** Display names of nodes this plan creates. */
  newNames: Map<NodeKey, string>;
  nodeName: (n: NodeKey) => string;
  // ---- what the OU and account planners leave for the later ones ----
  /** Recreate groups: node -> group id, group id -> its head OU. */
  groupOfNode: Map<NodeKey, string>;
  groupHead: Map<string, OUMatch>;
  shadowParent: Map<NodeKey, NodeKey>;
  /** AWS ids carried into a recreated OU (they must not count as unmanaged leftovers). */
  evacuated: Set<string>;
  /** Account id -> where a MoveAccount takes it. */
  moveDest: Map<string, NodeKey>;
  /** Unmanaged policies re-attached to a recreated OU: new node -> policy names. */
  reattached: Map<NodeKey, string[]>;
  /** Old OUs deleted after their replacement is built. */
  oldOUs: Set<string>;
  movers: Draft[];
  /** Policy names attached to each node after the plan (for the move preflight). */
  afterAttached: Map<NodeKey, string[]>;
}

export function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function createContext(desired: DesiredOrg, actual: ActualOrg, opts: PlanOptions): PlanContext {
  const protectedKeys = new Set<string>([...(opts.invalid ?? []), ...(opts.blocked ?? []).map((b) => b.resource)]);
  const m = matchOrg(desired, actual, { namespace: opts.namespace, protectedKeys });
  const drift = new Map<string, string[]>();
  const ctx: PlanContext = {
    ns: opts.namespace,
    desired,
    actual,
    opts,
    m,
    mgmt: actual.managementAccountId,
    protectedKeys,
    drafts: [],
    blocked: [...(opts.blocked ?? []), ...m.blocked],
    warnings: [...m.warnings],
    drift,
    noteDrift: (key, text) => push(drift, key, text),
    ouChildren: new Map(),
    accountsIn: new Map(),
    policiesOn: new Map(),
    ouDepth: () => 0,
    managedPolicyIds: new Set(),
    matchedAccountIds: new Set(),
    newNames: new Map(),
    nodeName: (n) => n,
    groupOfNode: new Map(),
    groupHead: new Map(),
    shadowParent: new Map(),
    evacuated: new Set(),
    moveDest: new Map(),
    reattached: new Map(),
    oldOUs: new Set(),
    movers: [],
    afterAttached: new Map(),
  };
  indexLiveOrg(ctx);
  return ctx;
}

/** One pass each over the live org: the planner must stay linear in its size. */
function indexLiveOrg(ctx: PlanContext): void {
  const { actual, m } = ctx;
  for (const ou of Object.values(actual.ous)) push(ctx.ouChildren, ou.parentId, ou);
  for (const acc of Object.values(actual.accounts)) push(ctx.accountsIn, acc.parentId, acc.id);
  for (const p of Object.values(actual.policies)) for (const t of p.targets ?? []) push(ctx.policiesOn, t, p.id);
  const depthMemo = new Map<string, number>();
  const ouDepth = (id: string): number => {
    const hit = depthMemo.get(id);
    if (hit !== undefined) return hit;
    depthMemo.set(id, 0);
    const ou = actual.ous[id];
    const d = ou ? ouDepth(ou.parentId) + 1 : 0;
    depthMemo.set(id, d);
    return d;
  };
  ctx.ouDepth = ouDepth;
  for (const pm of m.policies.values()) if (pm.actual) ctx.managedPolicyIds.add(pm.actual.id);
  for (const am of m.accounts.values()) if (am.actual) ctx.matchedAccountIds.add(am.actual.id);
  for (const om of m.ous.values()) if (isNewNode(om.node)) ctx.newNames.set(om.node, om.desired.name);
  for (const am of m.accounts.values()) if (isNewNode(am.node)) ctx.newNames.set(am.node, am.desired.name);
  for (const pm of m.policies.values()) if (isNewNode(pm.node)) ctx.newNames.set(pm.node, pm.desired.name);
  ctx.nodeName = (n) => (isNewNode(n) ? `${ctx.newNames.get(n) ?? n.slice(4)} (new)` : targetName(actual, n));
}
