// Pure status bookkeeping: conditions keep their lastTransitionTime unless their status flips,
// and a status patch is computed only from fields that really changed (no write storms).
import type { Condition } from '../api/schemas.js';

export type ConditionInput = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };
export type StatusFields = Record<string, unknown> & { conditions?: ConditionInput[] };

const ORDER = ['Ready', 'Synced', 'Progressing'];
const rank = (t: string): number => (ORDER.includes(t) ? ORDER.indexOf(t) : ORDER.length);

/**
 * Merges `next` conditions over `prev`: a condition whose status did not change keeps its old
 * lastTransitionTime; conditions `next` does not mention are kept as they were.
 */
export function mergeConditions(
  prev: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number | undefined,
  now: string,
): Condition[] {
  const byType = new Map<string, Condition>();
  for (const c of prev ?? []) byType.set(c.type, c);
  for (const c of next) {
    const old = byType.get(c.type);
    const flipped = !old || old.status !== c.status;
    const merged: Condition = {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime: flipped ? (c.lastTransitionTime ?? now) : old.lastTransitionTime,
    };
    const og = generation ?? c.observedGeneration;
    if (og !== undefined) merged.observedGeneration = og;
    byType.set(c.type, merged);
  }
  return [...byType.values()].sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

/** Sets one condition in a status object (returns a new status). */
export function withCondition(status: StatusFields, cond: ConditionInput): StatusFields {
  const rest = (status.conditions ?? []).filter((c) => c.type !== cond.type);
  return { ...status, conditions: [...rest, cond] };
}

export function findCondition(status: { conditions?: ConditionInput[] } | undefined, type: string): ConditionInput | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Structural equality of JSON data (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** Fields never compared to decide whether to write (they change every reconcile). */
const VOLATILE = new Set(['lastSyncTime']);

/**
 * The merge patch that turns `current` into `desired` for the fields `desired` sets
 * (null deletes), or undefined when nothing differs.
 */
export function statusPatch(
  current: Record<string, unknown> | undefined,
  desired: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (VOLATILE.has(k) || v === undefined) continue;
    const cur = current?.[k];
    if (v === null) {
      if (cur !== undefined && cur !== null) patch[k] = null;
    } else if (!jsonEqual(cur, v)) {
      patch[k] = v;
    }
  }
  if (Object.keys(patch).length === 0) return undefined;
  if ('lastSyncTime' in desired && desired.lastSyncTime !== undefined) patch.lastSyncTime = desired.lastSyncTime;
  return patch;
}
