// One snapshot of the organization with as few calls as the API allows: list calls per parent
// and per policy (every one paginated), never a describe per account. Call count grows with the
// number of OUs and policies, and only by one page per 20 accounts under a parent.
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListDelegatedServicesForAccountCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  type Account,
  type OrganizationalUnit,
  type PolicySummary,
  type Root,
  type Tag,
} from '@aws-sdk/client-organizations';
import type { AwsClients } from './clients.js';
import type { ActualAccount, ActualOrg, ActualOU, ActualPolicy, DelegatedAdmin, Tags } from '../model/actual.js';

export const SCP_TYPE = 'SERVICE_CONTROL_POLICY';
/** Largest page the Organizations list calls accept. */
const PAGE = 20;
/** Organizations calls in flight at once during a read (the rate limiter paces them further). */
const READ_CONCURRENCY = 4;

export interface ReadOrgOptions {
  /** 'customer': skip ListTargetsForPolicy for AWS-managed policies (FullAWSAccess, RCPFullAWSAccess are everywhere). */
  policyTargets?: 'all' | 'customer';
  concurrency?: number;
}

/** Maps items with at most `limit` calls of fn running at once; keeps input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** Follows NextToken until the last page. Guards against a token that repeats (would loop). */
export async function paginate<T>(page: (token: string | undefined) => Promise<{ items: T[] | undefined; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const r = await page(token);
    all.push(...(r.items ?? []));
    token = r.next || undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new Error(`pagination token repeated: ${token}`);
      seen.add(token);
    }
  } while (token !== undefined);
  return all;
}

export const tagsFromList = (tags: Tag[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? '']));

export async function listTags(clients: AwsClients, resourceId: string): Promise<Tags> {
  const cached = clients.tagCache?.get(resourceId);
  if (cached) return cached;
  const tags = tagsFromList(
    await paginate<Tag>(async (NextToken) => {
      const r = await clients.organizations.send(new ListTagsForResourceCommand({ ResourceId: resourceId, NextToken }));
      return { items: r.Tags, next: r.NextToken };
    }),
  );
  clients.tagCache?.set(resourceId, tags);
  return tags;
}

export function listOUsForParent(clients: AwsClients, parentId: string): Promise<OrganizationalUnit[]> {
  return paginate(async (NextToken) => {
    const r = await clients.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, NextToken, MaxResults: PAGE }));
    return { items: r.OrganizationalUnits, next: r.NextToken };
  });
}

export function listAccountsForParent(clients: AwsClients, parentId: string): Promise<Account[]> {
  return paginate(async (NextToken) => {
    const r = await clients.organizations.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken, MaxResults: PAGE }));
    return { items: r.Accounts, next: r.NextToken };
  });
}

export function listPolicies(clients: AwsClients, type = SCP_TYPE): Promise<PolicySummary[]> {
  return paginate(async (NextToken) => {
    const r = await clients.organizations.send(new ListPoliciesCommand({ Filter: type as never, NextToken, MaxResults: PAGE }));
    return { items: r.Policies, next: r.NextToken };
  });
}

function toAccount(a: Account, parentId: string): ActualAccount {
  return {
    id: a.Id ?? '',
    arn: a.Arn ?? '',
    name: a.Name ?? '',
    email: a.Email ?? '',
    // State replaces the deprecated Status; older responses only have Status.
    state: a.State ?? a.Status ?? 'UNKNOWN',
    parentId,
    ...(a.JoinedMethod ? { joinedMethod: a.JoinedMethod } : {}),
  };
}

async function readPolicy(clients: AwsClients, summary: PolicySummary, opts: ReadOrgOptions): Promise<ActualPolicy> {
  const id = summary.Id ?? '';
  const awsManaged = summary.AwsManaged === true;
  const readTargets = !(awsManaged && opts.policyTargets === 'customer');
  const [described, targets, tags] = await Promise.all([
    clients.organizations.send(new DescribePolicyCommand({ PolicyId: id })),
    readTargets
      ? paginate(async (NextToken) => {
          const r = await clients.organizations.send(new ListTargetsForPolicyCommand({ PolicyId: id, NextToken, MaxResults: PAGE }));
          return { items: r.Targets?.map((t) => t.TargetId ?? ''), next: r.NextToken };
        })
      : Promise.resolve(undefined),
    awsManaged ? Promise.resolve(undefined) : listTags(clients, id),
  ]);
  const p = described.Policy;
  return {
    id,
    arn: summary.Arn ?? p?.PolicySummary?.Arn ?? '',
    name: summary.Name ?? '',
    description: summary.Description ?? '',
    type: summary.Type ?? SCP_TYPE,
    awsManaged,
    content: p?.Content ?? '',
    ...(targets ? { targets: targets.filter(Boolean).sort() } : {}),
    ...(tags ? { tags } : {}),
  };
}

async function readDelegatedAdmins(clients: AwsClients, concurrency: number): Promise<DelegatedAdmin[]> {
  const admins = await paginate(async (NextToken) => {
    const r = await clients.organizations.send(new ListDelegatedAdministratorsCommand({ NextToken }));
    return { items: r.DelegatedAdministrators, next: r.NextToken };
  });
  const perAdmin = await mapLimit(admins, concurrency, async (a) => {
    const services = await paginate(async (NextToken) => {
      const r = await clients.organizations.send(new ListDelegatedServicesForAccountCommand({ AccountId: a.Id, NextToken }));
      return { items: r.DelegatedServices, next: r.NextToken };
    });
    return services.map((s): DelegatedAdmin => ({ accountId: a.Id ?? '', servicePrincipal: s.ServicePrincipal ?? '' }));
  });
  return perAdmin.flat().sort((x, y) => x.accountId.localeCompare(y.accountId) || x.servicePrincipal.localeCompare(y.servicePrincipal));
}

/** Policy types with status ENABLED or PENDING_* on the root, sorted. */
function enabledTypes(root: Root): string[] {
  return (root.PolicyTypes ?? [])
    .filter((t) => t.Status === 'ENABLED' || t.Status?.startsWith('PENDING_'))
    .map((t) => t.Type ?? '')
    .sort();
}

/** Reads the whole organization (Organizations part of ActualOrg; `access` is read elsewhere). */
export async function readOrganization(clients: AwsClients, opts: ReadOrgOptions = {}): Promise<ActualOrg> {
  const concurrency = opts.concurrency ?? READ_CONCURRENCY;
  const org = clients.organizations;
  const [described, roots, policySummaries, trusted, delegatedAdmins] = await Promise.all([
    org.send(new DescribeOrganizationCommand({})),
    paginate<Root>(async (NextToken) => {
      const r = await org.send(new ListRootsCommand({ NextToken }));
      return { items: r.Roots, next: r.NextToken };
    }),
    listPolicies(clients),
    paginate(async (NextToken) => {
      const r = await org.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken }));
      return { items: r.EnabledServicePrincipals, next: r.NextToken };
    }),
    readDelegatedAdmins(clients, concurrency),
  ]);
  const o = described.Organization;
  const root = roots[0];
  if (!o || !root?.Id) throw new Error('DescribeOrganization/ListRoots returned no organization or root');
  // The other policy types: one ListPolicies per type enabled on the root, none for the rest
  // (listing a disabled type costs a call and finds nothing orgplane may manage).
  const otherTypes = enabledTypes(root).filter((t) => t !== SCP_TYPE);
  policySummaries.push(...(await mapLimit(otherTypes, concurrency, (t) => listPolicies(clients, t))).flat());

  // Breadth-first: one level of parents at a time, each parent's OUs and accounts in parallel.
  const ous: Record<string, ActualOU> = {};
  const accounts: Record<string, ActualAccount> = {};
  let level = [root.Id];
  while (level.length > 0) {
    const found = await mapLimit(level, concurrency, async (parentId) => {
      const [children, accs] = await Promise.all([listOUsForParent(clients, parentId), listAccountsForParent(clients, parentId)]);
      for (const a of accs) if (a.Id) accounts[a.Id] = toAccount(a, parentId);
      return children.map((c): ActualOU => ({ id: c.Id ?? '', arn: c.Arn ?? '', name: c.Name ?? '', parentId }));
    });
    const next: string[] = [];
    for (const ou of found.flat()) {
      if (!ou.id || ous[ou.id]) continue; // a cycle cannot happen in AWS; guard anyway
      ous[ou.id] = ou;
      next.push(ou.id);
    }
    level = next;
  }

  // OU tags carry orgplane's ownership marks, so they are always read (one call per OU).
  const ouList = Object.values(ous);
  const ouTags = await mapLimit(ouList, concurrency, (ou) => listTags(clients, ou.id));
  ouList.forEach((ou, i) => {
    ou.tags = ouTags[i];
  });

  const policyList = await mapLimit(policySummaries, concurrency, (s) => readPolicy(clients, s, opts));
  const policies: Record<string, ActualPolicy> = {};
  // One consistent snapshot: a target that is no longer in the tree (an OU deleted a moment ago,
  // which AWS may still list for a while — and moto forever) is not an attachment to plan with.
  const inTree = (t: string) => t === root.Id || ous[t] !== undefined || accounts[t] !== undefined;
  for (const p of policyList) {
    if (p.targets) p.targets = p.targets.filter(inTree);
    policies[p.id] = p;
  }

  return {
    id: o.Id ?? '',
    arn: o.Arn ?? '',
    featureSet: o.FeatureSet ?? '',
    managementAccountId: o.MasterAccountId ?? '',
    managementAccountEmail: o.MasterAccountEmail ?? '',
    root: {
      id: root.Id,
      arn: root.Arn ?? '',
      name: root.Name ?? 'Root',
      // PENDING_* counts as enabled (model/actual.ts): the planner must not flip it mid-change.
      enabledPolicyTypes: enabledTypes(root),
    },
    ous,
    accounts,
    policies,
    trustedServices: trusted
      .map((s) => s.ServicePrincipal ?? '')
      .filter(Boolean)
      .sort(),
    delegatedAdmins,
    readAt: new Date().toISOString(),
  };
}

/** Tags of chosen resources (accounts, usually), with bounded concurrency: one call per id. */
export async function readTags(clients: AwsClients, ids: readonly string[], concurrency = READ_CONCURRENCY): Promise<Record<string, Tags>> {
  const unique = [...new Set(ids)];
  const tags = await mapLimit(unique, concurrency, (id) => listTags(clients, id));
  return Object.fromEntries(unique.map((id, i) => [id, tags[i]]));
}
