// Assignment and role targets: an OU target means every account in that OU (and in nested OUs
// when asked), computed from the DESIRED placement of accounts, so that an account moved in the
// same plan gets the access of its new OU and loses that of the old one. AWS itself never
// follows accounts across OUs; orgplane recomputes this on every reconcile.
import type { ActualOrg, ActualAccount } from './actual.js';
import { ROOT, type DesiredOrg, type DesiredAccount } from './desired.js';
import { TAG_OWNER } from './ownership.js';

export const DEFAULT_ACCESS_ROLE = 'OrganizationAccountAccessRole';

/** One account an assignment or role applies to. */
export interface AccountTarget {
  /** Account metadata.name when a manifest describes it; undefined for unmanaged accounts found in an OU. */
  ref?: string;
  /** AWS account id; undefined while the account is still to be created. */
  accountId?: string;
  /** AWS account name (for plans and status). */
  name: string;
  /** Role orgplane assumes in the account. */
  accessRoleName: string;
}

const usable = (a: ActualAccount): boolean => a.state === 'ACTIVE';

/**
 * The actual account a desired account stands for, the way plan/match.ts pairs them: by adopted
 * id, then by this namespace's ownership tag, then by email.
 */
export function matchAccount(d: DesiredAccount, actual: ActualOrg, namespace?: string): ActualAccount | undefined {
  if (d.id) return actual.accounts[d.id];
  const all = Object.values(actual.accounts);
  if (namespace !== undefined) {
    const owner = `${namespace}/${d.key}`;
    const owned = all.find((a) => a.tags?.[TAG_OWNER] === owner);
    if (owned) return owned;
  }
  const email = d.email.toLowerCase();
  return all.find((a) => a.email.toLowerCase() === email);
}

/** AWS id of a desired OU ref ('root' included), or undefined while the OU does not exist yet. */
export function resolveOuId(ref: string, desired: DesiredOrg, actual: ActualOrg, seen = new Set<string>()): string | undefined {
  if (ref === ROOT) return actual.root.id;
  const ou = desired.ous[ref];
  if (!ou || seen.has(ref)) return undefined;
  seen.add(ref);
  if (ou.id) return actual.ous[ou.id] ? ou.id : undefined;
  const parentId = resolveOuId(ou.parent, desired, actual, seen);
  if (!parentId) return undefined;
  return Object.values(actual.ous).find((o) => o.parentId === parentId && o.name === ou.name)?.id;
}

/** Desired OU refs inside `ref` (itself first), following desired parents. */
function desiredSubtree(ref: string, desired: DesiredOrg, includeDescendants: boolean): string[] {
  const out = [ref];
  if (!includeDescendants) return out;
  for (let i = 0; i < out.length; i++) {
    for (const ou of Object.values(desired.ous)) if (ou.parent === out[i] && !out.includes(ou.ref)) out.push(ou.ref);
  }
  return out;
}

/** Actual OU ids inside `id` (itself first), following actual parents. */
function actualSubtree(id: string, actual: ActualOrg, includeDescendants: boolean): string[] {
  const out = [id];
  if (!includeDescendants) return out;
  for (let i = 0; i < out.length; i++) {
    for (const ou of Object.values(actual.ous)) if (ou.parentId === out[i] && !out.includes(ou.id)) out.push(ou.id);
  }
  return out;
}

export function accountTarget(ref: string, desired: DesiredOrg, actual: ActualOrg): AccountTarget | undefined {
  const d = desired.accounts[ref];
  if (!d) return undefined;
  const a = matchAccount(d, actual, desired.namespace);
  if (a && !usable(a)) return undefined;
  return { ref, accountId: a?.id, name: a?.name ?? d.name, accessRoleName: d.accessRoleName || DEFAULT_ACCESS_ROLE };
}

/**
 * Accounts covered by explicit account refs plus every account placed (by the manifests) in the
 * given OUs. Accounts no manifest describes count where AWS has them. Closed or suspended
 * accounts are left out: nothing can be assigned there. So is the management account.
 */
export function expandTargets(accounts: string[], ous: string[], includeDescendants: boolean, desired: DesiredOrg, actual: ActualOrg): AccountTarget[] {
  const out = new Map<string, AccountTarget>();
  const add = (t: AccountTarget | undefined) => {
    // The management account is never a target of any resource kind: an OU (root included) that
    // holds it covers every other account. Naming it directly is a validation error (validate.ts).
    if (!t || (t.accountId !== undefined && t.accountId === actual.managementAccountId)) return;
    const k = t.accountId ?? `ref:${t.ref}`;
    if (!out.has(k)) out.set(k, t);
  };
  for (const ref of accounts) add(accountTarget(ref, desired, actual));

  // Which actual accounts manifests describe (their placement is the desired one, not AWS's).
  const described = new Set<string>();
  for (const d of Object.values(desired.accounts)) {
    const a = matchAccount(d, actual, desired.namespace);
    if (a) described.add(a.id);
  }
  for (const ouRef of ous) {
    const refs = new Set(desiredSubtree(ouRef, desired, includeDescendants));
    for (const d of Object.values(desired.accounts)) if (refs.has(d.parent)) add(accountTarget(d.ref, desired, actual));
    // Unmanaged accounts stay where AWS has them.
    const ouId = resolveOuId(ouRef, desired, actual);
    if (!ouId) continue;
    const ids = new Set(actualSubtree(ouId, actual, includeDescendants));
    for (const a of Object.values(actual.accounts)) {
      if (ids.has(a.parentId) && !described.has(a.id) && usable(a)) {
        add({ accountId: a.id, name: a.name, accessRoleName: DEFAULT_ACCESS_ROLE });
      }
    }
  }
  // Known ids first (numeric order), then accounts still to be created by name.
  const sortKey = (t: AccountTarget) => (t.accountId ? `0${t.accountId}` : `1${t.ref}`);
  return [...out.values()].sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : sortKey(x) > sortKey(y) ? 1 : 0));
}
