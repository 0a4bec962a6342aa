// Deletions (manifest removed, or pruning), guarded: OU deletes that would leave something behind
// are refused, the one circuit breaker counts every deletion (Organizations and, passed in, access),
// and account closures per run are capped. Returns the deletion drafts that may run.
import { circuitBreaker, closureQuota, planDeletions, refuseNonEmptyDeletes, type DeletionGroup } from '../safety.js';
import type { Draft } from '../order.js';
import type { PlanContext } from '../context.js';

export interface DeletionResult {
  /** Main drafts with refused replacement deletes taken out. */
  main: Draft[];
  /** Deletion drafts that passed every guard. */
  deletions: Draft[];
  unmanaged: string[];
}

export function planOrgDeletions(ctx: PlanContext): DeletionResult {
  const { actual, m, desired } = ctx;
  const del = planDeletions({
    actual,
    ownedBy: m.ownedBy,
    protectedKeys: ctx.protectedKeys,
    pruneUnmanaged: desired.quotas.pruneUnmanaged,
    ouDepth: ctx.ouDepth,
    isAccountedFor: (id) => m.claimed.has(id) || ctx.evacuated.has(id),
  });
  ctx.blocked.push(...del.blocked);
  ctx.warnings.push(...del.warnings);
  // Where every account ends up, so OU deletes that would leave something behind are refused.
  const finalParent = new Map<string, string>();
  const removed = new Set<string>();
  for (const g of del.groups) for (const x of g.drafts) if (x.body.op === 'RemoveAccount') removed.add(x.body.accountId);
  for (const acc of Object.values(actual.accounts)) {
    if (!removed.has(acc.id)) finalParent.set(acc.id, ctx.moveDest.get(acc.id) ?? acc.parentId);
  }
  const deletionDrafts = del.groups.flatMap((g) => g.drafts);
  const checked = refuseNonEmptyDeletes([...ctx.drafts.filter((x) => x.body.op === 'DeleteOU'), ...deletionDrafts], actual, finalParent);
  ctx.blocked.push(...checked.blocked);
  const keptSet = new Set(checked.kept);
  const refused = (x: Draft): boolean => x.body.op === 'DeleteOU' && !keptSet.has(x);
  // Replacement deletes of recreated OUs stay in the plan's main drafts; a refused one just disappears.
  const main = ctx.drafts.filter((x) => !refused(x));
  const groups: DeletionGroup[] = del.groups.map((g) => ({ ...g, drafts: g.drafts.filter((x) => !refused(x)) }));
  return { main, deletions: guardDeletions(ctx, groups), unmanaged: del.unmanaged };
}

/** The circuit breaker over every deletion of the run, then the closure quota. */
export function guardDeletions(ctx: PlanContext, groups: DeletionGroup[]): Draft[] {
  const { m, desired } = ctx;
  const managedIds = new Set<string>();
  for (const [id, owner] of m.ownedBy) if (!ctx.protectedKeys.has(owner)) managedIds.add(id);
  for (const om of m.ous.values()) if (om.current) managedIds.add(om.current.id);
  for (const id of ctx.matchedAccountIds) managedIds.add(id);
  for (const id of ctx.managedPolicyIds) if (!ctx.actual.policies[id]?.awsManaged) managedIds.add(id);
  const desiredEmpty =
    Object.keys(desired.ous).length +
      Object.keys(desired.accounts).length +
      Object.keys(desired.policies).length +
      Object.keys(desired.permissionSets).length +
      Object.keys(desired.roles).length ===
    0;
  const access = ctx.opts.accessDeletions;
  const breaker = circuitBreaker(groups, {
    managed: managedIds.size + (access?.managed ?? 0),
    desiredEmpty,
    maxDeleteFraction: desired.quotas.maxDeleteFraction,
    extra: access?.units,
  });
  ctx.blocked.push(...breaker.blocked);
  if (breaker.message) ctx.warnings.push(`deletion circuit breaker: ${breaker.message}`);
  const quota = closureQuota(breaker.groups, desired.quotas.maxAccountClosuresPerRun);
  ctx.blocked.push(...quota.blocked);
  return quota.groups.flatMap((g) => g.drafts);
}
