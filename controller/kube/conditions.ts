// Pure status bookkeeping: a status patch is computed only from fields that really changed (no
// write storms). Conditions merge through the one conditions module (status/conditions.ts).
import { sameData } from '../model/json-data.js';
import type { ConditionInput } from '../status/conditions.js';

export { findCondition, withCondition, type ConditionInput } from '../status/conditions.js';

export type StatusFields = Record<string, unknown> & { conditions?: ConditionInput[] };

/** Fields never compared to decide whether to write (they change every reconcile). */
const VOLATILE = new Set(['lastSyncTime']);

/**
 * The merge patch that turns `current` into `desired` for the fields `desired` sets
 * (null deletes), or undefined when nothing differs.
 */
export function statusPatch(current: Record<string, unknown> | undefined, desired: Record<string, unknown>): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (VOLATILE.has(k) || v === undefined) continue;
    const cur = current?.[k];
    if (v === null) {
      if (cur !== undefined && cur !== null) patch[k] = null;
    } else if (!sameData(cur, v)) {
      patch[k] = v;
    }
  }
  if (Object.keys(patch).length === 0) return undefined;
  if ('lastSyncTime' in desired && desired.lastSyncTime !== undefined) patch.lastSyncTime = desired.lastSyncTime;
  return patch;
}
