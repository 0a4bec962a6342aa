// Kubernetes-style conditions, Crossplane/ACK conventions: Ready says the AWS object is usable,
// Synced says the last reconcile worked, Progressing says a long workflow is under way.
// The one conditions module (controller-runtime's meta.SetStatusCondition rules): the status
// computation (compute.ts) and the status writer (kube/status-writer.ts) both merge through it.
import type { Condition } from '../api/schemas.js';

export type ConditionType = 'Ready' | 'Synced' | 'Progressing';
export type ConditionStatus = Condition['status'];

/** A condition to set; lastTransitionTime and observedGeneration are filled in by the merge. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

const ORDER: readonly string[] = ['Ready', 'Synced', 'Progressing'] satisfies ConditionType[];
const rank = (t: string): number => (ORDER.includes(t) ? ORDER.indexOf(t) : ORDER.length);

/**
 * Sets `next` over `prev`: lastTransitionTime only moves when a condition's status flips (so
 * `kubectl describe` shows since when something has been true), observedGeneration is the given
 * generation, and conditions `next` does not mention are kept as they were. Ordered Ready,
 * Synced, Progressing, then any other type by name.
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

/** Sets one condition in a status object (returns a new status); the writer merges it later. */
export function withCondition<S extends { conditions?: ConditionInput[] }>(status: S, cond: ConditionInput): S {
  const rest = (status.conditions ?? []).filter((c) => c.type !== cond.type);
  return { ...status, conditions: [...rest, cond] };
}

export function findCondition(status: { conditions?: ConditionInput[] } | undefined, type: string): ConditionInput | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
