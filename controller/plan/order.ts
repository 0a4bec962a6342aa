// Turns unordered op drafts into the plan's op list: dependencies ("deps") from what each op
// creates and needs plus the ordering rules (parents first, policies before attachments, attaches
// before detaches per target, moves after the destination is ready, deletions bottom-up and last),
// then ids in a deterministic topological order so plans diff nicely in git.
import type { Blocked, Op, OrgOp } from './operations.js';
import { isNewNode, newNode, refNode, type NodeKey } from './match.js';
import { SCP_TYPE } from '../model/policy-types.js';

/** The policy type a policy op says it acts on (CreatePolicy, AttachPolicy carry it), else undefined. */
const typeOfPolicyOp = (d: Draft): string | undefined =>
  d.body.op === 'CreatePolicy' || d.body.op === 'AttachPolicy' ? (d.body.policyType ?? SCP_TYPE) : undefined;

type Body<T> = T extends OrgOp ? Omit<T, 'id' | 'deps'> : never;
/** An op before it has an id and deps. */
export type OpBody = Body<OrgOp>;

export interface Draft {
  body: OpBody;
  /** Runs in the deletion phase: after every non-deletion op. */
  deletion?: boolean;
  /** DeleteOU: the parent OU (children are deleted first). CreateOU/DeleteOU: depth below root. */
  parentNode?: NodeKey;
  depth?: number;
  /** Extra explicit dependencies. */
  after?: Draft[];
}

export interface Dropped {
  draft: Draft;
  /** 'held': the hold callback refused it; 'dependency': something it depends on was dropped or is missing. */
  why: 'held' | 'dependency';
  held?: Blocked;
  /** For 'dependency': the first dropped/missing thing it waited for (a summary). */
  cause?: string;
}

export interface OrderOptions {
  maxPoliciesPerTarget: number;
  /** SCPs attached to a target now (before the plan). */
  policyCount: (target: NodeKey) => number;
  /** Policy id -> is it FullAWSAccess-like (detached last when a slot must be freed)? */
  isFullAccess?: (policyId: string) => boolean;
  /** Why a draft must not run in this plan (paused resource), or undefined. */
  hold: (d: Draft) => Blocked | undefined;
}

export interface Ordered {
  ops: OrgOp[];
  /** Same order as ops. */
  drafts: Draft[];
  dropped: Dropped[];
  warnings: string[];
}

const PHASE: Record<OrgOp['op'], number> = {
  // Adoption first: nothing else is written to an object before it carries orgplane's tags.
  AdoptResource: 0,
  EnablePolicyType: 0,
  EnableServiceAccess: 0,
  CreatePolicy: 1,
  UpdatePolicy: 1,
  CreateOU: 2,
  RenameOU: 2,
  CreateAccount: 3,
  TagResource: 4,
  UntagResource: 4,
  AttachPolicy: 5,
  MoveAccount: 6,
  DetachPolicy: 7,
  RegisterDelegatedAdmin: 8,
  DeregisterDelegatedAdmin: 8,
  DisableServiceAccess: 9,
  DisablePolicyType: 9,
  CloseAccount: 12,
  RemoveAccount: 12,
  DeletePolicy: 13,
  DeleteOU: 14,
};

const phaseOf = (d: Draft): number => {
  const base = PHASE[d.body.op];
  if (!d.deletion) return base;
  // Deletion phase: releases and detaches first, then closures, policy deletes, OU deletes.
  return d.body.op === 'UntagResource' ? 10 : d.body.op === 'DetachPolicy' ? 11 : base;
};

function compare(a: Draft, b: Draft): number {
  const pa = phaseOf(a);
  const pb = phaseOf(b);
  if (pa !== pb) return pa - pb;
  const da = a.depth ?? 0;
  const db = b.depth ?? 0;
  // Parents created first, children deleted first.
  if (da !== db) return a.body.op === 'DeleteOU' ? db - da : da - db;
  if (a.body.op !== b.body.op) return a.body.op < b.body.op ? -1 : 1;
  if (a.body.resource !== b.body.resource) return a.body.resource < b.body.resource ? -1 : 1;
  return a.body.summary < b.body.summary ? -1 : a.body.summary > b.body.summary ? 1 : 0;
}

/** What node (new:Kind/name) an op creates. */
export function createsNode(d: Draft): NodeKey | undefined {
  const op = d.body.op;
  return op === 'CreateOU' || op === 'CreateAccount' || op === 'CreatePolicy' ? newNode(d.body.resource) : undefined;
}

/** Nodes that must exist before the op runs. */
function needsNodes(d: Draft): NodeKey[] {
  const b = d.body;
  switch (b.op) {
    case 'CreateOU':
    case 'CreateAccount':
      return [refNode(b.parent)];
    case 'AttachPolicy':
      return [refNode(b.policy), refNode(b.target)];
    case 'MoveAccount':
      return [refNode(b.to)];
    case 'TagResource':
    case 'UntagResource':
      return [refNode(b.target)];
    case 'RegisterDelegatedAdmin':
      return [refNode(b.account)];
    case 'AdoptResource':
      return [b.target.id];
    // Kinds that name only existing ids: nothing in the plan has to create them first.
    case 'RenameOU':
    case 'DeleteOU':
    case 'CloseAccount':
    case 'RemoveAccount':
    case 'CreatePolicy':
    case 'UpdatePolicy':
    case 'DeletePolicy':
    case 'DetachPolicy':
    case 'EnablePolicyType':
    case 'DisablePolicyType':
    case 'EnableServiceAccess':
    case 'DisableServiceAccess':
    case 'DeregisterDelegatedAdmin':
      return [];
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function orderDrafts(drafts: Draft[], opts: OrderOptions): Ordered {
  const warnings: string[] = [];
  const deps = new Map<Draft, Set<Draft>>(drafts.map((d) => [d, new Set<Draft>(d.after ?? [])]));
  const depsOf = (d: Draft): Set<Draft> => {
    let set = deps.get(d);
    if (!set) {
      set = new Set<Draft>();
      deps.set(d, set);
    }
    return set;
  };
  const { missing, idx } = indexDrafts(drafts, depsOf);
  addOrderingRules(drafts, idx, opts, depsOf, warnings);
  const { dropped, kept } = dropHeldAndUnsatisfiable(drafts, deps, missing, opts);
  deletionsLast(kept, depsOf);
  const keptSet = new Set(kept);
  const sorted = topoSort(kept, keptSet, depsOf);

  const ids = new Map<Draft, number>(sorted.map((d, i) => [d, i + 1]));
  const ops = sorted.map((d) => {
    const depIds = [...depsOf(d)]
      .filter((x) => keptSet.has(x))
      .map((x) => ids.get(x) ?? 0)
      .sort((a, b) => a - b);
    return { id: `op-${ids.get(d)}`, deps: depIds.map((n) => `op-${n}`), ...d.body } as OrgOp;
  });
  return {
    ops,
    drafts: sorted,
    dropped: drafts.flatMap((d) => {
      const x = dropped.get(d);
      return x ? [x] : [];
    }),
    warnings,
  };
}

type DepsOf = (d: Draft) => Set<Draft>;
type DraftIndex = ReturnType<typeof indexDrafts>['idx'];

/** Deps on the drafts that create the new nodes each draft needs, and the indexes the ordering rules read. */
function indexDrafts(drafts: Draft[], depsOf: DepsOf) {
  const missing = new Map<Draft, string>();
  const creators = new Map<NodeKey, Draft>();
  for (const d of drafts) {
    const n = createsNode(d);
    if (n) creators.set(n, d);
  }
  // Indexes for the ordering rules.
  const attachesTo = new Map<NodeKey, Draft[]>();
  const detachesFrom = new Map<NodeKey, Draft[]>();
  const detachesOf = new Map<string, Draft[]>();
  const movesFrom = new Map<NodeKey, Draft[]>();
  const ouDeletesUnder = new Map<NodeKey, Draft[]>();
  const enableAccess = new Map<string, Draft>();
  const deregisters = new Map<string, Draft[]>();
  const policyTypeEnables = new Map<string, Draft[]>();
  const policyOps: Draft[] = [];
  const adopts = new Map<string, Draft>();
  for (const d of drafts) if (d.body.op === 'AdoptResource') adopts.set(d.body.resource, d);
  for (const d of drafts) {
    // Every other op of an adopted resource waits for the ownership tags.
    const adopt = adopts.get(d.body.resource);
    if (adopt && adopt !== d) depsOf(d).add(adopt);
    const b = d.body;
    for (const n of needsNodes(d)) {
      if (!isNewNode(n)) continue;
      const c = creators.get(n);
      if (c) depsOf(d).add(c);
      else if (!missing.has(d)) missing.set(d, `${n.slice(4)}, which this plan does not create`);
    }
    switch (b.op) {
      case 'AttachPolicy':
        push(attachesTo, refNode(b.target), d);
        policyOps.push(d);
        break;
      case 'DetachPolicy':
        push(detachesFrom, b.targetId, d);
        push(detachesOf, b.policyId, d);
        policyOps.push(d);
        break;
      case 'CreatePolicy':
      case 'UpdatePolicy':
      case 'DeletePolicy':
        policyOps.push(d);
        break;
      case 'MoveAccount':
        push(movesFrom, b.fromId, d);
        break;
      case 'DeleteOU':
        if (d.parentNode !== undefined) push(ouDeletesUnder, d.parentNode, d);
        break;
      case 'EnableServiceAccess':
        enableAccess.set(b.servicePrincipal, d);
        break;
      case 'DeregisterDelegatedAdmin':
        push(deregisters, b.servicePrincipal, d);
        break;
      case 'EnablePolicyType':
        push(policyTypeEnables, b.policyType, d);
        break;
      // No ordering rule of their own beyond the phases and needsNodes.
      case 'CreateOU':
      case 'RenameOU':
      case 'TagResource':
      case 'UntagResource':
      case 'CreateAccount':
      case 'CloseAccount':
      case 'RemoveAccount':
      case 'DisablePolicyType':
      case 'DisableServiceAccess':
      case 'RegisterDelegatedAdmin':
      case 'AdoptResource':
        break;
    }
  }
  return { missing, idx: { attachesTo, detachesFrom, detachesOf, movesFrom, ouDeletesUnder, enableAccess, deregisters, policyTypeEnables, policyOps } };
}

/** The ordering rules: attach/detach slots per target, moves and deletes, delegated admins, policy types. */
function addOrderingRules(drafts: Draft[], idx: DraftIndex, opts: OrderOptions, depsOf: DepsOf, warnings: string[]): void {
  const { attachesTo, detachesFrom, detachesOf, movesFrom, ouDeletesUnder, enableAccess, deregisters, policyTypeEnables, policyOps } = idx;
  const addAll = (d: Draft, list: Draft[] | undefined): void => {
    if (list) for (const x of list) if (x !== d) depsOf(d).add(x);
  };
  // Attach before detach on each target, unless the target has no free slot: then just enough
  // detaches go first (FullAWSAccess last) and the rest wait for the attaches.
  for (const [target, detaches] of detachesFrom) {
    const attaches = attachesTo.get(target) ?? [];
    if (attaches.length === 0) continue;
    const current = opts.policyCount(target);
    const needFree = Math.max(0, current + attaches.length - opts.maxPoliciesPerTarget);
    const fullAccess = (d: Draft): boolean => d.body.op === 'DetachPolicy' && (opts.isFullAccess?.(d.body.policyId) ?? false);
    const sorted = [...detaches].sort((a, b) => Number(fullAccess(a)) - Number(fullAccess(b)) || compare(a, b));
    const early = sorted.slice(0, Math.min(needFree, current - 1, sorted.length));
    if (early.length < needFree) {
      warnings.push(
        `target ${target}: ${current} policies attached, ${attaches.length} to attach and ${detaches.length} to detach would exceed the limit of ${opts.maxPoliciesPerTarget} during the change`,
      );
    }
    for (const a of attaches) addAll(a, early);
    for (const d of sorted.slice(early.length)) addAll(d, attaches);
  }
  for (const d of drafts) {
    const b = d.body;
    if (b.op === 'MoveAccount') addAll(d, attachesTo.get(refNode(b.to)));
    else if (b.op === 'DeleteOU') {
      addAll(d, movesFrom.get(b.ouId));
      addAll(d, ouDeletesUnder.get(b.ouId));
      addAll(d, detachesFrom.get(b.ouId));
    } else if (b.op === 'DeletePolicy') addAll(d, detachesOf.get(b.policyId));
    else if (b.op === 'RegisterDelegatedAdmin') {
      const en = enableAccess.get(b.servicePrincipal);
      if (en) depsOf(d).add(en);
    } else if (b.op === 'DisableServiceAccess') addAll(d, deregisters.get(b.servicePrincipal));
    // A type is disabled after every policy op of that type (ops that do not carry their type:
    // after all of them); its policies are created and attached only once it is enabled.
    else if (b.op === 'DisablePolicyType')
      addAll(
        d,
        policyOps.filter((x) => typeOfPolicyOp(x) === undefined || typeOfPolicyOp(x) === b.policyType),
      );
    if (b.op === 'CreatePolicy' || b.op === 'AttachPolicy') addAll(d, policyTypeEnables.get(b.policyType ?? SCP_TYPE));
    if (b.op === 'UpdatePolicy') addAll(d, policyTypeEnables.get(SCP_TYPE));
  }
}

/** Drops held (paused) and unsatisfiable drafts, and everything that depends on them. */
function dropHeldAndUnsatisfiable(drafts: Draft[], deps: Map<Draft, Set<Draft>>, missing: Map<Draft, string>, opts: OrderOptions) {
  // Drop held (paused) and unsatisfiable drafts, and everything that depends on them.
  const dependents = new Map<Draft, Draft[]>();
  for (const [d, ds] of deps) for (const x of ds) push(dependents, x, d);
  const dropped = new Map<Draft, Dropped>();
  const queue: Draft[] = [];
  for (const d of drafts) {
    const held = opts.hold(d);
    if (held) dropped.set(d, { draft: d, why: 'held', held });
    else if (missing.has(d)) dropped.set(d, { draft: d, why: 'dependency', cause: missing.get(d) });
    else continue;
    queue.push(d);
  }
  for (let d = queue.pop(); d !== undefined; d = queue.pop()) {
    for (const x of dependents.get(d) ?? []) {
      if (dropped.has(x)) continue;
      dropped.set(x, { draft: x, why: 'dependency', cause: d.body.summary });
      queue.push(x);
    }
  }
  const kept = drafts.filter((d) => !dropped.has(d));
  return { dropped, kept };
}

/** Makes each deletion that waits on no other deletion wait for every non-deletion sink. */
function deletionsLast(kept: Draft[], depsOf: DepsOf): void {
  // Deletions last: each deletion op that waits on no other deletion op waits for every
  // non-deletion sink (transitively: for every non-deletion op).
  const keptDeletions = kept.filter((d) => d.deletion);
  if (keptDeletions.length > 0) {
    const hasDependent = new Set<Draft>();
    for (const d of kept) for (const x of depsOf(d)) hasDependent.add(x);
    const sinks = kept.filter((d) => !d.deletion && !hasDependent.has(d));
    for (const d of keptDeletions) {
      const own = depsOf(d);
      if (![...own].some((x) => x.deletion)) for (const s of sinks) own.add(s);
    }
  }
}

/** Topological order of the kept drafts (deps outside `keptSet` ignored); throws on a cycle. */
function topoSort(kept: Draft[], keptSet: Set<Draft>, depsOf: DepsOf): Draft[] {
  // Kahn's algorithm, always taking the smallest ready draft: deterministic and topological.
  const indegree = new Map<Draft, number>();
  const out = new Map<Draft, Draft[]>();
  for (const d of kept) {
    let n = 0;
    for (const x of depsOf(d)) {
      if (!keptSet.has(x)) continue;
      n++;
      push(out, x, d);
    }
    indegree.set(d, n);
  }
  const heap = new MinHeap<Draft>(compare);
  for (const d of kept) if (indegree.get(d) === 0) heap.push(d);
  const sorted: Draft[] = [];
  while (heap.size > 0) {
    const d = heap.pop();
    sorted.push(d);
    for (const x of out.get(d) ?? []) {
      const n = (indegree.get(x) ?? 0) - 1;
      indegree.set(x, n);
      if (n === 0) heap.push(x);
    }
  }
  if (sorted.length !== kept.length) throw new Error(`plan ordering: dependency cycle among ${kept.length - sorted.length} operations`);
  return sorted;
}

/** A small binary min-heap (the ready set can hold thousands of ops). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly cmp: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.cmp(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The one dependency order over a whole plan, Organizations and access ops together: the rule
 * orderDrafts applies to Organizations drafts ("deletions last") is applied across all of them.
 * A deletion waits for every non-deletion op it `waitsFor` (the engine: every Organizations op,
 * since moves and creates decide what is targeted, and the ops of its own resource), so deleting
 * a role copy or an assignment comes after the structure is in place, as deleting an OU does,
 * but an unrelated role that fails to apply does not hold it back. The list is then put in a
 * topological order (ties keep their planned order); ids are kept.
 */
export function orderPlanOps(ops: Op[], isDeletion: (op: Op) => boolean, waitsFor: (deletion: Op, other: Op) => boolean): Op[] {
  const byId = new Map(ops.map((o) => [o.id, o]));
  const deps = new Map<string, Set<string>>(ops.map((o) => [o.id, new Set(o.deps.filter((d) => byId.has(d)))]));
  const deletions = ops.filter(isDeletion);
  if (deletions.length === 0) return ops;
  const deletionIds = new Set(deletions.map((o) => o.id));
  const rest = ops.filter((o) => !deletionIds.has(o.id) && ![...(deps.get(o.id) ?? [])].some((d) => deletionIds.has(d)));
  for (const d of deletions) {
    const own = deps.get(d.id);
    if (!own || [...own].some((x) => deletionIds.has(x))) continue;
    // Sinks of what this deletion waits for: waiting on them is waiting on all of it.
    const waited = rest.filter((o) => waitsFor(d, o));
    const inner = new Set<string>();
    for (const o of waited) for (const x of deps.get(o.id) ?? []) inner.add(x);
    for (const o of waited) if (!inner.has(o.id)) own.add(o.id);
  }
  // Kahn's algorithm, taking the earliest planned ready op: deterministic and topological.
  const index = new Map(ops.map((o, i) => [o.id, i]));
  const indegree = new Map<string, number>();
  const out = new Map<string, string[]>();
  for (const o of ops) {
    const ds = deps.get(o.id) ?? new Set<string>();
    indegree.set(o.id, ds.size);
    for (const d of ds) push(out, d, o.id);
  }
  const heap = new MinHeap<string>((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
  for (const o of ops) if (indegree.get(o.id) === 0) heap.push(o.id);
  const sorted: Op[] = [];
  while (heap.size > 0) {
    const id = heap.pop();
    const op = byId.get(id);
    if (op) sorted.push({ ...op, deps: [...(deps.get(id) ?? [])].sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0)) });
    for (const x of out.get(id) ?? []) {
      const n = (indegree.get(x) ?? 0) - 1;
      indegree.set(x, n);
      if (n === 0) heap.push(x);
    }
  }
  // A cycle cannot come from these rules (deletions only ever wait on non-deletions); if the
  // input had one, it is reported where it was made, not hidden here.
  if (sorted.length !== ops.length) throw new Error(`plan ordering: dependency cycle among ${ops.length - sorted.length} operations`);
  return sorted;
}
