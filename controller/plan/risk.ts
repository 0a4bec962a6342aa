// Stamps every op of a plan with its risk class from the op table (op-table.ts riskOf), with the
// facts about the whole plan the table needs: which policies deny every action and sit on the root
// once the plan has run. Pure: plain data in, the same ops out with `risk` set.
import type { ActualOrg } from '../model/actual.js';
import type { IdRef, Op } from './operations.js';
import { riskOf, type RiskContext } from './op-table.js';

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * Whether a policy document has an unconditional Deny statement whose Action covers every action
 * ("*") on every resource. A Deny limited by a Condition (deny the root user, deny outside some
 * regions) or by NotAction does not take everything away, so it is not org-wide on its own.
 */
export function deniesAll(document: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(document);
  } catch {
    return false;
  }
  if (doc === null || typeof doc !== 'object') return false;
  for (const st of asList((doc as Record<string, unknown>).Statement)) {
    if (st === null || typeof st !== 'object') continue;
    const s = st as Record<string, unknown>;
    if (s.Effect !== 'Deny' || s.Condition !== undefined || s.NotAction !== undefined || s.NotResource !== undefined) continue;
    const everyAction = asList(s.Action).some((a) => a === '*');
    const everyResource = s.Resource === undefined || asList(s.Resource).some((r) => r === '*');
    if (everyAction && everyResource) return true;
  }
  return false;
}

/** The risk context of one plan: a policy "denies all" when its document after the plan does and it is on the root after the plan. */
export function riskContext(ops: readonly Op[], actual: Pick<ActualOrg, 'policies' | 'root'>): RiskContext {
  const contentAfter = new Map<string, string>();
  for (const p of Object.values(actual.policies)) if (p.content) contentAfter.set(p.id, p.content);
  const onRoot = new Set<string>();
  for (const p of Object.values(actual.policies)) if ((p.targets ?? []).includes(actual.root.id)) onRoot.add(p.id);
  for (const op of ops) {
    if (op.op === 'CreatePolicy') contentAfter.set(op.resource, op.content);
    else if (op.op === 'UpdatePolicy' && op.content !== undefined) contentAfter.set(op.policyId, op.content);
    else if (op.op === 'AttachPolicy' && 'id' in op.target && op.target.id === actual.root.id) onRoot.add(keyOf(op.policy));
    else if (op.op === 'DetachPolicy' && op.targetId === actual.root.id) onRoot.delete(op.policyId);
  }
  return {
    deniesAll: (policy) => {
      const k = keyOf(policy);
      const content = contentAfter.get(k);
      return onRoot.has(k) && content !== undefined && deniesAll(content);
    },
  };
}

// A policy created in this plan is known by its resource key until the executor has its id.
const keyOf = (r: IdRef): string => ('id' in r ? r.id : r.ref);

/** Sets `risk` on every op (in place) and returns the ops. */
export function stampRisk<T extends Op>(ops: T[], actual: Pick<ActualOrg, 'policies' | 'root'>): T[] {
  const ctx = riskContext(ops, actual);
  for (const op of ops) op.risk = riskOf(op, ctx);
  return ops;
}
