// The planner's safety rules: what happens to AWS objects whose manifest is gone (their
// orgplane.io/deletion-policy tag decides), pruning of unmanaged objects (opt-in), OUs that
// cannot be deleted because something stays in them, the deletion circuit breaker and the
// account-closure quota. Pure: drafts in, drafts and Blocked entries out.
//
// Retain means "leave the object and stop managing it": the planner removes its orgplane.io/
// tags, so the next plan reports it as unmanaged instead of offering to delete it again, and a
// manifest added later adopts it again by its natural key.
import { kindOfPolicyType, policyLabel } from '../model/policy-types.js';
import type { ActualOrg, ActualOU, Tags } from '../model/actual.js';
import { RESERVED_TAG_PREFIX, TAG_DELETION_POLICY, TAG_MANAGED_BY, TAG_OWNER } from '../model/ownership.js';
import type { Blocked } from './operations.js';
import type { Draft } from './order.js';

/** The ops that take one object out of management (delete, close, remove or release it). */
export interface DeletionGroup {
  /** Owner resource key ("OrganizationalUnit/sandbox"), or "Kind/<aws id>" for a pruned unmanaged object. */
  resource: string;
  /** "OrganizationalUnit Sandbox (ou-...)". */
  label: string;
  drafts: Draft[];
  /** true when the object is deleted, closed or removed (not just released). */
  destructive: boolean;
  /** An unmanaged object deleted because pruneUnmanaged is on. */
  pruned?: boolean;
}

export interface DeletionInput {
  actual: ActualOrg;
  /** AWS id -> owner key, for objects this namespace's ownership tag marks. */
  ownedBy: Map<string, string>;
  /** True when an AWS object is matched, recreated, or otherwise accounted for by this plan. */
  isAccountedFor: (id: string) => boolean;
  /** Resource keys never deleted (left out by validation). */
  protectedKeys: Set<string>;
  pruneUnmanaged: boolean;
  ouDepth: (id: string) => number;
}

export interface DeletionResult {
  groups: DeletionGroup[];
  blocked: Blocked[];
  warnings: string[];
  /** "Kind Name (id)" for every object no manifest describes and no namespace owns. */
  unmanaged: string[];
}

const reservedKeys = (tags: Tags | undefined): string[] =>
  Object.keys(tags ?? {})
    .filter((k) => k.startsWith(RESERVED_TAG_PREFIX))
    .sort();
const hasAnyOwner = (tags: Tags | undefined): boolean => tags !== undefined && (tags[TAG_OWNER] !== undefined || tags[TAG_MANAGED_BY] !== undefined);

export const label = (kind: string, name: string, id: string): string => `${kind} ${name} (${id})`;

export function planDeletions(input: DeletionInput): DeletionResult {
  const out: DeletionResult = { groups: [], blocked: [], warnings: [], unmanaged: [] };
  const h = deletionHelpers(input, out);
  planOUDeletions(input, h, out);
  planAccountDeletions(input, h, out);
  planPolicyDeletions(input, h, out);
  out.unmanaged.sort();
  return out;
}

type DeletionHelpers = ReturnType<typeof deletionHelpers>;

/** Builders of deletion groups; they record warnings and Blocked entries in `out`. */
function deletionHelpers(input: DeletionInput, out: DeletionResult) {
  const { actual, ouDepth } = input;
  const mgmt = actual.managementAccountId;
  const orphanPolicy = (id: string, tags: Tags | undefined, allowed: string[], what: string): string => {
    const value = tags?.[TAG_DELETION_POLICY] ?? 'Retain';
    if (allowed.includes(value)) return value;
    out.warnings.push(`${what}: unknown ${TAG_DELETION_POLICY} "${value}"; treated as Retain`);
    return 'Retain';
  };
  const release = (resource: string, lbl: string, id: string, tags: Tags | undefined): DeletionGroup => ({
    resource,
    label: lbl,
    destructive: false,
    drafts: [
      {
        deletion: true,
        body: {
          op: 'UntagResource',
          resource,
          target: { id },
          tagKeys: reservedKeys(tags),
          summary: `release ${lbl} (deletionPolicy Retain, manifest removed): remove its orgplane.io/ tags and stop managing it`,
        },
      },
    ],
  });
  const deleteOU = (resource: string, ou: ActualOU, why: string, pruned = false): DeletionGroup => ({
    resource,
    label: label('OrganizationalUnit', ou.name, ou.id),
    destructive: true,
    pruned,
    drafts: [
      {
        deletion: true,
        parentNode: ou.parentId,
        depth: ouDepth(ou.id),
        body: { op: 'DeleteOU', resource, ouId: ou.id, name: ou.name, summary: `delete OU ${ou.name} (${ou.id}) (${why})` },
      },
    ],
  });
  const deletePolicy = (resource: string, id: string, why: string, pruned = false): DeletionGroup | undefined => {
    const p = actual.policies[id];
    const lbl = label(kindOfPolicyType(p.type), p.name, p.id);
    const what = policyLabel(p.type);
    if (p.targets === undefined) {
      out.warnings.push(`${lbl}: its targets were not read, so it is not deleted in this run`);
      return undefined;
    }
    if (p.targets.includes(mgmt)) {
      out.blocked.push({
        resource,
        reason: 'ManagementAccount',
        message: `${lbl} is attached to the management account (${mgmt}); orgplane never detaches policies from it, so the policy is not deleted`,
      });
      return undefined;
    }
    const drafts: Draft[] = [...p.targets].sort().map((t) => ({
      deletion: true,
      body: {
        op: 'DetachPolicy',
        resource,
        policyId: p.id,
        targetId: t,
        policyName: p.name,
        targetName: targetName(actual, t),
        summary: `detach ${what} ${p.name} from ${targetName(actual, t)} before deleting it`,
      },
    }));
    drafts.push({
      deletion: true,
      body: { op: 'DeletePolicy', resource, policyId: p.id, name: p.name, summary: `delete ${what} ${p.name} (${p.id}) (${why})` },
    });
    return { resource, label: lbl, destructive: true, pruned, drafts };
  };

  return { orphanPolicy, release, deleteOU, deletePolicy };
}

/** OUs: owned ones by their deletion policy; unmanaged ones pruned when asked. */
function planOUDeletions(input: DeletionInput, { orphanPolicy, release, deleteOU }: DeletionHelpers, out: DeletionResult): void {
  const { actual, ownedBy, isAccountedFor, protectedKeys, pruneUnmanaged } = input;
  for (const ou of sortedById(actual.ous)) {
    if (isAccountedFor(ou.id)) continue;
    const lbl = label('OrganizationalUnit', ou.name, ou.id);
    const owner = ownedBy.get(ou.id);
    if (owner !== undefined) {
      if (protectedKeys.has(owner)) continue;
      const policy = orphanPolicy(ou.id, ou.tags, ['Retain', 'Delete'], lbl);
      out.groups.push(policy === 'Delete' ? deleteOU(owner, ou, 'deletionPolicy Delete, manifest removed') : release(owner, lbl, ou.id, ou.tags));
    } else if (!hasAnyOwner(ou.tags)) {
      out.unmanaged.push(lbl);
      if (pruneUnmanaged && ou.tags !== undefined) out.groups.push(deleteOU(`OrganizationalUnit/${ou.id}`, ou, 'unmanaged, pruneUnmanaged is on', true));
    }
  }
}

/** Accounts: owned ones closed, removed or released by their deletion policy; never pruned, never the management account. */
function planAccountDeletions(input: DeletionInput, { orphanPolicy, release }: DeletionHelpers, out: DeletionResult): void {
  const { actual, ownedBy, isAccountedFor, protectedKeys, pruneUnmanaged } = input;
  const mgmt = actual.managementAccountId;
  let unprunedAccounts = 0;
  for (const acc of sortedById(actual.accounts)) {
    if (isAccountedFor(acc.id)) continue;
    const lbl = label('Account', acc.name, acc.id);
    const owner = ownedBy.get(acc.id);
    if (owner === undefined) {
      // The management account is the organization itself, not something to adopt or prune.
      if (acc.id !== mgmt && !hasAnyOwner(acc.tags)) {
        out.unmanaged.push(lbl);
        unprunedAccounts++;
      }
      continue;
    }
    if (protectedKeys.has(owner)) continue;
    const policy = orphanPolicy(acc.id, acc.tags, ['Retain', 'Close', 'Remove'], lbl);
    if (policy === 'Retain') {
      out.groups.push(release(owner, lbl, acc.id, acc.tags));
      continue;
    }
    if (acc.id === mgmt) {
      out.blocked.push({
        resource: owner,
        reason: 'ManagementAccount',
        message: `${lbl} is the management account; orgplane never closes or removes it (deletionPolicy ${policy} ignored)`,
      });
      continue;
    }
    if (policy === 'Close') {
      if (acc.state === 'SUSPENDED' || acc.state === 'PENDING_CLOSURE') continue; // already closed: converged
      out.groups.push({
        resource: owner,
        label: lbl,
        destructive: true,
        drafts: [
          {
            deletion: true,
            body: {
              op: 'CloseAccount',
              resource: owner,
              accountId: acc.id,
              name: acc.name,
              summary: `close account ${acc.name} (${acc.id}) (deletionPolicy Close, manifest removed)`,
            },
          },
        ],
      });
    } else {
      out.groups.push({
        resource: owner,
        label: lbl,
        destructive: true,
        drafts: [
          {
            deletion: true,
            body: {
              op: 'RemoveAccount',
              resource: owner,
              accountId: acc.id,
              name: acc.name,
              summary: `remove account ${acc.name} (${acc.id}) from the organization (deletionPolicy Remove, manifest removed)`,
            },
          },
        ],
      });
    }
  }
  if (pruneUnmanaged && unprunedAccounts > 0) {
    out.warnings.push(
      `pruneUnmanaged never closes or removes accounts: ${unprunedAccounts} unmanaged account(s) left as they are (describe them with an Account manifest and a deletionPolicy to remove them)`,
    );
  }
}

/** SCPs: owned ones by their deletion policy; unmanaged ones pruned when asked. */
function planPolicyDeletions(input: DeletionInput, { orphanPolicy, release, deletePolicy }: DeletionHelpers, out: DeletionResult): void {
  const { actual, ownedBy, isAccountedFor, protectedKeys, pruneUnmanaged } = input;
  for (const p of sortedById(actual.policies)) {
    if (p.awsManaged || isAccountedFor(p.id)) continue;
    const lbl = label(kindOfPolicyType(p.type), p.name, p.id);
    const owner = ownedBy.get(p.id);
    if (owner !== undefined) {
      if (protectedKeys.has(owner)) continue;
      const policy = orphanPolicy(p.id, p.tags, ['Retain', 'Delete'], lbl);
      const g = policy === 'Delete' ? deletePolicy(owner, p.id, 'deletionPolicy Delete, manifest removed') : release(owner, lbl, p.id, p.tags);
      if (g) out.groups.push(g);
    } else if (!hasAnyOwner(p.tags)) {
      out.unmanaged.push(lbl);
      if (pruneUnmanaged && p.tags !== undefined) {
        const g = deletePolicy(`${kindOfPolicyType(p.type)}/${p.id}`, p.id, 'unmanaged, pruneUnmanaged is on', true);
        if (g) out.groups.push(g);
      }
    }
  }
}

/**
 * Drops DeleteOU drafts for OUs that would still hold accounts or OUs after the plan (AWS refuses
 * to delete them), bottom-up so a parent of a kept OU is kept too. Mutates `drafts` in place
 * (removes the refused ones) and returns the Blocked entries.
 */
export function refuseNonEmptyDeletes(
  drafts: Draft[],
  actual: ActualOrg,
  /** Account id -> where it will be after the plan (accounts removed from the org are absent). */
  finalParent: Map<string, string>,
): { kept: Draft[]; blocked: Blocked[] } {
  const deletes = drafts.filter((d) => d.body.op === 'DeleteOU');
  if (deletes.length === 0) return { kept: drafts, blocked: [] };
  const accountsIn = new Map<string, string[]>();
  for (const [accId, parent] of finalParent) {
    const list = accountsIn.get(parent);
    const name = actual.accounts[accId]?.name ?? accId;
    if (list) list.push(name);
    else accountsIn.set(parent, [name]);
  }
  const childOUs = new Map<string, ActualOU[]>();
  for (const ou of Object.values(actual.ous)) {
    const list = childOUs.get(ou.parentId);
    if (list) list.push(ou);
    else childOUs.set(ou.parentId, [ou]);
  }
  const deleting = new Set<string>();
  for (const d of deletes) if (d.body.op === 'DeleteOU') deleting.add(d.body.ouId);
  const refused = new Set<Draft>();
  const blocked: Blocked[] = [];
  for (const d of [...deletes].sort((a, b) => (b.depth ?? 0) - (a.depth ?? 0))) {
    if (d.body.op !== 'DeleteOU') continue;
    const id = d.body.ouId;
    const accounts = (accountsIn.get(id) ?? []).sort();
    const ous = (childOUs.get(id) ?? [])
      .filter((c) => !deleting.has(c.id))
      .map((c) => c.name)
      .sort();
    if (accounts.length === 0 && ous.length === 0) continue;
    refused.add(d);
    deleting.delete(id);
    const parts: string[] = [];
    if (accounts.length > 0) parts.push(`${accounts.length} account(s) (${accounts.slice(0, 5).join(', ')}${accounts.length > 5 ? ', ...' : ''})`);
    if (ous.length > 0) parts.push(`${ous.length} OU(s) (${ous.slice(0, 5).join(', ')}${ous.length > 5 ? ', ...' : ''})`);
    blocked.push({
      resource: d.body.resource,
      reason: 'NotEmpty',
      message: `OU ${d.body.name} (${id}) is not deleted: it would still hold ${parts.join(' and ')} that no manifest moves out`,
    });
  }
  return { kept: drafts.filter((d) => !refused.has(d)), blocked };
}

/**
 * The deletion circuit breaker: refuses every deletion (and release) of the run when it would
 * take more than `maxDeleteFraction` of the managed objects out of management, or when the
 * manifest set is empty while managed objects exist (a mis-synced or truncated repository).
 */
export function circuitBreaker(
  groups: DeletionGroup[],
  opts: {
    managed: number;
    desiredEmpty: boolean;
    maxDeleteFraction: number;
    /** Deletions planned elsewhere (Identity Center, IAM) that this same breaker counts and, when it trips, holds back. */
    extra?: { resource: string; label: string }[];
  },
): { groups: DeletionGroup[]; blocked: Blocked[]; message?: string } {
  const extra = opts.extra ?? [];
  const leaving: { resource: string; label: string; pruned?: boolean }[] = [...groups.filter((g) => g.drafts.length > 0), ...extra];
  const n = leaving.length;
  if (n === 0) return { groups, blocked: [] };
  const { desiredEmpty, maxDeleteFraction } = opts;
  // Pruned objects were not managed; they join the denominator so the share stays a share.
  const managed = opts.managed + leaving.filter((g) => g.pruned).length;
  const overFraction = n > maxDeleteFraction * managed;
  if (!overFraction && !(desiredEmpty && managed > 0)) return { groups, blocked: [] };
  const pct = managed === 0 ? 100 : Math.round((n / managed) * 100);
  const limit = Math.round(maxDeleteFraction * 100);
  const cmp = overFraction ? '>' : '<=';
  const message =
    (desiredEmpty ? 'the manifest set is empty: ' : '') +
    `would delete ${n} of ${managed} managed objects (${pct}% ${cmp} ${limit}% limit): an empty or truncated manifest set? nothing was deleted`;
  return {
    groups: [],
    blocked: leaving.map((g) => ({ resource: g.resource, reason: 'DeletionCircuitBreaker' as const, message: `${g.label}: ${message}` })),
    message,
  };
}

/** Keeps at most `max` account closures per run (alphabetical by resource); the rest wait. */
export function closureQuota(groups: DeletionGroup[], max: number): { groups: DeletionGroup[]; blocked: Blocked[] } {
  const closing = groups
    .filter((g) => g.drafts.some((d) => d.body.op === 'CloseAccount'))
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  if (closing.length <= max) return { groups, blocked: [] };
  const deferred = new Set(closing.slice(max));
  return {
    groups: groups.filter((g) => !deferred.has(g)),
    blocked: [...deferred].map((g) => ({
      resource: g.resource,
      reason: 'QuotaGuard' as const,
      message: `${g.label}: account closure limit reached (${max} per run, quotas.maxAccountClosuresPerRun); it is closed in a later run`,
    })),
  };
}

export function targetName(actual: ActualOrg, id: string): string {
  if (id === actual.root.id) return 'Root';
  const ou = actual.ous[id];
  if (ou) return `${ou.name} (${id})`;
  const acc = actual.accounts[id];
  return acc ? `${acc.name} (${id})` : id;
}

function sortedById<T extends { id: string }>(rec: Record<string, T>): T[] {
  return Object.values(rec).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
