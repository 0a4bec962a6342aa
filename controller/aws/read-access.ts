// Reads the Identity Center and IAM state orgplane's access resources need: permission sets
// (only the ones orgplane manages or the manifests name), where they are provisioned and
// assigned, the Identity Store principals the manifests name, and the cross-account roles in
// their target accounts. A failing account is recorded, never fatal for the whole read.
import {
  ListInstancesCommand,
  ListPermissionSetsCommand,
  DescribePermissionSetCommand,
  ListTagsForResourceCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListAccountAssignmentsForPrincipalCommand,
  type ProvisioningStatus,
} from '@aws-sdk/client-sso-admin';
import { GetGroupIdCommand, GetUserIdCommand } from '@aws-sdk/client-identitystore';
import { GetRoleCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, GetRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { AwsClients } from './clients.js';
import { mapLimit, paginate } from './read-org.js';
import type { ActualAccess, ActualOrg, ActualPermissionSet, ActualRole, Tags } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import { expandTargets, DEFAULT_ACCESS_ROLE } from '../model/expand.js';
import { TAG_MANAGED_BY, TAG_OWNER, MANAGED_BY_VALUE } from '../model/ownership.js';
import { normalizeDuration } from '../plan/access.js';

export interface ReadAccessOptions {
  /**
   * Roles orgplane put in place earlier (from CrossAccountRole status, or resources being
   * deleted): read them too, so that accounts that left a role's targets can be cleaned up.
   */
  knownRoles?: { key: string; roleName: string; accounts: { accountId: string; accessRoleName?: string }[] }[];
  /** AWS names of permission sets whose manifests are gone (being deleted): read them in full too. */
  removedPermissionSets?: string[];
  /** Parallel calls in flight (the rate limiter in clients keeps SSO Admin near 20 TPS). */
  concurrency?: number;
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}
const errOf = (e: unknown): AwsErrorShape => (typeof e === 'object' && e !== null ? (e as AwsErrorShape) : {});

/**
 * An endpoint that does not implement an operation (moto answers an HTML 500 page, which the SDK
 * fails to parse as JSON). Real AWS never answers this way, so it is safe to treat as "unsupported".
 */
export function isNotImplemented(e: unknown): boolean {
  const x = errOf(e);
  return x.$metadata?.httpStatusCode === 500 && (x.name === 'SyntaxError' || /Deserialization error|not been implemented/i.test(x.message ?? ''));
}

// Operations an endpoint turned out not to implement, per clients object: asked once per process,
// concurrent first callers wait for the first answer instead of each paying the retries.
const gates = new WeakMap<object, Map<string, Promise<boolean>>>();

/** Runs an optional call; `undefined` when the endpoint does not implement the operation. */
export async function optionalCall<T>(clients: object, op: string, call: () => Promise<T>): Promise<{ value: T } | undefined> {
  let m = gates.get(clients);
  if (!m) {
    m = new Map();
    gates.set(clients, m);
  }
  const gate = m.get(op);
  if (gate) return (await gate) ? { value: await call() } : undefined;
  let settle!: (supported: boolean) => void;
  m.set(
    op,
    new Promise<boolean>((r) => {
      settle = r;
    }),
  );
  try {
    const value = await call();
    settle(true);
    return { value };
  } catch (e) {
    if (isNotImplemented(e)) {
      settle(false);
      return undefined;
    }
    settle(true);
    throw e;
  }
}

export const isNotFound = (e: unknown): boolean => ['ResourceNotFoundException', 'NoSuchEntity', 'NoSuchEntityException'].includes(errOf(e).name ?? '');

export const errorText = (e: unknown): string => {
  const x = errOf(e);
  return `${x.name ?? 'Error'}: ${x.message ?? String(e)}`;
};

export async function readAccess(clients: AwsClients, desired: DesiredOrg, actual: ActualOrg, opts: ReadAccessOptions = {}): Promise<ActualAccess> {
  const limit = opts.concurrency ?? 8;
  const access: ActualAccess = {
    permissionSets: {},
    principals: {},
    missingPrincipals: [],
    unmanagedPermissionSets: [],
    unsupported: [],
    roles: {},
    roleReadErrors: {},
  };
  const unsupported = (op: string) => {
    if (!access.unsupported!.includes(op)) access.unsupported!.push(op);
  };

  const wantsIdentityCenter =
    Object.keys(desired.permissionSets).length > 0 || !!desired.organization?.identityCenter || (opts.removedPermissionSets?.length ?? 0) > 0;
  if (wantsIdentityCenter) await readIdentityCenter(clients, desired, actual, access, limit, unsupported, new Set(opts.removedPermissionSets ?? []));
  if (Object.keys(desired.roles).length > 0 || (opts.knownRoles?.length ?? 0) > 0) {
    await readRoles(clients, desired, actual, access, opts, limit);
  }
  return access;
}

async function readIdentityCenter(
  clients: AwsClients,
  desired: DesiredOrg,
  actual: ActualOrg,
  access: ActualAccess,
  limit: number,
  unsupported: (op: string) => void,
  removed: Set<string>,
): Promise<void> {
  const sso = clients.ssoAdmin;
  const ic = desired.organization?.identityCenter;
  const instances = await paginate(async (t) => {
    const r = await sso.send(new ListInstancesCommand({ NextToken: t }));
    return { items: r.Instances ?? [], next: r.NextToken };
  });
  const instance = ic?.instanceArn ? (instances.find((i) => i.InstanceArn === ic.instanceArn) ?? { InstanceArn: ic.instanceArn }) : instances[0];
  if (!instance?.InstanceArn) return;
  const instanceArn = instance.InstanceArn;
  access.instanceArn = instanceArn;
  access.identityStoreId = ic?.identityStoreId ?? instance.IdentityStoreId;

  await resolvePrincipals(clients, desired, access, limit);

  // Which permission sets to read in full: the ones the manifests name and the ones tagged as ours.
  const desiredByAwsName = new Map(Object.values(desired.permissionSets).map((p) => [p.name, p]));
  const arns = await paginate(async (t) => {
    const r = await sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, NextToken: t }));
    return { items: r.PermissionSets ?? [], next: r.NextToken };
  });
  const described = await mapLimit(arns, limit, async (arn) => {
    const d = await sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }));
    const tags = await optionalCall(clients, 'SSOAdmin:ListTagsForResource', () => readPermissionSetTags(clients, instanceArn, arn));
    if (!tags) unsupported('SSOAdmin:ListTagsForResource');
    return { arn, ps: d.PermissionSet ?? {}, tags: tags?.value };
  });

  // Accounts whose assignments matter: every desired target, plus wherever our principals hold
  // assignments (covers accounts that left a target, even where provisioning is not reported).
  const expansion = new Map<string, Set<string>>();
  for (const p of Object.values(desired.permissionSets)) {
    const ids = new Set<string>();
    for (const a of p.assignments) {
      for (const t of expandTargets(a.accounts, a.organizationalUnits, a.includeDescendants, desired, actual)) {
        if (t.accountId) ids.add(t.accountId);
      }
    }
    expansion.set(p.name, ids);
  }
  const principalAssignments = await readPrincipalAssignments(clients, instanceArn, access, limit);

  const managedPrefix = `${desired.namespace}/PermissionSet/`;
  const selected = described.filter(({ ps, tags }) => {
    const name = ps.Name ?? '';
    const ours = tags?.[TAG_MANAGED_BY] === MANAGED_BY_VALUE && (tags[TAG_OWNER] ?? '').startsWith(managedPrefix);
    const wanted = desiredByAwsName.has(name) || ours || removed.has(name);
    if (!wanted) access.unmanagedPermissionSets!.push(name);
    return wanted;
  });

  await mapLimit(selected, limit, async ({ arn, ps, tags }) => {
    const name = ps.Name ?? '';
    const full = await readPermissionSet(clients, instanceArn, arn, unsupported);
    const accounts = new Set<string>([...(expansion.get(name) ?? []), ...full.provisionedAccounts, ...full.outdatedAccounts]);
    for (const pa of principalAssignments) if (pa.PermissionSetArn === arn && pa.AccountId) accounts.add(pa.AccountId);
    // A set being deleted must lose every assignment first; deletions are rare, so look everywhere
    // (an endpoint may not report provisioning, and no manifest says where its principals are).
    if (removed.has(name) && !desiredByAwsName.has(name)) {
      for (const acc of Object.values(actual.accounts)) if (acc.state === 'ACTIVE') accounts.add(acc.id);
    }
    const assignments: Record<string, string[]> = {};
    await mapLimit([...accounts].sort(), limit, async (accountId) => {
      const rows = await paginate(async (t) => {
        const r = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: accountId, PermissionSetArn: arn, NextToken: t }));
        return { items: r.AccountAssignments ?? [], next: r.NextToken };
      });
      // A set: duplicates (which moto allows) collapse into one key.
      assignments[accountId] = [...new Set(rows.map((r) => `${r.PrincipalType}:${r.PrincipalId}`))].sort();
    });
    access.permissionSets[name] = {
      arn,
      name,
      description: ps.Description ?? '',
      sessionDuration: normalizeDuration(ps.SessionDuration as string | number | undefined),
      relayState: ps.RelayState ?? '',
      ...full,
      tags,
      assignments,
    };
  });
  access.unmanagedPermissionSets!.sort();
}

async function readPermissionSetTags(clients: AwsClients, instanceArn: string, arn: string): Promise<Tags> {
  const rows = await paginate(async (t) => {
    const r = await clients.ssoAdmin.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, NextToken: t }));
    return { items: r.Tags ?? [], next: r.NextToken };
  });
  return Object.fromEntries(rows.map((t) => [t.Key ?? '', t.Value ?? '']));
}

type PermissionSetDetail = Pick<
  ActualPermissionSet,
  'managedPolicies' | 'customerManagedPolicies' | 'inlinePolicy' | 'permissionsBoundary' | 'provisionedAccounts' | 'outdatedAccounts'
>;

async function readPermissionSet(clients: AwsClients, instanceArn: string, arn: string, unsupported: (op: string) => void): Promise<PermissionSetDetail> {
  const sso = clients.ssoAdmin;
  const base = { InstanceArn: instanceArn, PermissionSetArn: arn };
  const [managed, customer, inline, boundary, latest, outdated] = await Promise.all([
    paginate(async (t) => {
      const r = await sso.send(new ListManagedPoliciesInPermissionSetCommand({ ...base, NextToken: t }));
      return { items: r.AttachedManagedPolicies ?? [], next: r.NextToken };
    }),
    paginate(async (t) => {
      const r = await sso.send(new ListCustomerManagedPolicyReferencesInPermissionSetCommand({ ...base, NextToken: t }));
      return { items: r.CustomerManagedPolicyReferences ?? [], next: r.NextToken };
    }),
    sso.send(new GetInlinePolicyForPermissionSetCommand(base)).then((r) => r.InlinePolicy ?? ''),
    optionalCall(clients, 'SSOAdmin:GetPermissionsBoundaryForPermissionSet', () =>
      sso.send(new GetPermissionsBoundaryForPermissionSetCommand(base)).then(
        (r) => r.PermissionsBoundary,
        (e: unknown) => {
          if (isNotFound(e)) return undefined;
          throw e;
        },
      ),
    ).then((r) => {
      if (!r) unsupported('SSOAdmin:GetPermissionsBoundaryForPermissionSet');
      return r?.value;
    }),
    provisionedAccounts(clients, base, 'LATEST_PERMISSION_SET_PROVISIONED'),
    provisionedAccounts(clients, base, 'LATEST_PERMISSION_SET_NOT_PROVISIONED'),
  ]);
  // AWS answers the two filters with disjoint sets. An account in both means the endpoint ignored
  // the filter (moto does): then nothing is known to be outdated, and nothing is re-provisioned.
  const latestSet = new Set(latest);
  const outdatedAccounts = outdated.filter((a) => !latestSet.has(a)).sort();
  return {
    managedPolicies: managed
      .map((m) => m.Arn ?? '')
      .filter(Boolean)
      .sort(),
    customerManagedPolicies: customer.map((c) => ({ name: c.Name ?? '', path: c.Path ?? '/' })),
    inlinePolicy: inline,
    permissionsBoundary: boundary
      ? {
          managedPolicyArn: boundary.ManagedPolicyArn,
          customerManagedPolicy: boundary.CustomerManagedPolicyReference
            ? { name: boundary.CustomerManagedPolicyReference.Name ?? '', path: boundary.CustomerManagedPolicyReference.Path ?? '/' }
            : undefined,
        }
      : undefined,
    provisionedAccounts: [...new Set([...latest, ...outdated])].sort(),
    outdatedAccounts,
  };
}

async function provisionedAccounts(
  clients: AwsClients,
  base: { InstanceArn: string; PermissionSetArn: string },
  status: ProvisioningStatus,
): Promise<string[]> {
  return paginate(async (t) => {
    const r = await clients.ssoAdmin.send(new ListAccountsForProvisionedPermissionSetCommand({ ...base, ProvisioningStatus: status, NextToken: t }));
    return { items: r.AccountIds ?? [], next: r.NextToken };
  });
}

/** Group display names and user names the manifests use, resolved to Identity Store ids. */
async function resolvePrincipals(clients: AwsClients, desired: DesiredOrg, access: ActualAccess, limit: number): Promise<void> {
  const storeId = access.identityStoreId;
  if (!storeId) return;
  const keys = new Set<string>();
  for (const p of Object.values(desired.permissionSets)) {
    for (const a of p.assignments) if (a.principal.name && !a.principal.id) keys.add(`${a.principal.type}:${a.principal.name}`);
  }
  await mapLimit([...keys].sort(), limit, async (key) => {
    const [type, ...rest] = key.split(':');
    const value = rest.join(':');
    try {
      if (type === 'GROUP') {
        const r = await clients.identityStore.send(
          new GetGroupIdCommand({
            IdentityStoreId: storeId,
            AlternateIdentifier: { UniqueAttribute: { AttributePath: 'DisplayName', AttributeValue: value } },
          }),
        );
        if (r.GroupId) access.principals[key] = r.GroupId;
      } else {
        const r = await clients.identityStore.send(
          new GetUserIdCommand({
            IdentityStoreId: storeId,
            AlternateIdentifier: { UniqueAttribute: { AttributePath: 'UserName', AttributeValue: value } },
          }),
        );
        if (r.UserId) access.principals[key] = r.UserId;
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!access.principals[key]) access.missingPrincipals!.push(key);
  });
  access.missingPrincipals!.sort();
}

/** Every assignment our resolved principals hold, in one paginated call per principal. */
async function readPrincipalAssignments(
  clients: AwsClients,
  instanceArn: string,
  access: ActualAccess,
  limit: number,
): Promise<{ AccountId?: string; PermissionSetArn?: string }[]> {
  const entries = Object.entries(access.principals);
  const lists = await mapLimit(entries, limit, async ([key, id]) => {
    const type = key.startsWith('GROUP:') ? 'GROUP' : 'USER';
    return paginate(async (t) => {
      const r = await clients.ssoAdmin.send(
        new ListAccountAssignmentsForPrincipalCommand({
          InstanceArn: instanceArn,
          PrincipalId: id,
          PrincipalType: type,
          NextToken: t,
        }),
      );
      return { items: r.AccountAssignments ?? [], next: r.NextToken };
    });
  });
  return lists.flat();
}

// ---- cross-account roles -----------------------------------------------------------------------

async function readRoles(
  clients: AwsClients,
  desired: DesiredOrg,
  actual: ActualOrg,
  access: ActualAccess,
  opts: ReadAccessOptions,
  limit: number,
): Promise<void> {
  // accountId -> {accessRoleName, role names to read}
  const byAccount = new Map<string, { accessRoleName: string; roleNames: Set<string> }>();
  const want = (accountId: string, accessRoleName: string, roleName: string) => {
    const e = byAccount.get(accountId) ?? { accessRoleName, roleNames: new Set<string>() };
    e.roleNames.add(roleName);
    byAccount.set(accountId, e);
  };
  for (const r of Object.values(desired.roles)) {
    for (const t of expandTargets(r.targetAccounts, r.targetOUs, r.includeDescendants, desired, actual)) {
      if (t.accountId) want(t.accountId, t.accessRoleName, r.roleName);
    }
  }
  for (const k of opts.knownRoles ?? []) {
    for (const a of k.accounts) {
      if (actual.accounts[a.accountId]?.state === 'ACTIVE') want(a.accountId, a.accessRoleName ?? DEFAULT_ACCESS_ROLE, k.roleName);
    }
  }
  await mapLimit([...byAccount].sort(), limit, async ([accountId, { accessRoleName, roleNames }]) => {
    try {
      const { iam } = await clients.forAccount(accountId, accessRoleName);
      for (const roleName of [...roleNames].sort()) {
        const role = await readRole(iam, accountId, roleName);
        if (role) access.roles[`${accountId}/${roleName}`] = role;
      }
    } catch (e) {
      access.roleReadErrors[accountId] = errorText(e);
    }
  });
}

/** Decodes a policy document as IAM returns it (URL-encoded JSON). */
export function decodePolicy(doc: string | undefined): string {
  if (!doc) return '';
  return doc.trimStart().startsWith('{') ? doc : decodeURIComponent(doc);
}

export async function readRole(iam: IAMClient, accountId: string, roleName: string): Promise<ActualRole | undefined> {
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  if (!role) return undefined;
  const attached = await paginate(async (t) => {
    const r = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: t }));
    return { items: r.AttachedPolicies ?? [], next: r.IsTruncated ? r.Marker : undefined };
  });
  const inlineNames = await paginate(async (t) => {
    const r = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: t }));
    return { items: r.PolicyNames ?? [], next: r.IsTruncated ? r.Marker : undefined };
  });
  const inlinePolicies: Record<string, string> = {};
  for (const n of inlineNames.sort()) {
    const r = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: n }));
    inlinePolicies[n] = decodePolicy(r.PolicyDocument);
  }
  return {
    accountId,
    roleName,
    path: role.Path ?? '/',
    arn: role.Arn ?? '',
    description: role.Description ?? '',
    trustPolicy: decodePolicy(role.AssumeRolePolicyDocument),
    managedPolicyArns: attached
      .map((p) => p.PolicyArn ?? '')
      .filter(Boolean)
      .sort(),
    inlinePolicies,
    permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn,
    maxSessionDuration: role.MaxSessionDuration ?? 3600,
    tags: Object.fromEntries((role.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}
