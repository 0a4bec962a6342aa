// Effective policy of an account for the management policy types whose documents merge with
// inheritance operators (tag, backup, AI services opt-out, chat applications, declarative EC2).
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html
// - Levels merge root first, then each OU, then the account; at one level policies merge in the
//   order they were attached, and a value assigned by an earlier one wins (example 6).
// - @@assign replaces, @@append adds to an array, @@remove takes values out of it.
// - @@operators_allowed_for_child_policies limits the value-setting operators of every policy
//   below it, for that setting and all settings under it, and cannot be widened again; several
//   policies at one level give the intersection (example 5). A child operator that is not
//   allowed is ignored (example 4), and reported.

import { sameData } from '../model/json-data.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export const VALUE_OPERATORS = ['@@assign', '@@append', '@@remove'] as const;
export const CHILD_CONTROL = '@@operators_allowed_for_child_policies';
type ValueOperator = (typeof VALUE_OPERATORS)[number];

export interface PolicyAtLevel {
  /** Target of the level (root, OU, account), for messages. */
  target: string;
  /** Policies attached there, in attachment order. */
  policies: { name: string; document: Json }[];
}

export interface EffectivePolicyResult {
  effective: JsonObject;
  /** Operators ignored because a parent policy does not allow them, with where and why. */
  ignored: string[];
}

interface StateNode {
  value?: Json;
  /** Level index of the @@assign that set the value (same-level: first attached wins). */
  assignedAt?: number;
  /** Operators policies below may use here and beneath; undefined = all. */
  allowed?: Set<ValueOperator>;
  children: Map<string, StateNode>;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const newNode = (): StateNode => ({ children: new Map() });
const asArray = (v: Json | undefined): Json[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function intersect(a: Set<ValueOperator> | undefined, b: Set<ValueOperator> | undefined): Set<ValueOperator> | undefined {
  if (!a) return b;
  if (!b) return a;
  return new Set([...a].filter((x) => b.has(x)));
}

/** ["@@all"] -> undefined (no limit); ["@@none"] -> empty set; else the listed operators. */
export function parseAllowed(v: Json): Set<ValueOperator> | undefined {
  const list = asArray(v).map(String);
  if (list.includes('@@all')) return undefined;
  return new Set(list.filter((x): x is ValueOperator => (VALUE_OPERATORS as readonly string[]).includes(x)));
}

interface MergeContext {
  level: number;
  where: string;
  ignored: string[];
  /** Child-control operators seen at this level, applied once the level is done (path -> set). */
  pending: Map<StateNode, Set<ValueOperator> | undefined>;
}

function applyOperator(node: StateNode, op: ValueOperator, v: Json, ctx: MergeContext): void {
  if (op === '@@assign') {
    if (node.assignedAt === ctx.level) return; // an earlier policy at this level already assigned it
    node.value = v;
    node.assignedAt = ctx.level;
  } else if (op === '@@append') {
    const current = asArray(node.value);
    node.value = [...current, ...asArray(v).filter((x) => !current.some((c) => sameData(c, x)))];
  } else {
    node.value = asArray(node.value).filter((x) => !asArray(v).some((r) => sameData(r, x)));
  }
}

function mergeNode(node: StateNode, doc: JsonObject, inherited: Set<ValueOperator> | undefined, path: string, ctx: MergeContext): void {
  const allowed = intersect(inherited, node.allowed);
  for (const op of VALUE_OPERATORS) {
    if (!(op in doc)) continue;
    if (allowed && !allowed.has(op)) {
      ctx.ignored.push(`${ctx.where}: ${path}: ${op} ignored: a parent policy allows only ${[...allowed].join(', ') || '@@none'}`);
      continue;
    }
    applyOperator(node, op, doc[op], ctx);
  }
  if (CHILD_CONTROL in doc) {
    const declared = parseAllowed(doc[CHILD_CONTROL]);
    ctx.pending.set(node, ctx.pending.has(node) ? intersect(ctx.pending.get(node), declared) : declared);
  }
  for (const [key, child] of Object.entries(doc)) {
    if (key.startsWith('@@') || !isObject(child)) continue;
    let next = node.children.get(key);
    if (!next) {
      next = newNode();
      node.children.set(key, next);
    }
    mergeNode(next, child, allowed, path ? `${path}.${key}` : key, ctx);
  }
}

/** The effective document: operators gone, values in place, emptied arrays and settings dropped. */
function render(node: StateNode): Json | undefined {
  if (node.children.size === 0) {
    if (node.value === undefined || (Array.isArray(node.value) && node.value.length === 0)) return undefined;
    return node.value;
  }
  const out: JsonObject = {};
  for (const [k, child] of node.children) {
    const v = render(child);
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

export function effectivePolicy(levels: PolicyAtLevel[]): EffectivePolicyResult {
  const root = newNode();
  const ignored: string[] = [];
  levels.forEach((level, i) => {
    const pending = new Map<StateNode, Set<ValueOperator> | undefined>();
    for (const p of level.policies) {
      if (!isObject(p.document)) continue;
      mergeNode(root, p.document, undefined, '', { level: i, where: `${level.target}/${p.name}`, ignored, pending });
    }
    // Restrictions declared at a level bind the levels below, never siblings at the same level.
    for (const [node, set] of pending) node.allowed = intersect(node.allowed, set);
  });
  const effective = render(root);
  return { effective: isObject(effective ?? null) ? (effective as JsonObject) : {}, ignored };
}
