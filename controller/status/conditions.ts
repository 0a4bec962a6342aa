// Kubernetes-style conditions, Crossplane/ACK conventions: Ready says the AWS object is usable,
// Synced says the last reconcile worked, Progressing says a long workflow is under way.
import type { Condition } from '../api/schemas.js';

export type ConditionType = 'Ready' | 'Synced' | 'Progressing';
export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Builds the new condition list; lastTransitionTime only moves when a condition's status flips,
 * so `kubectl describe` shows since when something has been true.
 */
export function mergeConditions(
  previous: Condition[] | undefined,
  next: ConditionInput[],
  observedGeneration: number | undefined,
  now: string,
): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now;
    const out: Condition = { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime };
    if (observedGeneration !== undefined) out.observedGeneration = observedGeneration;
    return out;
  });
}
