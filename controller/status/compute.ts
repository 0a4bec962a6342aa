// What each resource's status should say after a reconcile: pure, from the validation errors,
// the plan still pending (re-planned after apply, so it is the truth, not a hope), this run's op
// results, the live snapshot and the workflows. kube/ writes it to the status subresource; the
// CLI prints the same conditions.
import { isScp } from '../model/policy-types.js';
import type { AnyResource, Condition, Kind, WorkflowStatus } from '../api/schemas.js';
import { refKey } from '../api/schemas.js';
import type { ActualOrg } from '../model/actual.js';
import type { ValidationError } from '../model/desired.js';
import type { Op, Plan } from '../plan/operations.js';
import { mergeConditions, type ConditionInput } from './conditions.js';
import { isFinished } from '../workflows/runner.js';

export interface OpResultLike {
  opId: string;
  op: Op;
  resource: string;
  status: 'succeeded' | 'failed' | 'skipped';
  error?: string;
  retryable?: boolean;
  /** For skipped ops: why ('AwaitingApproval', 'DependencyFailed', ...). */
  reason?: string;
}

/** Resource key -> AWS id (OU/account/policy id, or permission set ARN) it is matched to now. */
export type IdIndex = Record<string, string>;

export interface StatusInputs {
  resources: AnyResource[];
  errors: ValidationError[];
  /** Ops still needed after this run (what a fresh plan says now). */
  pending: Plan;
  results: OpResultLike[];
  ids: IdIndex;
  actual: ActualOrg;
  workflows: Record<string, WorkflowStatus | undefined>;
  observeOnly: boolean;
  /** Kind-specific fields computed elsewhere (permission sets, roles). */
  extra?: Record<string, Record<string, unknown>>;
  now: string;
}

export type ComputedStatus = Record<string, unknown> & { conditions: Condition[]; observedGeneration?: number };

const THROTTLE_CODE = /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/;

const WORKFLOW_REASON: Record<string, string> = { create: 'Creating', migrate: 'Migrating', close: 'Closing', remove: 'Removing' };

function pathOf(actual: ActualOrg, id: string): string {
  const names: string[] = [];
  let cur = actual.ous[id];
  while (cur) {
    names.unshift(cur.name);
    cur = actual.ous[cur.parentId];
  }
  return ['Root', ...names].join('/');
}

function awsFields(kind: Kind, id: string | undefined, actual: ActualOrg): Record<string, unknown> {
  if (!id) return {};
  switch (kind) {
    case 'OrganizationalUnit': {
      const ou = actual.ous[id];
      if (!ou) return { id };
      const accounts = Object.values(actual.accounts).filter((a) => a.parentId === id).length;
      return { id, arn: ou.arn, parentId: ou.parentId, path: pathOf(actual, id), accounts };
    }
    case 'Account': {
      const a = actual.accounts[id];
      if (!a) return { id };
      const ou = actual.ous[a.parentId];
      return { id, arn: a.arn, state: a.state, parentId: a.parentId, ou: ou ? ou.name : 'Root', effectivePolicies: effectivePolicies(actual, id) };
    }
    case 'ServiceControlPolicy': {
      const p = actual.policies[id];
      if (!p) return { id };
      return { id, arn: p.arn, attachedTo: p.targets?.length ?? 0, size: p.content.length };
    }
    case 'ResourceControlPolicy':
    case 'ManagementPolicy': {
      const p = actual.policies[id];
      if (!p) return { id };
      return { id, arn: p.arn, type: p.type, attachedTo: p.targets?.length ?? 0, size: p.content.length };
    }
    default:
      return {};
  }
}

/** SCP names that apply to an account: attached to it, its OUs up the path, or the root. */
export function effectivePolicies(actual: ActualOrg, accountId: string): string[] {
  const chain = new Set<string>([accountId, actual.root.id]);
  let parent = actual.accounts[accountId]?.parentId;
  while (parent && actual.ous[parent]) {
    chain.add(parent);
    parent = actual.ous[parent].parentId;
  }
  return Object.values(actual.policies)
    .filter((p) => isScp(p) && p.targets?.some((t) => chain.has(t)))
    .map((p) => p.name)
    .sort();
}

export function computeStatuses(input: StatusInputs): Record<string, ComputedStatus> {
  const errorsBy = group(input.errors, (e) => e.resource);
  const pendingBy = group(input.pending.ops, (o) => o.resource);
  const blockedBy = group(input.pending.blocked, (b) => b.resource);
  const failedBy = group(
    input.results.filter((r) => r.status === 'failed'),
    (r) => r.resource,
  );
  const skippedBy = group(
    input.results.filter((r) => r.status === 'skipped'),
    (r) => r.resource,
  );

  const out: Record<string, ComputedStatus> = {};
  for (const r of input.resources) {
    const key = refKey(r.kind, r.metadata.name);
    const id = input.ids[key];
    const generation = r.metadata.generation;
    const errors = errorsBy.get(key) ?? [];
    const failed = failedBy.get(key) ?? [];
    const pending = pendingBy.get(key) ?? [];
    const blocked = blockedBy.get(key) ?? [];
    const skipped = skippedBy.get(key) ?? [];
    const workflow = input.workflows[key];

    const synced = syncedCondition(input, r, key, { errors, blocked, failed, pending, skipped });

    // Finished workflows keep their last snapshot (phase Succeeded/Failed): judge by the snapshot.
    const inFlight = workflow && !isFinished(workflow);
    const progressing: ConditionInput = inFlight
      ? {
          type: 'Progressing',
          status: 'True',
          reason: WORKFLOW_REASON[workflow.kind] ?? 'Working',
          message: workflow.message ?? `${workflow.kind}: ${workflow.phase}`,
        }
      : { type: 'Progressing', status: 'False', reason: 'Idle', message: 'no workflow running' };

    const ready = readyCondition(input, r, key, errors, workflow);

    const status: ComputedStatus = {
      ...awsFields(r.kind, id, input.actual),
      ...(input.extra?.[key] ?? {}),
      conditions: mergeConditions(r.status?.conditions, [ready, synced, progressing], generation, input.now),
      lastSyncTime: input.now,
    };
    if (generation !== undefined) status.observedGeneration = generation;
    if (r.kind === 'Account') status.workflow = workflow ?? null;
    if (r.kind === 'Organization') {
      Object.assign(status, {
        id: input.actual.id,
        arn: input.actual.arn,
        rootId: input.actual.root.id,
        managementAccountId: input.actual.managementAccountId,
        unmanaged: input.pending.unmanaged,
        pendingChanges: input.pending.ops.length,
      });
    }
    out[key] = status;
  }
  return out;
}

/** One resource's share of the validation errors, blocked ops, results and pending ops. */
interface ByResource {
  errors: ValidationError[];
  blocked: Plan['blocked'];
  failed: OpResultLike[];
  pending: Plan['ops'];
  skipped: OpResultLike[];
}

/** Synced: the first of invalid spec, blocked, failed, observe-only, awaiting approval, dependency failed, pending; else in sync. */
function syncedCondition(input: StatusInputs, r: AnyResource, key: string, { errors, blocked, failed, pending, skipped }: ByResource): ConditionInput {
  let synced: ConditionInput;
  if (errors.length) {
    synced = { type: 'Synced', status: 'False', reason: 'InvalidSpec', message: errors.map((e) => `${e.field}: ${e.message}`).join('; ') };
  } else if (blocked.length) {
    synced = { type: 'Synced', status: 'False', reason: blocked[0].reason, message: blocked.map((b) => b.message).join('; ') };
  } else if (failed.length) {
    // Throttled only when AWS said so; other failures a retry can fix (5xx, resets, a workflow
    // still running) are RetryableError; the rest need a spec change (ReconcileError).
    const reason = !failed.every((f) => f.retryable)
      ? 'ReconcileError'
      : failed.every((f) => THROTTLE_CODE.test(f.reason ?? ''))
        ? 'Throttled'
        : 'RetryableError';
    synced = { type: 'Synced', status: 'False', reason, message: failed.map((f) => `${f.op.op}: ${f.error ?? 'failed'}`).join('; ') };
  } else if (pending.length && input.observeOnly) {
    synced = {
      type: 'Synced',
      status: 'False',
      reason: 'ObserveOnly',
      message: `${pending.length} change(s) pending; observe-only mode writes nothing: ${pending.map((o) => o.summary).join('; ')}`,
    };
  } else if (pending.length && skipped.some((s) => s.reason === 'AwaitingApproval')) {
    synced = {
      type: 'Synced',
      status: 'False',
      reason: 'AwaitingApproval',
      message: `${pending.map((o) => o.summary).join('; ')}: approve with the orgplane.io/approve-migration annotation (or orgplane apply --approve-migration ${r.metadata.name})`,
    };
  } else if (skipped.length && pending.length) {
    synced = { type: 'Synced', status: 'False', reason: 'DependencyFailed', message: skipped.map((s) => s.error ?? `${s.op.op} skipped`).join('; ') };
  } else if (pending.length) {
    synced = { type: 'Synced', status: 'False', reason: 'ChangesPending', message: pending.map((o) => o.summary).join('; ') };
  } else {
    const drift = input.pending.drift[key];
    synced = {
      type: 'Synced',
      status: 'True',
      reason: 'ReconcileSuccess',
      message: drift?.length ? `drift corrected: ${drift.join('; ')}` : 'AWS matches the spec',
    };
  }
  return synced;
}

/** Ready: whether the AWS object exists and is usable (for a role: in every target account). */
function readyCondition(input: StatusInputs, r: AnyResource, key: string, errors: ValidationError[], workflow: WorkflowStatus | undefined): ConditionInput {
  const id = input.ids[key];
  const exists = id !== undefined;
  const inFlight = workflow && !isFinished(workflow);
  const account = r.kind === 'Account' && id ? input.actual.accounts[id] : undefined;
  const roleRows = r.kind === 'CrossAccountRole' ? ((input.extra?.[key]?.roles as { account: string; error?: string }[] | undefined) ?? []) : undefined;
  const roleFailures = roleRows?.filter((x) => x.error) ?? [];
  let ready: ConditionInput;
  if (roleRows && !errors.length) {
    // A role is one resource in many accounts: usable only where it exists, so Ready says how many.
    ready =
      roleRows.length && !roleFailures.length
        ? { type: 'Ready', status: 'True', reason: 'Available', message: `role in place in ${roleRows.length} account(s)` }
        : {
            type: 'Ready',
            status: 'False',
            reason: roleRows.length ? 'PartiallyAvailable' : 'NoTargets',
            message: roleRows.length ? roleFailures.map((x) => `${x.account}: ${x.error}`).join('; ') : 'no target account',
          };
  } else if (errors.length && !exists) ready = { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'the spec is invalid; nothing was created' };
  else if (account && account.state !== 'ACTIVE') ready = { type: 'Ready', status: 'False', reason: 'Unavailable', message: `account is ${account.state}` };
  else if (exists) ready = { type: 'Ready', status: 'True', reason: 'Available', message: `${r.kind} ${id} exists in AWS` };
  else if (inFlight) ready = { type: 'Ready', status: 'False', reason: 'Creating', message: workflow.message ?? 'being created' };
  else ready = { type: 'Ready', status: 'False', reason: 'Unavailable', message: 'not present in AWS yet' };
  return ready;
}

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const l = m.get(k);
    if (l) l.push(i);
    else m.set(k, [i]);
  }
  return m;
}
