// The plan as data for machines (policy checks, CI, saved plans), in the manner of
// `terraform show -json`: a format version, one entry per resource with its ordered actions, its
// risk class and the documents it changes before and after, totals, and the ops themselves.
// Keys are sorted at every level and arrays keep plan order, so equal plans print equal bytes.
import type { Operation } from 'fast-json-patch';
import { stableData } from '../model/json-data.js';
import { actionOf, type ResourceAction, type Risk } from './op-table.js';
import type { Op, Plan } from './operations.js';
import { countActions, countRisks, documentChanges, highestRisk, opRisk } from './render-model.js';

/** Bumped on any change a consumer could notice: 1.x adds fields, 2.0 would change or drop one. */
export const PLAN_FORMAT_VERSION = '1.0';

export interface ResourceChange {
  /** "Kind/name" of the manifest the ops work for ("Organization" for ops without one). */
  address: string;
  /** What happens to the resource, in the order its ops run (["create"], ["create","move","delete"], ...). */
  actions: ResourceAction[];
  /** The most serious risk class among its ops. */
  risk: Risk;
  /** Ids of its ops, in plan order (they are in the plan's `ops`). */
  ops: string[];
  /** Documents (policy JSON) before and after, keyed like op.change ("content", "trustPolicy", ...). */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** RFC 6902 patch per document, from the canonical before to the canonical after. */
  patch?: Record<string, Operation[]>;
}

export interface PlanDocument extends Plan {
  formatVersion: string;
  resourceChanges: ResourceChange[];
  totals: { ops: number; resources: number; actions: Record<ResourceAction, number>; risks: Record<Risk, number> };
}

const addressOf = (op: Op): string => op.resource || 'Organization';

/** Ops by resource, in plan order of first appearance. */
function byResource(ops: Op[]): Map<string, Op[]> {
  const out = new Map<string, Op[]>();
  for (const op of ops) {
    const list = out.get(addressOf(op));
    if (list) list.push(op);
    else out.set(addressOf(op), [op]);
  }
  return out;
}

/** Documents of a resource; when two of its ops change a document of the same key (a role in two accounts) the op id tells them apart. */
function documentsOf(ops: Op[]): Pick<ResourceChange, 'before' | 'after' | 'patch'> {
  const changes = ops.flatMap((op) => documentChanges(op).map((c) => ({ op, c })));
  if (changes.length === 0) return {};
  const keys = changes.map(({ c }) => c.key);
  const clash = new Set(keys).size < keys.length;
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown>, patch: {} as Record<string, Operation[]> };
  for (const { op, c } of changes) {
    const key = clash ? `${op.id}:${c.key}` : c.key;
    out.before[key] = c.before ?? null;
    out.after[key] = c.after ?? null;
    out.patch[key] = c.diff.patch;
  }
  return out;
}

export function resourceChanges(plan: Plan): ResourceChange[] {
  return [...byResource(plan.ops)].map(([address, ops]) => ({
    address,
    actions: [...new Set(ops.map(actionOf))],
    risk: highestRisk(ops.map(opRisk)),
    ops: ops.map((op) => op.id),
    ...documentsOf(ops),
  }));
}

export function planDocument(plan: Plan): PlanDocument {
  const changes = resourceChanges(plan);
  return {
    ...plan,
    // Each op carries its risk class, so a policy check needs no copy of the op table.
    ops: plan.ops.map((op) => ({ ...op, risk: opRisk(op) })),
    formatVersion: PLAN_FORMAT_VERSION,
    resourceChanges: changes,
    totals: { ops: plan.ops.length, resources: changes.length, actions: countActions(plan.ops), risks: countRisks(plan.ops) },
  };
}

/** Stable JSON: object keys sorted at every level, arrays in plan order. */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(stableData(planDocument(plan)), null, 2)}\n`;
}
