// The organization as a plan leaves it: the live snapshot with the plan's ops applied to a copy.
// Permission impact and the "last Allow detached" lint compare this with the snapshot, so they
// describe exactly what `apply` would do (blocked resources, exclusive targets, OU re-creation
// included) and never re-derive the planner's decisions. Pure; objects created by the plan get
// their op's resource key as id (the same key the executor resolves `{ref}` with).
import type { ActualOrg, ActualPolicy } from '../model/actual.js';
import type { IdRef, Op } from './operations.js';

const SCP_TYPE = 'SERVICE_CONTROL_POLICY';
const idOf = (r: IdRef): string => ('id' in r ? r.id : r.ref);

/** The ops that can change what an account's SCP/RCP chain looks like. */
export const CHAIN_OPS: ReadonlySet<Op['op']> = new Set<Op['op']>([
  'MoveAccount',
  'CreateOU',
  'DeleteOU',
  'CreatePolicy',
  'UpdatePolicy',
  'DeletePolicy',
  'AttachPolicy',
  'DetachPolicy',
  'EnablePolicyType',
  'DisablePolicyType',
]);

/** Does the plan touch any account's chain? (an update that only renames a policy does not) */
export const changesChains = (ops: Op[]): boolean => ops.some((op) => CHAIN_OPS.has(op.op) && (op.op !== 'UpdatePolicy' || op.content !== undefined));

/** AWS attaches FullAWSAccess to every OU it creates (the plan may detach it only afterwards). */
function fullAccessOnCreate(org: ActualOrg, targetId: string): void {
  const full = Object.values(org.policies).find((p) => p.awsManaged && p.name === 'FullAWSAccess');
  if (full && !(full.targets ?? []).includes(targetId)) full.targets = [...(full.targets ?? []), targetId];
}

function detachEverywhere(org: ActualOrg, targetId: string): void {
  for (const p of Object.values(org.policies)) if (p.targets?.includes(targetId)) p.targets = p.targets.filter((t) => t !== targetId);
}

function applyPolicyOp(org: ActualOrg, op: Op): void {
  switch (op.op) {
    case 'CreatePolicy': {
      const p: ActualPolicy = {
        id: op.resource,
        arn: '',
        name: op.name,
        description: op.description,
        type: op.policyType ?? SCP_TYPE,
        awsManaged: false,
        content: op.content,
        targets: [],
      };
      org.policies[op.resource] = p;
      return;
    }
    case 'UpdatePolicy':
      if (org.policies[op.policyId] && op.content !== undefined) org.policies[op.policyId].content = op.content;
      return;
    case 'DeletePolicy':
      delete org.policies[op.policyId];
      return;
    case 'AttachPolicy': {
      const p = org.policies[idOf(op.policy)];
      const t = idOf(op.target);
      if (p && !(p.targets ?? []).includes(t)) p.targets = [...(p.targets ?? []), t];
      return;
    }
    case 'DetachPolicy': {
      const p = org.policies[op.policyId];
      if (p) p.targets = (p.targets ?? []).filter((t) => t !== op.targetId);
      return;
    }
    default:
  }
}

function applyTreeOp(org: ActualOrg, op: Op): void {
  switch (op.op) {
    case 'CreateOU':
      org.ous[op.resource] = { id: op.resource, arn: '', name: op.name, parentId: idOf(op.parent), tags: op.tags };
      fullAccessOnCreate(org, op.resource);
      return;
    case 'DeleteOU':
      delete org.ous[op.ouId];
      detachEverywhere(org, op.ouId);
      return;
    case 'CreateAccount':
      org.accounts[op.resource] = { id: op.resource, arn: '', name: op.name, email: op.email, state: 'ACTIVE', parentId: idOf(op.parent) };
      fullAccessOnCreate(org, op.resource);
      return;
    case 'MoveAccount':
      if (org.accounts[op.accountId]) org.accounts[op.accountId].parentId = idOf(op.to);
      return;
    case 'EnablePolicyType':
      if (!org.root.enabledPolicyTypes.includes(op.policyType)) org.root.enabledPolicyTypes.push(op.policyType);
      return;
    case 'DisablePolicyType':
      org.root.enabledPolicyTypes = org.root.enabledPolicyTypes.filter((t) => t !== op.policyType);
      return;
    default:
      applyPolicyOp(org, op);
  }
}

/** A copy of `actual` with every op of the plan applied, in plan order (the dependency order). */
export function simulatePlan(actual: ActualOrg, ops: Op[]): ActualOrg {
  // Only the parts the evaluator reads are copied: access state and tags are not needed.
  const org: ActualOrg = {
    ...actual,
    access: undefined,
    root: { ...actual.root, enabledPolicyTypes: [...actual.root.enabledPolicyTypes] },
    ous: {},
    accounts: {},
    policies: {},
  };
  for (const [id, ou] of Object.entries(actual.ous)) org.ous[id] = { ...ou };
  for (const [id, a] of Object.entries(actual.accounts)) org.accounts[id] = { ...a };
  for (const [id, p] of Object.entries(actual.policies)) org.policies[id] = { ...p, targets: p.targets ? [...p.targets] : undefined };
  for (const op of ops) applyTreeOp(org, op);
  return org;
}
