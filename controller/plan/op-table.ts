// The one op table: every operation kind orgplane can plan (Organizations, Identity Center, IAM)
// declares here its phase, the resource-level action it stands for, its risk class, the Kubernetes
// Event reason it is reported with, and its plan symbol. Renderers, the executor, the safety
// checks and status all read this table; a new op kind that is missing here does not compile.
import type { Op, OpName } from './operations.js';

/** routine: reversible, local. destructive: deletes, closes, removes, unassigns. org-wide: changes every account's guardrails or access. */
export type Risk = 'routine' | 'destructive' | 'org-wide';
export const RISKS: readonly Risk[] = ['routine', 'destructive', 'org-wide'];

/** What an op does to the resource it works for (Terraform's change.actions, one per op). */
export type ResourceAction = 'create' | 'update' | 'delete' | 'move' | 'adopt' | 'resume';
export const ACTIONS: readonly ResourceAction[] = ['create', 'update', 'move', 'adopt', 'resume', 'delete'];

/** Which AWS service writes it (the executor's writer family). */
export type Writer = 'organizations' | 'account-workflow' | 'identity-center' | 'iam';

/** Facts the table needs about the rest of the plan to classify one op. */
export interface RiskContext {
  /** Whether the policy this id/ref names (after the plan) has a Deny statement covering every action. */
  deniesAll?: (policy: { id: string } | { ref: string }) => boolean;
}

export interface OpSpec<K extends OpName> {
  action: ResourceAction | ((op: Extract<Op, { op: K }>) => ResourceAction);
  risk: Risk | ((op: Extract<Op, { op: K }>, ctx: RiskContext) => Risk);
  writer: Writer;
  /** Event reason once applied ("CreatedOU"). */
  eventReason: string;
}

const FULL_ACCESS_IDS = new Set(['p-FullAWSAccess']);
const isRootOrOU = (id: string): boolean => id.startsWith('r-') || id.startsWith('ou-');
const isRoot = (r: { id: string } | { ref: string }): boolean => 'id' in r && r.id.startsWith('r-');

export const OPS = {
  CreateOU: { action: 'create', risk: 'routine', writer: 'organizations', eventReason: 'CreatedOU' },
  RenameOU: { action: 'update', risk: 'routine', writer: 'organizations', eventReason: 'RenamedOU' },
  DeleteOU: { action: 'delete', risk: 'destructive', writer: 'organizations', eventReason: 'DeletedOU' },
  TagResource: { action: 'update', risk: 'routine', writer: 'organizations', eventReason: 'TaggedResource' },
  UntagResource: { action: 'update', risk: 'routine', writer: 'organizations', eventReason: 'UntaggedResource' },
  CreateAccount: { action: 'create', risk: 'routine', writer: 'account-workflow', eventReason: 'CreatedAccount' },
  MoveAccount: { action: 'move', risk: 'routine', writer: 'account-workflow', eventReason: 'MovedAccount' },
  CloseAccount: { action: 'delete', risk: 'destructive', writer: 'account-workflow', eventReason: 'ClosedAccount' },
  RemoveAccount: { action: 'delete', risk: 'destructive', writer: 'account-workflow', eventReason: 'RemovedAccount' },
  CreatePolicy: { action: 'create', risk: 'routine', writer: 'organizations', eventReason: 'CreatedPolicy' },
  UpdatePolicy: {
    action: 'update',
    writer: 'organizations',
    eventReason: 'UpdatedPolicy',
    // A document that now denies everything, on a policy attached to the root, is org-wide; the
    // planner knows the attachments and passes them through ctx.deniesAll only for such policies.
    risk: (op, ctx) => (op.content !== undefined && ctx.deniesAll?.({ id: op.policyId }) ? 'org-wide' : 'routine'),
  },
  DeletePolicy: { action: 'delete', risk: 'destructive', writer: 'organizations', eventReason: 'DeletedPolicy' },
  AttachPolicy: {
    action: 'update',
    writer: 'organizations',
    eventReason: 'AttachedPolicy',
    risk: (op, ctx) => (isRoot(op.target) && ctx.deniesAll?.(op.policy) ? 'org-wide' : 'routine'),
  },
  DetachPolicy: {
    action: 'update',
    writer: 'organizations',
    eventReason: 'DetachedPolicy',
    risk: (op) => (FULL_ACCESS_IDS.has(op.policyId) && isRootOrOU(op.targetId) ? 'org-wide' : 'routine'),
  },
  EnablePolicyType: { action: 'update', risk: 'routine', writer: 'organizations', eventReason: 'EnabledPolicyType' },
  DisablePolicyType: { action: 'update', risk: 'org-wide', writer: 'organizations', eventReason: 'DisabledPolicyType' },
  EnableServiceAccess: { action: 'update', risk: 'routine', writer: 'organizations', eventReason: 'EnabledServiceAccess' },
  DisableServiceAccess: { action: 'update', risk: 'org-wide', writer: 'organizations', eventReason: 'DisabledServiceAccess' },
  RegisterDelegatedAdmin: { action: 'update', risk: 'routine', writer: 'organizations', eventReason: 'RegisteredDelegatedAdmin' },
  DeregisterDelegatedAdmin: { action: 'update', risk: 'org-wide', writer: 'organizations', eventReason: 'DeregisteredDelegatedAdmin' },
  CreatePermissionSet: { action: 'create', risk: 'routine', writer: 'identity-center', eventReason: 'CreatedPermissionSet' },
  UpdatePermissionSet: { action: 'update', risk: 'routine', writer: 'identity-center', eventReason: 'UpdatedPermissionSet' },
  DeletePermissionSet: { action: 'delete', risk: 'destructive', writer: 'identity-center', eventReason: 'DeletedPermissionSet' },
  ProvisionPermissionSet: { action: 'update', risk: 'routine', writer: 'identity-center', eventReason: 'ProvisionedPermissionSet' },
  CreateAccountAssignment: { action: 'update', risk: 'routine', writer: 'identity-center', eventReason: 'CreatedAccountAssignment' },
  DeleteAccountAssignment: { action: 'update', risk: 'destructive', writer: 'identity-center', eventReason: 'DeletedAccountAssignment' },
  PutRole: { action: (op) => (op.create ? 'create' : 'update'), risk: 'routine', writer: 'iam', eventReason: 'AppliedRole' },
  DeleteRole: { action: 'delete', risk: 'destructive', writer: 'iam', eventReason: 'DeletedRole' },
  // Resuming carries the risk of what it resumes (a closure stays destructive).
  ResumeWorkflow: { action: 'resume', risk: (op, ctx) => riskOf(op.resumes, ctx), writer: 'account-workflow', eventReason: 'ResumedWorkflow' },
  AdoptResource: { action: 'adopt', risk: 'routine', writer: 'organizations', eventReason: 'AdoptedResource' },
} satisfies { [K in OpName]: OpSpec<K> };

function specOf<K extends OpName>(op: Extract<Op, { op: K }>): OpSpec<K> {
  return OPS[op.op as K] as unknown as OpSpec<K>;
}

export function actionOf(op: Op): ResourceAction {
  const a = specOf(op).action;
  return typeof a === 'function' ? (a as (o: Op) => ResourceAction)(op) : a;
}

export function riskOf(op: Op, ctx: RiskContext = {}): Risk {
  const r = specOf(op).risk;
  return typeof r === 'function' ? (r as (o: Op, c: RiskContext) => Risk)(op, ctx) : r;
}

export const writerOf = (op: Op): Writer => specOf(op).writer;
export const eventReasonOf = (op: Op): string => specOf(op).eventReason;

/** Op kinds a writer family runs (derived from the table, so it cannot drift from it). */
export function opsOfWriter(...writers: Writer[]): ReadonlySet<OpName> {
  const names = Object.keys(OPS) as OpName[];
  return new Set(names.filter((n) => writers.includes(OPS[n].writer)));
}
