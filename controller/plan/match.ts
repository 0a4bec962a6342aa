// Pairs each desired OU, account and policy with the AWS object it describes: by spec.id (explicit
// adoption), else by this namespace's ownership tag, else by natural key (OU name under its matched
// parent, account email, policy name). Pure: plain data in, plain data out.
import type { ActualAccount, ActualOrg, ActualOU, ActualPolicy, Tags } from '../model/actual.js';
import { ROOT, type DesiredAccount, type DesiredOrg, type DesiredOU, type DesiredPolicy } from '../model/desired.js';
import { TAG_OWNER } from '../model/ownership.js';
import { policyLabel, SCP_TYPE } from '../model/policy-types.js';
import type { Blocked, IdRef } from './operations.js';

/**
 * Where an object is (or will be) in the plan: an AWS id, or "new:<Kind/name>" for an object an
 * op in this plan creates. Shadow copies of unmanaged OUs use "new:OrganizationalUnit/~<old id>".
 */
export type NodeKey = string;
const NEW = 'new:';
export const newNode = (resourceKey: string): NodeKey => `${NEW}${resourceKey}`;
export const isNewNode = (n: NodeKey): boolean => n.startsWith(NEW);
export const nodeRef = (n: NodeKey): IdRef => (isNewNode(n) ? { ref: n.slice(NEW.length) } : { id: n });
export const refNode = (r: IdRef): NodeKey => ('id' in r ? r.id : newNode(r.ref));

export type MatchedBy = 'id' | 'owner' | 'name';

export interface OUMatch {
  desired: DesiredOU;
  /** The AWS OU at the desired place, if any (else it is created). */
  current?: ActualOU;
  how?: MatchedBy;
  /** OUs this resource owns (by id/owner tag) that sit elsewhere: AWS cannot move OUs, so they are recreated and deleted. */
  olds: ActualOU[];
  node: NodeKey;
  parentNode: NodeKey;
  depth: number;
}

export interface AccountMatch {
  desired: DesiredAccount;
  actual?: ActualAccount;
  how?: MatchedBy;
  node: NodeKey;
  parentNode: NodeKey;
}

export interface PolicyMatch {
  desired: DesiredPolicy;
  actual?: ActualPolicy;
  how?: MatchedBy;
  node: NodeKey;
}

export interface OrgMatch {
  /** Keyed by desired ref (metadata.name); OUs in parent-first order. */
  ous: Map<string, OUMatch>;
  accounts: Map<string, AccountMatch>;
  policies: Map<string, PolicyMatch>;
  /** AWS ids claimed by a desired resource (current or old), or owned by a resource left out by validation. */
  claimed: Set<string>;
  /** AWS id -> owner resource key ("Kind/name") for objects this namespace's ownership tag marks. */
  ownedBy: Map<string, string>;
  /** Desired keys the matcher could not place (conflicts, stale ids, blocked parents). */
  blocked: Blocked[];
  blockedKeys: Set<string>;
  warnings: string[];
}

export interface MatchOptions {
  namespace: string;
  /** Resource keys left out by validation (or blocked upstream): what they own is never adopted or deleted. */
  protectedKeys: Set<string>;
}

/** The resource key an ownership tag of this namespace names, or undefined. */
export function ownerKeyOf(tags: Tags | undefined, namespace: string): string | undefined {
  const owner = tags?.[TAG_OWNER];
  const prefix = `${namespace}/`;
  return owner !== undefined && owner.startsWith(prefix) ? owner.slice(prefix.length) : undefined;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function matchOrg(desired: DesiredOrg, actual: ActualOrg, opts: MatchOptions): OrgMatch {
  const result: OrgMatch = {
    ous: new Map(),
    accounts: new Map(),
    policies: new Map(),
    claimed: new Set(),
    ownedBy: new Map(),
    blocked: [],
    blockedKeys: new Set(),
    warnings: [],
  };
  const m = matchHelpers(desired, actual, opts, result);
  matchOUs(desired, actual, m, result);
  matchAccounts(desired, actual, m, result);
  matchPolicies(desired, actual, m, result);
  return result;
}

/** Indexes the AWS objects by owner and by natural key; records ownership in `result`. */
function indexActual(actual: ActualOrg, { namespace, protectedKeys }: MatchOptions, result: OrgMatch) {
  // Index what this namespace owns; objects owned by a protected (invalid) resource are claimed
  // up front so nothing adopts or deletes them while their manifest is broken.
  const ownerIndex = new Map<string, { id: string }[]>();
  const indexOwner = (obj: { id: string; tags?: Tags }): void => {
    const key = ownerKeyOf(obj.tags, namespace);
    if (key === undefined) return;
    result.ownedBy.set(obj.id, key);
    push(ownerIndex, key, obj);
    if (protectedKeys.has(key)) result.claimed.add(obj.id);
  };
  const ouByParentName = new Map<string, ActualOU[]>();
  for (const ou of Object.values(actual.ous)) {
    indexOwner(ou);
    push(ouByParentName, `${ou.parentId}\u0000${ou.name}`, ou);
  }
  const accountByEmail = new Map<string, ActualAccount>();
  for (const acc of Object.values(actual.accounts)) {
    indexOwner(acc);
    accountByEmail.set(acc.email.toLowerCase(), acc);
  }
  const policyByName = new Map<string, ActualPolicy[]>();
  for (const pol of Object.values(actual.policies)) {
    indexOwner(pol);
    push(policyByName, `${pol.type || SCP_TYPE}\u0000${pol.awsManaged ? 'aws' : 'customer'}\u0000${pol.name}`, pol);
  }
  return { ownerIndex, ouByParentName, accountByEmail, policyByName };
}

type MatchHelpers = ReturnType<typeof matchHelpers>;

/** The lookups and rules every kind's matching shares (ownership conflicts, adoption opt-in, blocked parents). */
function matchHelpers(desired: DesiredOrg, actual: ActualOrg, opts: MatchOptions, result: OrgMatch) {
  const { namespace, protectedKeys } = opts;
  const block = (resource: string, reason: Blocked['reason'], message: string): void => {
    result.blocked.push({ resource, reason, message });
    result.blockedKeys.add(resource);
  };
  const desiredKeys = new Set<string>([
    ...Object.values(desired.ous).map((o) => o.key),
    ...Object.values(desired.accounts).map((a) => a.key),
    ...Object.values(desired.policies).map((p) => p.key),
  ]);

  const { ownerIndex, ouByParentName, accountByEmail, policyByName } = indexActual(actual, opts, result);
  const ownedCandidates = <T extends { id: string }>(key: string): T[] => ((ownerIndex.get(key) ?? []) as T[]).filter((o) => !result.claimed.has(o.id));

  /** Why an object may not be adopted by `key` (another owner holds it), or undefined. */
  const conflict = (tags: Tags | undefined, key: string): string | undefined => {
    const owner = tags?.[TAG_OWNER];
    if (owner === undefined || owner === `${namespace}/${key}`) return undefined;
    const other = ownerKeyOf(tags, namespace);
    if (other === undefined) return `is owned by ${owner} (another namespace)`;
    // Same namespace, different resource: adoptable only when that resource is gone (a rename of metadata.name).
    return desiredKeys.has(other) || protectedKeys.has(other) ? `is already managed by ${other}` : undefined;
  };

  /**
   * An object found only by its natural key (name, email) that carries no orgplane ownership tag is
   * taken over only when its manifest opts in (orgplane.io/adopt: "true"; spec.id matches by id
   * and is an opt-in of its own). Unknown tags (not read) count as "not ours".
   */
  const refuseAdoption = (d: { key: string; adopt?: boolean }, tags: Tags | undefined, what: string, id: string): boolean => {
    if (d.adopt || tags?.[TAG_OWNER] !== undefined) return false;
    block(
      d.key,
      'AdoptionNeedsOptIn',
      `adopt (needs opt-in): ${what} exists in AWS without orgplane's ownership tags; orgplane neither changes nor deletes it until the manifest opts in with spec.id: "${id}" or the annotation orgplane.io/adopt: "true"`,
    );
    return true;
  };

  /** The node of a resource's parent, or undefined (and the resource blocked) when the parent is. */
  const parentNodeOf = (d: { key: string; parent: string }, what: string): NodeKey | undefined => {
    if (d.parent === ROOT) return actual.root.id;
    const pm = result.ous.get(d.parent);
    if (!pm || result.blockedKeys.has(pm.desired.key)) {
      block(d.key, 'DependencyInvalid', `parent OrganizationalUnit/${d.parent} is blocked, so this ${what} is not planned`);
      return undefined;
    }
    return pm.node;
  };
  return { block, ownedCandidates, conflict, refuseAdoption, parentNodeOf, ouByParentName, accountByEmail, policyByName };
}

/** OUs, parents first (natural keys depend on the matched parent). */
function matchOUs(
  desired: DesiredOrg,
  actual: ActualOrg,
  { block, ownedCandidates, conflict, refuseAdoption, parentNodeOf, ouByParentName }: MatchHelpers,
  result: OrgMatch,
): void {
  const order = ouOrder(desired, result.warnings);
  for (const { ou: d, depth } of order) {
    const parentNode = parentNodeOf(d, 'OU');
    if (parentNode === undefined) continue;
    const candidates: { ou: ActualOU; how: MatchedBy }[] = [];
    if (d.id !== undefined) {
      const byId = actual.ous[d.id];
      if (byId && !result.claimed.has(byId.id)) candidates.push({ ou: byId, how: 'id' });
    }
    for (const ou of ownedCandidates<ActualOU>(d.key)) if (ou.id !== d.id) candidates.push({ ou, how: 'owner' });
    if (d.id !== undefined && !actual.ous[d.id]) {
      if (candidates.length === 0) {
        block(d.key, 'InvalidSpec', `spec.id ${d.id} is not an OU of this organization`);
        continue;
      }
      result.warnings.push(`${d.key}: spec.id ${d.id} no longer exists; using ${candidates[0].ou.id} found by its ownership tag (update spec.id)`);
    }
    const idConflict = candidates.find((c) => c.how === 'id' && conflict(c.ou.tags, d.key));
    if (idConflict) {
      block(d.key, 'InvalidSpec', `OU ${idConflict.ou.name} (${idConflict.ou.id}) ${conflict(idConflict.ou.tags, d.key)}; refusing to adopt it`);
      continue;
    }
    let current: ActualOU | undefined;
    let how: MatchedBy | undefined;
    const here = candidates.find((c) => c.ou.parentId === parentNode);
    if (here) ({ ou: current, how } = here);
    else if (!isNewNode(parentNode)) {
      const natural = (ouByParentName.get(`${parentNode}\u0000${d.name}`) ?? []).find((o) => !result.claimed.has(o.id));
      if (natural) {
        const why = conflict(natural.tags, d.key);
        if (why) {
          block(d.key, 'InvalidSpec', `OU ${natural.name} (${natural.id}) ${why}; refusing to adopt it or create a second OU with that name`);
          continue;
        }
        if (refuseAdoption(d, natural.tags, `OU ${natural.name} (${natural.id})`, natural.id)) continue;
        current = natural;
        how = 'name';
      }
    }
    const olds = candidates.map((c) => c.ou).filter((o) => o !== current);
    if (current) result.claimed.add(current.id);
    for (const o of olds) result.claimed.add(o.id);
    result.ous.set(d.ref, {
      desired: d,
      current,
      how,
      olds,
      parentNode,
      depth,
      node: current ? current.id : newNode(d.key),
    });
  }
}

/** Accounts: by spec.id, else by ownership tag, else by email. */
function matchAccounts(
  desired: DesiredOrg,
  actual: ActualOrg,
  { block, ownedCandidates, conflict, refuseAdoption, parentNodeOf, accountByEmail }: MatchHelpers,
  result: OrgMatch,
): void {
  // ---- Accounts ----
  for (const d of sortedValues(desired.accounts)) {
    const parentNode = parentNodeOf(d, 'account');
    if (parentNode === undefined) continue;
    let found: ActualAccount | undefined;
    let how: MatchedBy | undefined;
    if (d.id !== undefined) {
      found = actual.accounts[d.id];
      how = 'id';
      if (!found) {
        block(d.key, 'InvalidSpec', `spec.id ${d.id} is not an account of this organization`);
        continue;
      }
    } else {
      const owned = ownedCandidates<ActualAccount>(d.key)[0];
      if (owned) [found, how] = [owned, 'owner'];
      else {
        const byEmail = accountByEmail.get(d.email.toLowerCase());
        if (byEmail) [found, how] = [byEmail, 'name'];
      }
    }
    if (found && result.claimed.has(found.id) && how !== 'owner') {
      block(d.key, 'InvalidSpec', `account ${found.name} (${found.id}) is already matched by another resource`);
      continue;
    }
    const why = found ? conflict(found.tags, d.key) : undefined;
    if (found && why) {
      block(d.key, 'InvalidSpec', `account ${found.name} (${found.id}) ${why}; refusing to adopt it`);
      continue;
    }
    // The management account is never adopted by orgplane's tags: it is only ever described.
    // Ownership not read yet (tagsDeferred): decided, by reading the tags, only if the plan
    // writes to the account (engine.ts planAll); until then nothing is adopted or refused.
    if (
      found &&
      how === 'name' &&
      found.id !== actual.managementAccountId &&
      !(found.tags === undefined && found.tagsDeferred) &&
      refuseAdoption(d, found.tags, `account ${found.name} (${found.id}) <${found.email}>`, found.id)
    )
      continue;
    if (found) result.claimed.add(found.id);
    result.accounts.set(d.ref, { desired: d, actual: found, how, parentNode, node: found ? found.id : newNode(d.key) });
  }
}

/** SCPs: by spec.id, else by ownership tag, else by name (AWS managed ones by name only). */
function matchPolicies(
  desired: DesiredOrg,
  actual: ActualOrg,
  { block, ownedCandidates, conflict, refuseAdoption, policyByName }: MatchHelpers,
  result: OrgMatch,
): void {
  // ---- Policies ----
  for (const [mapKey, d] of Object.entries(desired.policies).sort(([a], [b]) => a.localeCompare(b))) {
    let found: ActualPolicy | undefined;
    let how: MatchedBy | undefined;
    if (d.id !== undefined) {
      found = actual.policies[d.id];
      how = 'id';
      // Policy ids are unique across types, but a spec.id must name a policy of this kind's type.
      if (!found || (found.type || SCP_TYPE) !== (d.policyType ?? SCP_TYPE)) {
        block(d.key, 'InvalidSpec', `spec.id ${d.id} is not a ${policyLabel(d.policyType)} of this organization (${d.policyType ?? SCP_TYPE})`);
        continue;
      }
    } else {
      const owned = d.awsManaged ? undefined : ownedCandidates<ActualPolicy>(d.key)[0];
      if (owned) [found, how] = [owned, 'owner'];
      else {
        const byName = (policyByName.get(`${d.policyType ?? SCP_TYPE}\u0000${d.awsManaged ? 'aws' : 'customer'}\u0000${d.name}`) ?? []).find(
          (p) => !result.claimed.has(p.id),
        );
        if (byName) [found, how] = [byName, 'name'];
      }
    }
    if (d.awsManaged && !found) {
      block(d.key, 'InvalidSpec', `AWS managed policy ${d.name} was not found in the organization`);
      continue;
    }
    if (found && d.awsManaged !== found.awsManaged) {
      block(d.key, 'InvalidSpec', `policy ${found.name} (${found.id}) is ${found.awsManaged ? '' : 'not '}AWS managed, but spec.awsManaged is ${d.awsManaged}`);
      continue;
    }
    if (found && result.claimed.has(found.id) && how !== 'owner') {
      block(d.key, 'InvalidSpec', `policy ${found.name} (${found.id}) is already matched by another resource`);
      continue;
    }
    const why = found && !found.awsManaged ? conflict(found.tags, d.key) : undefined;
    if (found && why) {
      block(d.key, 'InvalidSpec', `policy ${found.name} (${found.id}) ${why}; refusing to adopt it`);
      continue;
    }
    // AWS managed policies (FullAWSAccess) cannot carry tags: only their attachments are managed.
    if (found && how === 'name' && !found.awsManaged && refuseAdoption(d, found.tags, `${policyLabel(d.policyType)} ${found.name} (${found.id})`, found.id))
      continue;
    if (found) result.claimed.add(found.id);
    result.policies.set(mapKey, { desired: d, actual: found, how, node: found ? found.id : newNode(d.key) });
  }
}

/** Desired OUs parent-first (by depth, then name) so each OU's parent is matched before it. */
function ouOrder(desired: DesiredOrg, warnings: string[]): { ou: DesiredOU; depth: number }[] {
  const children = new Map<string, DesiredOU[]>();
  for (const ou of sortedValues(desired.ous)) push(children, ou.parent, ou);
  const out: { ou: DesiredOU; depth: number }[] = [];
  let level: DesiredOU[] = children.get(ROOT) ?? [];
  let depth = 1;
  const seen = new Set<string>();
  while (level.length > 0) {
    const next: DesiredOU[] = [];
    for (const ou of level) {
      if (seen.has(ou.ref)) continue;
      seen.add(ou.ref);
      out.push({ ou, depth });
      next.push(...(children.get(ou.ref) ?? []));
    }
    level = next;
    depth++;
  }
  for (const ou of Object.values(desired.ous)) {
    if (!seen.has(ou.ref)) warnings.push(`${ou.key}: parent ${ou.parent} is not reachable from root; OU not planned`);
  }
  return out;
}

export function sortedValues<T>(rec: Record<string, T>): T[] {
  return Object.keys(rec)
    .sort()
    .map((k) => rec[k]);
}

/**
 * metadata.name -> AWS id for every desired OU, account and policy that exists at its desired
 * place (OUs being recreated and objects being created are absent), for status and {ref} seeding.
 */
export function matchedIds(
  desired: DesiredOrg,
  actual: ActualOrg,
  namespace: string,
  protectedKeys: Set<string> = new Set(),
): {
  ous: Record<string, string>;
  accounts: Record<string, string>;
  policies: Record<string, string>;
} {
  const m = matchOrg(desired, actual, { namespace, protectedKeys });
  const ids = <T extends { node: NodeKey }>(map: Map<string, T>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, x] of map) if (!isNewNode(x.node)) out[name] = x.node;
    return out;
  };
  return { ous: ids(m.ous), accounts: ids(m.accounts), policies: ids(m.policies) };
}
