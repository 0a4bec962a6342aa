// Plain-data fixtures for the planner tests: a small live organization, desired resources with
// defaults filled in, and `applyPlan`, which plays a plan's ops onto an ActualOrg the way AWS
// Organizations would (new ids, FullAWSAccess auto-attached to new OUs and accounts), so a test
// can check that a second plan over the result is empty.
import type { ActualAccount, ActualOrg, ActualOU, ActualPolicy, Tags } from '../../controller/model/actual.js';
import {
  DEFAULT_QUOTAS,
  ROOT,
  type DesiredAccount,
  type DesiredOrg,
  type DesiredOU,
  type DesiredPolicy,
  type Quotas,
  type TargetRef,
} from '../../controller/model/desired.js';
import { ownershipTags } from '../../controller/model/ownership.js';
import type { IdRef, Op, Plan } from '../../controller/plan/operations.js';

export const NS = 'platform';
export const ROOT_ID = 'r-ab12';
export const MGMT_ID = '111111111111';
export const FULL = 'p-FullAWSAccess';
export const ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
export const DENY_ROOT =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}';

export const own = (key: string, deletionPolicy = 'Retain'): Tags => ownershipTags(NS, key, deletionPolicy);

/** An organization with only the root, the management account and FullAWSAccess. */
export function baseActual(): ActualOrg {
  return {
    id: 'o-test1234',
    arn: 'arn:aws:organizations::111111111111:organization/o-test1234',
    featureSet: 'ALL',
    managementAccountId: MGMT_ID,
    managementAccountEmail: 'mgmt@example.com',
    root: { id: ROOT_ID, arn: `arn:aws:organizations::${MGMT_ID}:root/o-test1234/${ROOT_ID}`, name: 'Root', enabledPolicyTypes: ['SERVICE_CONTROL_POLICY'] },
    ous: {},
    accounts: {
      [MGMT_ID]: {
        id: MGMT_ID,
        arn: `arn:aws:organizations::${MGMT_ID}:account/o-test1234/${MGMT_ID}`,
        name: 'Management',
        email: 'mgmt@example.com',
        state: 'ACTIVE',
        parentId: ROOT_ID,
      },
    },
    policies: {
      [FULL]: {
        id: FULL,
        arn: `arn:aws:organizations::aws:policy/service_control_policy/${FULL}`,
        name: 'FullAWSAccess',
        description: 'Allows access to every operation',
        type: 'SERVICE_CONTROL_POLICY',
        awsManaged: true,
        content: ALLOW_ALL,
        targets: [ROOT_ID, MGMT_ID],
        tags: {},
      },
    },
    trustedServices: [],
    delegatedAdmins: [],
    readAt: '2026-01-01T00:00:00Z',
  };
}

export function addOU(a: ActualOrg, id: string, name: string, parentId: string, tags: Tags | undefined = {}): ActualOU {
  const ou: ActualOU = { id, arn: `arn:aws:organizations::${MGMT_ID}:ou/o-test1234/${id}`, name, parentId, tags };
  a.ous[id] = ou;
  return ou;
}

export function addAccount(a: ActualOrg, id: string, name: string, email: string, parentId: string, opts: { tags?: Tags; state?: string } = {}): ActualAccount {
  const acc: ActualAccount = {
    id,
    arn: `arn:aws:organizations::${MGMT_ID}:account/o-test1234/${id}`,
    name,
    email,
    parentId,
    state: opts.state ?? 'ACTIVE',
    tags: opts.tags,
  };
  a.accounts[id] = acc;
  return acc;
}

export function addPolicy(
  a: ActualOrg,
  id: string,
  name: string,
  content: string,
  targets: string[],
  tags: Tags | undefined = {},
  description = '',
): ActualPolicy {
  const p: ActualPolicy = {
    id,
    arn: `arn:aws:organizations::${MGMT_ID}:policy/o-test1234/service_control_policy/${id}`,
    name,
    description,
    type: 'SERVICE_CONTROL_POLICY',
    awsManaged: false,
    content,
    targets,
    tags,
  };
  a.policies[id] = p;
  return p;
}

export function dOU(ref: string, parent: string = ROOT, over: Partial<DesiredOU> = {}): DesiredOU {
  return { key: `OrganizationalUnit/${ref}`, ref, name: ref, parent, tags: {}, paused: false, deletionPolicy: 'Retain', ...over };
}

export function dAccount(ref: string, email: string, parent: string = ROOT, over: Partial<DesiredAccount> = {}): DesiredAccount {
  return {
    key: `Account/${ref}`,
    ref,
    name: ref,
    email,
    parent,
    tags: {},
    paused: false,
    accessRoleName: 'OrganizationAccountAccessRole',
    deletionPolicy: 'Retain',
    ...over,
  };
}

export function dPolicy(ref: string, content: string, targets: TargetRef[], over: Partial<DesiredPolicy> = {}): DesiredPolicy {
  return {
    key: `ServiceControlPolicy/${ref}`,
    ref,
    name: ref,
    description: '',
    content,
    awsManaged: false,
    exclusiveTargets: !over.awsManaged,
    targets,
    tags: {},
    paused: false,
    deletionPolicy: 'Retain',
    ...over,
  };
}

export const toOU = (ref: string): TargetRef => ({ kind: 'ou', ref });
export const toAccount = (ref: string): TargetRef => ({ kind: 'account', ref });

export function desiredOrg(parts: { ous?: DesiredOU[]; accounts?: DesiredAccount[]; policies?: DesiredPolicy[]; quotas?: Partial<Quotas> } = {}): DesiredOrg {
  const byRef = <T extends { ref: string }>(xs: T[] = []): Record<string, T> => Object.fromEntries(xs.map((x) => [x.ref, x]));
  return {
    namespace: NS,
    quotas: { ...DEFAULT_QUOTAS, ...parts.quotas },
    ous: byRef(parts.ous),
    accounts: byRef(parts.accounts),
    policies: byRef(parts.policies),
    permissionSets: {},
    roles: {},
  };
}

/**
 * Plays a plan onto a copy of `actual` the way Organizations behaves, checking as it goes that
 * every op's deps ran before it and every {ref} resolves. Ids of created objects are
 * deterministic (ou-new-1, 200000000001, p-new-1, ...).
 */
export function applyPlan(actual: ActualOrg, plan: Plan): ActualOrg {
  const a: ActualOrg = structuredClone(actual);
  const created = new Map<string, string>();
  const done = new Set<string>();
  let seq = 0;
  const resolve = (r: IdRef): string => {
    if ('id' in r) return r.id;
    const id = created.get(r.ref);
    if (id === undefined) throw new Error(`unresolved ref ${r.ref}`);
    return id;
  };
  const tagsOf = (id: string): Tags => {
    const obj = a.ous[id] ?? a.accounts[id] ?? a.policies[id];
    if (!obj) throw new Error(`no object ${id}`);
    obj.tags ??= {};
    return obj.tags;
  };
  const attach = (pid: string, target: string): void => {
    const p = a.policies[pid];
    p.targets ??= [];
    if (!p.targets.includes(target)) p.targets.push(target);
  };
  for (const op of plan.ops as Op[]) {
    for (const d of op.deps) if (!done.has(d)) throw new Error(`${op.id} runs before its dep ${d}`);
    seq++;
    switch (op.op) {
      case 'CreateOU': {
        const id = `ou-new0-${String(seq).padStart(8, '0')}`;
        addOU(a, id, op.name, resolve(op.parent), { ...op.tags });
        attach(FULL, id);
        created.set(op.resource, id);
        break;
      }
      case 'CreateAccount': {
        const id = String(200000000000 + seq);
        addAccount(a, id, op.name, op.email, resolve(op.parent), { tags: { ...op.tags } });
        attach(FULL, id);
        created.set(op.resource, id);
        break;
      }
      case 'CreatePolicy': {
        const id = `p-new0000${seq}`;
        addPolicy(a, id, op.name, op.content, [], { ...op.tags }, op.description).type = op.policyType ?? 'SERVICE_CONTROL_POLICY';
        created.set(op.resource, id);
        break;
      }
      case 'RenameOU':
        a.ous[op.ouId].name = op.to;
        break;
      case 'TagResource':
        Object.assign(tagsOf(resolve(op.target)), op.tags);
        break;
      case 'UntagResource': {
        const t = tagsOf(resolve(op.target));
        for (const k of op.tagKeys) delete t[k];
        break;
      }
      case 'MoveAccount': {
        const acc = a.accounts[op.accountId];
        if (acc.parentId !== op.fromId) throw new Error(`${op.id}: account ${op.accountId} is not in ${op.fromId}`);
        acc.parentId = resolve(op.to);
        break;
      }
      case 'UpdatePolicy': {
        const p = a.policies[op.policyId];
        if (op.name !== undefined) p.name = op.name;
        if (op.description !== undefined) p.description = op.description;
        if (op.content !== undefined) p.content = op.content;
        break;
      }
      case 'AttachPolicy':
        attach(resolve(op.policy), resolve(op.target));
        break;
      case 'DetachPolicy': {
        const p = a.policies[op.policyId];
        p.targets = (p.targets ?? []).filter((t) => t !== op.targetId);
        break;
      }
      case 'DeletePolicy':
        if ((a.policies[op.policyId].targets ?? []).length > 0) throw new Error(`${op.id}: policy still attached`);
        delete a.policies[op.policyId];
        break;
      case 'DeleteOU': {
        if (Object.values(a.accounts).some((x) => x.parentId === op.ouId) || Object.values(a.ous).some((x) => x.parentId === op.ouId)) {
          throw new Error(`${op.id}: OU ${op.ouId} is not empty`);
        }
        delete a.ous[op.ouId];
        for (const p of Object.values(a.policies)) p.targets = (p.targets ?? []).filter((t) => t !== op.ouId);
        break;
      }
      case 'CloseAccount':
        a.accounts[op.accountId].state = 'SUSPENDED';
        break;
      case 'RemoveAccount':
        delete a.accounts[op.accountId];
        break;
      case 'EnablePolicyType':
        a.root.enabledPolicyTypes.push(op.policyType);
        break;
      case 'DisablePolicyType':
        a.root.enabledPolicyTypes = a.root.enabledPolicyTypes.filter((t) => t !== op.policyType);
        break;
      case 'EnableServiceAccess':
        a.trustedServices.push(op.servicePrincipal);
        break;
      case 'DisableServiceAccess':
        a.trustedServices = a.trustedServices.filter((s) => s !== op.servicePrincipal);
        break;
      case 'RegisterDelegatedAdmin':
        a.delegatedAdmins.push({ accountId: resolve(op.account), servicePrincipal: op.servicePrincipal });
        break;
      case 'DeregisterDelegatedAdmin':
        a.delegatedAdmins = a.delegatedAdmins.filter((d) => !(d.accountId === op.accountId && d.servicePrincipal === op.servicePrincipal));
        break;
      default:
        throw new Error(`unexpected op ${op.op}`);
    }
    done.add(op.id);
  }
  return a;
}

/** Ops of one kind, for terse assertions. */
export function opsOf<K extends Op['op']>(plan: Plan, kind: K): Extract<Op, { op: K }>[] {
  return plan.ops.filter((o): o is Extract<Op, { op: K }> => o.op === kind);
}

/** Index of an op in the plan (its position is its topological rank). */
export const pos = (plan: Plan, id: string): number => plan.ops.findIndex((o) => o.id === id);

/** Asserts the structural invariants every plan must hold; returns the list of violations. */
export function orderingViolations(plan: Plan): string[] {
  const out: string[] = [];
  const index = new Map(plan.ops.map((o, i) => [o.id, i]));
  plan.ops.forEach((o, i) => {
    if (o.id !== `op-${i + 1}`) out.push(`${o.id} at position ${i + 1}`);
    for (const d of o.deps) {
      const j = index.get(d);
      if (j === undefined) out.push(`${o.id} depends on missing ${d}`);
      else if (j >= i) out.push(`${o.id} depends on later ${d}`);
    }
  });
  return out;
}
