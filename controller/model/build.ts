// Resources -> one validated DesiredOrg. Steps: schema check, defaults and normalisation, graph
// rules (validate.ts), then invalidity spreads to everything that depends on a failed resource,
// so that nothing is applied for that part of the graph while the rest still plans.
import { ANNOTATION_ADOPT, ANNOTATION_PAUSED, refKey, type AnyResource, type Resource } from '../api/schemas.js';
import type { ActualOrg } from './actual.js';
import {
  DEFAULT_QUOTAS,
  ROOT,
  type DesiredAccount,
  type DesiredOrg,
  type DesiredOrganization,
  type DesiredOU,
  type DesiredPermissionSet,
  type DesiredPolicy,
  type DesiredRole,
  type Quotas,
  type TargetRef,
  type ValidationError,
} from './desired.js';
import { checkSpec } from './schema-check.js';
import { minifyPolicy, validateGraph } from './validate.js';
import { desiredPolicyKey, policyTypeOf, SCP_TYPE } from './policy-types.js';

export interface BuildContext {
  actual?: ActualOrg;
  namespace?: string;
  /**
   * Errors from loading (loadManifests). Resources they name by Kind/name (dropped duplicates,
   * wrong apiVersion, ...) count as present but invalid: their dependents are held back with a
   * dependency-invalid error instead of an unknown-reference one. Not repeated in the result.
   */
  loadErrors?: ValidationError[];
}

export interface BuildResult {
  desired: DesiredOrg;
  errors: ValidationError[];
  /** "Kind/name" of every resource left out of `desired`: its own errors or a failed dependency. */
  invalid: Set<string>;
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const paused = (r: AnyResource): boolean => r.metadata.annotations?.[ANNOTATION_PAUSED] === 'true';
const adopt = (r: AnyResource): boolean => r.metadata.annotations?.[ANNOTATION_ADOPT] === 'true';
const base = (r: AnyResource) => ({ key: refKey(r.kind, r.metadata.name), ref: r.metadata.name, paused: paused(r), ...(adopt(r) ? { adopt: true } : {}) });

function organization(r: Resource<'Organization'>): DesiredOrganization {
  const s = r.spec;
  return {
    key: refKey(r.kind, r.metadata.name),
    featureSet: s.featureSet ?? 'ALL',
    ...(s.enabledPolicyTypes ? { enabledPolicyTypes: uniq([...s.enabledPolicyTypes]) } : {}),
    ...(s.trustedServices ? { trustedServices: uniq([...s.trustedServices]) } : {}),
    ...(s.delegatedAdministrators
      ? { delegatedAdministrators: s.delegatedAdministrators.map((d) => ({ account: d.account, servicePrincipal: d.servicePrincipal })) }
      : {}),
    ...(s.identityCenter ? { identityCenter: structuredClone(s.identityCenter) } : {}),
  };
}

function quotasOf(r: Resource<'Organization'> | undefined): Quotas {
  const q = r?.spec.quotas ?? {};
  const d = r?.spec.deletion ?? {};
  return {
    maxPoliciesPerTarget: q.maxPoliciesPerTarget ?? DEFAULT_QUOTAS.maxPoliciesPerTarget,
    maxPolicySize: q.maxPolicySize ?? DEFAULT_QUOTAS.maxPolicySize,
    maxAccountClosuresPerRun: q.maxAccountClosuresPerRun ?? DEFAULT_QUOTAS.maxAccountClosuresPerRun,
    maxDeleteFraction: d.maxDeleteFraction ?? DEFAULT_QUOTAS.maxDeleteFraction,
    pruneUnmanaged: d.pruneUnmanaged ?? DEFAULT_QUOTAS.pruneUnmanaged,
    migrationApproval: r?.spec.migrationApproval ?? DEFAULT_QUOTAS.migrationApproval,
  };
}

function ou(r: Resource<'OrganizationalUnit'>): DesiredOU {
  const s = r.spec;
  return {
    ...base(r),
    name: s.name ?? r.metadata.name,
    parent: s.parent,
    ...(s.id ? { id: s.id } : {}),
    tags: { ...(s.tags ?? {}) },
    deletionPolicy: s.deletionPolicy ?? 'Retain',
  };
}

function account(r: Resource<'Account'>): DesiredAccount {
  const s = r.spec;
  return {
    ...base(r),
    name: s.name ?? r.metadata.name,
    email: s.email,
    parent: s.parent,
    ...(s.id ? { id: s.id } : {}),
    accessRoleName: s.accessRoleName ?? 'OrganizationAccountAccessRole',
    ...(s.iamUserAccessToBilling ? { iamUserAccessToBilling: s.iamUserAccessToBilling } : {}),
    tags: { ...(s.tags ?? {}) },
    deletionPolicy: s.deletionPolicy ?? 'Retain',
  };
}

function policy(r: Resource<'ServiceControlPolicy'> | Resource<'ResourceControlPolicy'> | Resource<'ManagementPolicy'>): DesiredPolicy {
  const s = r.spec;
  const targets: TargetRef[] = [];
  const seen = new Set<string>();
  const add = (t: TargetRef) => {
    const id = t.kind === 'root' ? 'root' : `${t.kind}:${t.ref}`;
    if (!seen.has(id)) targets.push(t);
    seen.add(id);
  };
  if (s.targets?.root) add({ kind: 'root' });
  // `root` in the OU list means the organization root, as it does in every parent reference.
  for (const o of s.targets?.organizationalUnits ?? []) add(o === ROOT ? { kind: 'root' } : { kind: 'ou', ref: o });
  for (const a of s.targets?.accounts ?? []) add({ kind: 'account', ref: a });
  const awsManaged = 'awsManaged' in s ? (s.awsManaged ?? false) : false;
  const type = policyTypeOf(r);
  return {
    ...base(r),
    ...(type !== SCP_TYPE ? { policyType: type } : {}),
    name: s.name ?? r.metadata.name,
    description: s.description ?? '',
    content: minifyPolicy(s.document),
    awsManaged,
    exclusiveTargets: s.exclusiveTargets ?? !awsManaged,
    ...(s.id ? { id: s.id } : {}),
    targets,
    tags: { ...(s.tags ?? {}) },
    deletionPolicy: s.deletionPolicy ?? 'Retain',
  };
}

function permissionSet(r: Resource<'PermissionSet'>): DesiredPermissionSet {
  const s = r.spec;
  const pb = s.permissionsBoundary;
  return {
    ...base(r),
    name: s.name ?? r.metadata.name,
    description: s.description ?? '',
    sessionDuration: s.sessionDuration ?? 'PT1H',
    relayState: s.relayState ?? '',
    managedPolicies: uniq([...(s.managedPolicies ?? [])]),
    customerManagedPolicies: (s.customerManagedPolicies ?? []).map((c) => ({ name: c.name, path: c.path ?? '/' })),
    inlinePolicy: minifyPolicy(s.inlinePolicy),
    ...(pb && (pb.managedPolicyArn || pb.customerManagedPolicy)
      ? {
          permissionsBoundary: {
            ...(pb.managedPolicyArn ? { managedPolicyArn: pb.managedPolicyArn } : {}),
            ...(pb.customerManagedPolicy ? { customerManagedPolicy: { name: pb.customerManagedPolicy.name, path: pb.customerManagedPolicy.path ?? '/' } } : {}),
          },
        }
      : {}),
    assignments: (s.assignments ?? []).map((a) => ({
      principal: { type: a.principal.type, ...(a.principal.name ? { name: a.principal.name } : {}), ...(a.principal.id ? { id: a.principal.id } : {}) },
      accounts: uniq([...(a.targets.accounts ?? [])]),
      organizationalUnits: uniq([...(a.targets.organizationalUnits ?? [])]),
      includeDescendants: a.targets.includeDescendants ?? false,
    })),
    tags: { ...(s.tags ?? {}) },
    deletionPolicy: s.deletionPolicy ?? 'Retain',
  };
}

function role(r: Resource<'CrossAccountRole'>): DesiredRole {
  const s = r.spec;
  return {
    ...base(r),
    roleName: s.roleName ?? r.metadata.name,
    path: s.path ?? '/',
    description: s.description ?? '',
    targetAccounts: uniq([...(s.targets.accounts ?? [])]),
    targetOUs: uniq([...(s.targets.organizationalUnits ?? [])]),
    includeDescendants: s.targets.includeDescendants ?? true,
    trust: {
      accounts: uniq([...(s.trust.accounts ?? [])]),
      principalArns: uniq([...(s.trust.principalArns ?? [])]),
      ...(s.trust.externalId ? { externalId: s.trust.externalId } : {}),
      requireMfa: s.trust.requireMfa ?? false,
    },
    managedPolicyArns: uniq([...(s.managedPolicyArns ?? [])]),
    inlinePolicies: Object.fromEntries(Object.entries(s.inlinePolicies ?? {}).map(([k, v]) => [k, minifyPolicy(v)])),
    ...(s.permissionsBoundary ? { permissionsBoundary: s.permissionsBoundary } : {}),
    maxSessionDuration: s.maxSessionDuration ?? 3600,
    tags: { ...(s.tags ?? {}) },
    deletionPolicy: s.deletionPolicy ?? 'Retain',
  };
}

/** What each resource refers to: [field, Kind/name]. Invalidity flows along these edges. */
function dependencies(
  d: Omit<DesiredOrg, 'namespace' | 'quotas' | 'organization'> & { organizations: DesiredOrganization[] },
): Map<string, [string, string][]> {
  const deps = new Map<string, [string, string][]>();
  const ouDep = (field: string, ref: string): [string, string][] => (ref === ROOT ? [] : [[field, `OrganizationalUnit/${ref}`]]);
  for (const o of d.organizations)
    deps.set(
      o.key,
      (o.delegatedAdministrators ?? []).map((a, i) => [`spec.delegatedAdministrators[${i}].account`, `Account/${a.account}`]),
    );
  for (const o of Object.values(d.ous)) deps.set(o.key, ouDep('spec.parent', o.parent));
  for (const a of Object.values(d.accounts)) deps.set(a.key, ouDep('spec.parent', a.parent));
  for (const p of Object.values(d.policies)) {
    deps.set(
      p.key,
      p.targets.flatMap((t): [string, string][] =>
        t.kind === 'ou'
          ? [['spec.targets.organizationalUnits', `OrganizationalUnit/${t.ref}`]]
          : t.kind === 'account'
            ? [['spec.targets.accounts', `Account/${t.ref}`]]
            : [],
      ),
    );
  }
  for (const ps of Object.values(d.permissionSets)) {
    deps.set(
      ps.key,
      ps.assignments.flatMap((a, i) => [
        ...a.accounts.map((x): [string, string] => [`spec.assignments[${i}].targets.accounts`, `Account/${x}`]),
        ...a.organizationalUnits.flatMap((x) => ouDep(`spec.assignments[${i}].targets.organizationalUnits`, x)),
      ]),
    );
  }
  for (const r of Object.values(d.roles)) {
    deps.set(r.key, [
      ...r.targetAccounts.map((x): [string, string] => ['spec.targets.accounts', `Account/${x}`]),
      ...r.targetOUs.flatMap((x) => ouDep('spec.targets.organizationalUnits', x)),
      ...r.trust.accounts.map((x): [string, string] => ['spec.trust.accounts', `Account/${x}`]),
    ]);
  }
  return deps;
}

const KIND_OF_KEY =
  /^(Organization|OrganizationalUnit|Account|ServiceControlPolicy|ResourceControlPolicy|ManagementPolicy|PermissionSet|CrossAccountRole)\/.+$/;

export function buildDesired(resources: AnyResource[], ctx: BuildContext = {}): BuildResult {
  const errors: ValidationError[] = [];
  const invalid = new Set<string>();
  for (const e of ctx.loadErrors ?? []) if (KIND_OF_KEY.test(e.resource)) invalid.add(e.resource);

  const sources: Record<string, string | undefined> = {};
  const valid: AnyResource[] = [];
  for (const r of resources) {
    const key = refKey(r.kind, r.metadata.name);
    sources[key] = r.source;
    const errs = checkSpec(r);
    errors.push(...errs);
    if (errs.length > 0 || invalid.has(key)) invalid.add(key);
    else valid.push(r);
  }

  const organizations: DesiredOrganization[] = [];
  const orgResources: Resource<'Organization'>[] = [];
  const all = {
    ous: {} as Record<string, DesiredOU>,
    accounts: {} as Record<string, DesiredAccount>,
    policies: {} as Record<string, DesiredPolicy>,
    permissionSets: {} as Record<string, DesiredPermissionSet>,
    roles: {} as Record<string, DesiredRole>,
  };
  for (const r of valid) {
    switch (r.kind) {
      case 'Organization':
        organizations.push(organization(r));
        orgResources.push(r);
        break;
      case 'OrganizationalUnit':
        all.ous[r.metadata.name] = ou(r);
        break;
      case 'Account':
        all.accounts[r.metadata.name] = account(r);
        break;
      case 'ServiceControlPolicy':
      case 'ResourceControlPolicy':
      case 'ManagementPolicy':
        all.policies[desiredPolicyKey(r.kind, r.metadata.name)] = policy(r);
        break;
      case 'PermissionSet':
        all.permissionSets[r.metadata.name] = permissionSet(r);
        break;
      case 'CrossAccountRole':
        all.roles[r.metadata.name] = role(r);
        break;
    }
  }
  // Quotas come from the Organization resource when there is exactly one that passed its schema check.
  const quotas = quotasOf(orgResources.length === 1 ? orgResources[0] : undefined);

  const graphErrors = validateGraph({ organizations, ...all, quotas, sources, knownInvalid: new Set(invalid), ...(ctx.actual ? { actual: ctx.actual } : {}) });
  errors.push(...graphErrors);
  for (const e of graphErrors) invalid.add(e.resource);

  // Spread invalidity to dependents until nothing changes, then name each failed dependency once.
  const deps = dependencies({ organizations, ...all });
  const before = new Set(invalid);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, ds] of deps) {
      if (!invalid.has(key) && ds.some(([, dep]) => invalid.has(dep))) {
        invalid.add(key);
        changed = true;
      }
    }
  }
  for (const [key, ds] of deps) {
    if (before.has(key) || !invalid.has(key)) continue;
    const seen = new Set<string>();
    for (const [field, dep] of ds) {
      if (!invalid.has(dep) || seen.has(dep)) continue;
      seen.add(dep);
      errors.push({
        resource: key,
        field,
        rule: 'dependency-invalid',
        message: `depends on ${dep}, which is invalid`,
        ...(sources[key] ? { source: sources[key] } : {}),
      });
    }
  }

  const keep = <T extends { key: string }>(m: Record<string, T>) => Object.fromEntries(Object.entries(m).filter(([, v]) => !invalid.has(v.key)));
  const namespace = ctx.namespace ?? resources.find((r) => r.metadata.namespace)?.metadata.namespace ?? 'default';
  const org = organizations.length === 1 && !invalid.has(organizations[0].key) ? organizations[0] : undefined;
  const desired: DesiredOrg = {
    namespace,
    ...(org ? { organization: org } : {}),
    quotas,
    ous: keep(all.ous),
    accounts: keep(all.accounts),
    policies: keep(all.policies),
    permissionSets: keep(all.permissionSets),
    roles: keep(all.roles),
  };
  return { desired, errors, invalid };
}
