// `orgplane import`: turns a live organization into manifests that describe it exactly, so a team
// can adopt orgplane without recreating anything. Every object is adopted by AWS id, and the
// output re-plans to zero changes. The management account is left out: orgplane never manages
// it. FullAWSAccess is recorded by its attachments only (awsManaged), see fullAccessResource.
import { kindOfPolicyType, type PolicyKindName } from './policy-types.js';
import { API_VERSION, type AnyResource, type ObjectMeta, type Resource } from '../api/schemas.js';
import type { ActualOrg, ActualOU, ActualPolicy, Tags } from './actual.js';
import { RESERVED_TAG_PREFIX, TAG_OWNER } from './ownership.js';
import { FULL_AWS_ACCESS_NAME } from './validate.js';

/** DNS-1123 label from an AWS name: "Security PROD" -> "security-prod". */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return s || 'x';
}

/**
 * The metadata.name an earlier orgplane run recorded in the object's owner tag
 * ("<namespace>/<Kind>/<name>"), so re-importing a managed org keeps its names and ownership.
 */
function ownedName(tags: Tags | undefined, kind: string): string | undefined {
  const parts = tags?.[TAG_OWNER]?.split('/');
  return parts && parts.length === 3 && parts[1] === kind ? parts[2] : undefined;
}

/** Gives every object a unique metadata.name per kind, deterministic for a given org. */
class NameAllocator {
  private used = new Set<string>();
  take(preferred: string, fallback: string): string {
    for (const candidate of [preferred, `${preferred}-${fallback}`]) {
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return candidate;
      }
    }
    let i = 2;
    while (this.used.has(`${preferred}-${i}`)) i++;
    this.used.add(`${preferred}-${i}`);
    return `${preferred}-${i}`;
  }
}

const userTags = (tags: Tags | undefined): Tags | undefined => {
  if (!tags) return undefined;
  const out = Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(RESERVED_TAG_PREFIX)));
  return Object.keys(out).length ? out : undefined;
};

const byName = <T extends { name: string; id: string }>(a: T, b: T) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/** Parents before children, siblings by name: the order a person reads the tree in. */
function ousTopDown(actual: ActualOrg): ActualOU[] {
  const children = new Map<string, ActualOU[]>();
  for (const ou of Object.values(actual.ous)) {
    const list = children.get(ou.parentId) ?? [];
    list.push(ou);
    children.set(ou.parentId, list);
  }
  const out: ActualOU[] = [];
  const walk = (parentId: string) => {
    for (const ou of (children.get(parentId) ?? []).sort(byName)) {
      out.push(ou);
      walk(ou.id);
    }
  };
  walk(actual.root.id);
  return out;
}

/**
 * FullAWSAccess as a manifest that records where it is attached and, just as much, where it is
 * not. In an allow-list organization FullAWSAccess is detached from some OUs or accounts; with
 * exclusiveTargets a re-plan then catches it re-attached there out of band (which silently lifts
 * the allow-list). Where it is attached everywhere its targets stay a minimum, as AWS attaches it
 * to every new OU and account. Absent or unread targets: nothing to record.
 */
function fullAccessResource(actual: ActualOrg, refs: Map<string, string>): Resource<'ServiceControlPolicy'> | undefined {
  const p = Object.values(actual.policies).find((x) => x.awsManaged && x.name === FULL_AWS_ACCESS_NAME);
  if (!p?.targets) return undefined;
  const attached = new Set(p.targets);
  const targets: { root?: boolean; organizationalUnits?: string[]; accounts?: string[] } = {};
  if (attached.has(actual.root.id)) targets.root = true;
  for (const id of [...attached].sort()) {
    if (actual.ous[id] && refs.has(id)) (targets.organizationalUnits ??= []).push(refs.get(id)!);
    else if (actual.accounts[id] && refs.has(id)) (targets.accounts ??= []).push(refs.get(id)!);
  }
  // The management account is never a target; anything else the manifests cannot name (a closed
  // account) would be detached by an exclusive list, so then the list is only a minimum.
  const unnamed = [...attached].some((id) => id !== actual.root.id && id !== actual.managementAccountId && !refs.has(id));
  const absent = [actual.root.id, ...refs.keys()].some((id) => !attached.has(id));
  return {
    apiVersion: API_VERSION,
    kind: 'ServiceControlPolicy',
    metadata: { name: '' },
    spec: { name: p.name, id: p.id, awsManaged: true, exclusiveTargets: absent && !unnamed, targets },
  };
}

/** One customer policy of any type as its manifest, adopted by id. */
function policyResource(p: ActualPolicy, kind: PolicyKindName, metadata: ObjectMeta, actual: ActualOrg, refs: Map<string, string>): AnyResource {
  let document: unknown = p.content;
  try {
    document = JSON.parse(p.content);
  } catch {
    /* keep the text: validation will say what is wrong */
  }
  const targets: { root?: boolean; organizationalUnits?: string[]; accounts?: string[] } = {};
  for (const t of [...(p.targets ?? [])].sort()) {
    const ref = refs.get(t);
    if (t === actual.root.id) targets.root = true;
    else if (actual.ous[t] && ref !== undefined) (targets.organizationalUnits ??= []).push(ref);
    else if (actual.accounts[t] && ref !== undefined) (targets.accounts ??= []).push(ref);
  }
  const tags = userTags(p.tags);
  const spec = { name: p.name, id: p.id, document, targets, ...(p.description ? { description: p.description } : {}), ...(tags ? { tags } : {}) };
  if (kind === 'ManagementPolicy') {
    return { apiVersion: API_VERSION, kind, metadata, spec: { type: p.type as Resource<'ManagementPolicy'>['spec']['type'], ...spec } };
  }
  return kind === 'ResourceControlPolicy' ? { apiVersion: API_VERSION, kind, metadata, spec } : { apiVersion: API_VERSION, kind, metadata, spec };
}

export function importOrganization(actual: ActualOrg, opts: { namespace?: string; orgName?: string } = {}): AnyResource[] {
  const meta = (name: string) => (opts.namespace ? { name, namespace: opts.namespace } : { name });
  const refs = new Map<string, string>([[actual.root.id, 'root']]);
  const out: AnyResource[] = [];

  const ouNames = new NameAllocator();
  ouNames.take('root', 'root');
  for (const ou of ousTopDown(actual)) {
    const parentRef = refs.get(ou.parentId) ?? 'root';
    const name = ouNames.take(ownedName(ou.tags, 'OrganizationalUnit') ?? slug(ou.name), parentRef === 'root' ? ou.id.slice(-6) : parentRef);
    refs.set(ou.id, name);
    const r: Resource<'OrganizationalUnit'> = {
      apiVersion: API_VERSION,
      kind: 'OrganizationalUnit',
      metadata: meta(name),
      spec: { name: ou.name, parent: parentRef, id: ou.id },
    };
    const tags = userTags(ou.tags);
    if (tags) r.spec.tags = tags;
    out.push(r);
  }

  const accountNames = new NameAllocator();
  const accounts = Object.values(actual.accounts)
    .filter((a) => a.id !== actual.managementAccountId && a.state !== 'SUSPENDED' && a.state !== 'PENDING_CLOSURE')
    .sort(byName);
  for (const a of accounts) {
    const name = accountNames.take(ownedName(a.tags, 'Account') ?? slug(a.name), a.id);
    refs.set(a.id, name);
    const r: Resource<'Account'> = {
      apiVersion: API_VERSION,
      kind: 'Account',
      metadata: meta(name),
      spec: { name: a.name, email: a.email, parent: refs.get(a.parentId) ?? 'root', id: a.id },
    };
    const tags = userTags(a.tags);
    if (tags) r.spec.tags = tags;
    out.push(r);
  }

  // One name space per kind (metadata.name is unique per kind); SCPs keep theirs for FullAWSAccess below.
  const namesByKind = new Map<PolicyKindName, NameAllocator>();
  const allocator = (kind: PolicyKindName): NameAllocator => {
    const n = namesByKind.get(kind) ?? new NameAllocator();
    namesByKind.set(kind, n);
    return n;
  };
  // AWS managed policies other than FullAWSAccess (RCPFullAWSAccess) are attached by AWS everywhere
  // and cannot be detached: nothing to record.
  for (const p of Object.values(actual.policies)
    .filter((p) => !p.awsManaged)
    .sort(byName)) {
    const kind = kindOfPolicyType(p.type);
    const name = allocator(kind).take(ownedName(p.tags, kind) ?? slug(p.name), p.id.slice(-6));
    out.push(policyResource(p, kind, meta(name), actual, refs));
  }
  const policyNames = allocator('ServiceControlPolicy');

  const full = fullAccessResource(actual, refs);
  if (full) out.push({ ...full, metadata: meta(policyNames.take(slug(full.spec.name ?? FULL_AWS_ACCESS_NAME), 'aws')) });

  const org: Resource<'Organization'> = {
    apiVersion: API_VERSION,
    kind: 'Organization',
    metadata: meta(opts.orgName ?? 'organization'),
    spec: {
      featureSet: actual.featureSet === 'CONSOLIDATED_BILLING' ? 'CONSOLIDATED_BILLING' : 'ALL',
      enabledPolicyTypes: [...actual.root.enabledPolicyTypes].sort() as NonNullable<Resource<'Organization'>['spec']['enabledPolicyTypes']>,
      trustedServices: [...actual.trustedServices].sort(),
      delegatedAdministrators: actual.delegatedAdmins
        .filter((d) => refs.has(d.accountId))
        .map((d) => ({ account: refs.get(d.accountId)!, servicePrincipal: d.servicePrincipal }))
        .sort((a, b) => a.account.localeCompare(b.account) || a.servicePrincipal.localeCompare(b.servicePrincipal)),
    },
  };
  return [org, ...out];
}
