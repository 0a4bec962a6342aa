// The reconcile pipeline, top to bottom: desired -> actual -> diff -> plan -> apply -> status.
// The CLI and the Kubernetes controller both call `reconcile`; only aws/ does I/O on AWS.
import type { AnyResource, WorkflowStatus } from './api/schemas.js';
import { ANNOTATION_ADOPT, refKey } from './api/schemas.js';
import { abortMessage, withAbortSignal } from './aws/abort.js';
import type { AwsClients } from './aws/clients.js';
import { readOrganization, readTags } from './aws/read-org.js';
import { readAccess } from './aws/read-access.js';
import type { ActualOrg } from './model/actual.js';
import { buildDesired } from './model/build.js';
import type { DesiredOrg, ValidationError } from './model/desired.js';
import { validateAccess } from './model/validate-access.js';
import { deletionInputs } from './model/deletion-inputs.js';
import { matchedIds } from './plan/match.js';
import { planOrg } from './plan/diff.js';
import { planAccess } from './plan/access.js';
import type { Plan } from './plan/operations.js';
import { stampRisk } from './plan/risk.js';
import { orderPlanOps } from './plan/order.js';
import { actionOf, writerOf } from './plan/op-table.js';
import { accessDeletionUnits, isAccessDeletion, managedAccessCount } from './plan/access-deletions.js';
import { effectiveGuards, type Guards } from './plan/guards.js';
import { holdOrgWide } from './plan/org-wide.js';
import type { Op } from './plan/operations.js';
import { applyPlan, cancelWorkflows, type ApplyResult, type OpResult } from './apply/executor.js';
import { withStoredWorkflows, type CancelledWorkflow } from './plan/resume.js';
import { planImpact } from './plan/impact.js';
import { lintPlan } from './plan/lint.js';
import type { WorkflowStore } from './workflows/store.js';
import { accessStatus } from './status/access.js';
import { computeStatuses, type ComputedStatus, type IdIndex } from './status/compute.js';

export interface EngineEvent {
  resource: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReconcileOptions {
  clients: AwsClients;
  /** Ownership scope: one namespace (controller) or one manifest set (CLI) is one org graph. */
  namespace: string;
  workflowStore: WorkflowStore;
  /** false: read and plan only (orgplane plan). */
  apply: boolean;
  /** Plan and report, never write to AWS. */
  observeOnly?: boolean;
  concurrency?: number;
  /** Accounts whose pending migration a person approved. */
  approvedMigrations?: ReadonlySet<string>;
  /** Whether this exact move is approved (the controller's Approvals: resource, generation, from -> to). */
  approveMigration?: (op: Extract<Op, { op: 'MoveAccount' }>) => boolean;
  onEvent?: (e: EngineEvent) => void;
  now?: () => Date;
  /**
   * How long one run waits on account workflows (a slow CreateAccount, a closure) before it
   * reports them InProgress and returns; the next run resumes them. Unset: wait to the end (CLI).
   */
  workflowWaitMs?: number;
  /**
   * Aborted when the caller must stop (SIGTERM, Ctrl-C, the controller lost its Lease): every
   * AWS read under this reconcile fails at once, no op starts after it, ops in flight finish
   * and reconcile throws ReconcileAborted (or the read's AbortError).
   */
  signal?: AbortSignal;
  /** A plan the caller already computed (with `prepare`) and a person confirmed (CLI apply): applied as shown. */
  prepared?: Prepared;
  /** The operator's deletion guards (CLI / controller flags); manifests may only lower them. Unset: DEFAULT_GUARDS. */
  guards?: Partial<Guards>;
  /** Resources being deleted (the controller sets them from deletionTimestamp + finalizer). */
  deleting?: AnyResource[];
  /**
   * Whether an org-wide op (op risk 'org-wide') may run: the CLI's --allow-org-wide, the
   * controller's approval on the Organization. Unset: none may; refused ops and their dependents
   * are reported as blocked (OrgWideNotAllowed) and not run.
   */
  allowOrgWide?: (op: Op) => boolean;
}

/** What the operator (not the manifests) decides about a plan. */
export interface PlanAllOptions {
  guards?: Partial<Guards>;
  /**
   * Resources being deleted (controller: deletionTimestamp with orgplane's finalizer): what their
   * deletionPolicy asks for is planned. The CLI has none; it finds what it owns by AWS tags.
   */
  deleting?: AnyResource[];
}

/** A plan with the stored workflows put in it: resume ops, and the workflows it cancels. */
export type Prepared = Awaited<ReturnType<typeof planAll>> & { cancelled: CancelledWorkflow[] };

export interface ReconcileResult {
  desired: DesiredOrg;
  errors: ValidationError[];
  /** The plan computed from the snapshot read at the start. */
  plan: Plan;
  /** What is still to do after this run (equal to `plan` when nothing was applied). */
  pending: Plan;
  /** The organization as it is at the end. */
  actual: ActualOrg;
  applied: OpResult[];
  workflows: Record<string, WorkflowStatus | undefined>;
  statuses: Record<string, ComputedStatus>;
  events: EngineEvent[];
  ids: IdIndex;
}

/** A reconcile stopped by its signal during apply: what ran, and why it stopped. */
export class ReconcileAborted extends Error {
  override readonly name = 'ReconcileAborted';
  constructor(
    message: string,
    readonly applied: OpResult[],
  ) {
    super(message);
  }
}

/** Reads the organization and the extra detail this desired state needs, with as few calls as possible. */
export async function readActual(clients: AwsClients, resources: AnyResource[]): Promise<ActualOrg> {
  const actual = await readOrganization(clients);
  // Account tags cost one call per account: read them only where the answer matters — accounts
  // whose manifest sets tags or a deletion policy to record, and accounts no manifest names by
  // email (they may carry our ownership tag and a deletion policy from an earlier run).
  const wantTags = new Set<string>();
  const emails = new Map<string, AnyResource>();
  for (const r of resources) if (r.kind === 'Account') emails.set(String(r.spec.email).toLowerCase(), r);
  for (const a of Object.values(actual.accounts)) {
    if (a.id === actual.managementAccountId) continue;
    const r = emails.get(a.email.toLowerCase());
    if (r?.kind !== 'Account') wantTags.add(a.id);
    else if (Object.keys(r.spec.tags ?? {}).length || (r.spec.deletionPolicy ?? 'Retain') !== 'Retain') wantTags.add(a.id);
    // Found by email without an opt-in (spec.id, orgplane.io/adopt): whether it carries our
    // ownership tag decides if orgplane may write to it at all (explicit adoption). That only
    // matters when a plan writes to it, so the tags are read then (planAll), not here: a no-op
    // costs no extra call.
    else if (!r.spec.id && r.metadata.annotations?.[ANNOTATION_ADOPT] !== 'true') a.tagsDeferred = true;
  }
  for (const r of resources) if (r.kind === 'Account' && r.spec.id && actual.accounts[r.spec.id]) wantTags.add(r.spec.id);
  if (wantTags.size) {
    const tags = await readTags(clients, [...wantTags]);
    for (const [id, t] of Object.entries(tags)) if (actual.accounts[id]) actual.accounts[id].tags = t;
  }
  return actual;
}

function needsAccess(desired: DesiredOrg, resources: AnyResource[]): boolean {
  return (
    Object.keys(desired.permissionSets).length > 0 ||
    Object.keys(desired.roles).length > 0 ||
    resources.some((r) => r.kind === 'PermissionSet' || r.kind === 'CrossAccountRole')
  );
}

/** Desired + actual -> one plan (Organizations ops, then Identity Center / IAM ops). */
export async function planAll(
  resources: AnyResource[],
  clients: AwsClients,
  namespace: string,
  opts: PlanAllOptions = {},
): Promise<{ desired: DesiredOrg; errors: ValidationError[]; invalid: Set<string>; actual: ActualOrg; plan: Plan }> {
  const actual = await readActual(clients, resources);
  // Explicit adoption, lazily: accounts whose ownership is still unknown (tagsDeferred) and that
  // the Organizations part of the plan would write to get their tags read first, then the plan is
  // made again with them (repeated until no such write is left). Cheap: planOrg is pure.
  for (;;) {
    const built = buildDesired(resources, { actual, namespace });
    const pre = planOrg(built.desired, actual, { namespace, invalid: new Set(built.invalid) });
    if (!(await settleOwnership(clients, actual, pre.ops))) break;
  }
  for (;;) {
    const planned = await planFrom(resources, clients, namespace, opts, actual);
    // The final plan must not write to an account of unknown ownership either (the preliminary
    // pass above normally settled them all); if it would, settle and plan again.
    if (!(await settleOwnership(clients, actual, planned.plan.ops))) return planned;
    delete actual.access;
  }
}

/** Ops that write to Organizations objects (not Identity Center / IAM inside accounts). */
const writesOrganizations = (op: Op): boolean => writerOf(op) === 'organizations' || writerOf(op) === 'account-workflow';

/**
 * Reads the tags of accounts with deferred ownership (readActual) that `ops` write to, and puts
 * them in the snapshot. Returns whether any were read (then the plan must be made again).
 */
async function settleOwnership(clients: AwsClients, actual: ActualOrg, ops: readonly Op[]): Promise<boolean> {
  const deferred = Object.values(actual.accounts).filter((a) => a.tagsDeferred && a.tags === undefined);
  if (deferred.length === 0) return false;
  // An op mentioning the account id anywhere (target, parent, dependency, detail) counts: reading
  // one account's tags too many is cheap, writing to an account that is not ours is not.
  const mentioned = new Set<string>();
  for (const op of ops) {
    if (!writesOrganizations(op)) continue;
    // Every 12-digit window of every digit run: an id inside a longer number counts too.
    for (const run of JSON.stringify(op).match(/\d{12,}/g) ?? []) for (let i = 0; i + 12 <= run.length; i++) mentioned.add(run.slice(i, i + 12));
  }
  const touched = deferred.filter((a) => mentioned.has(a.id)).map((a) => a.id);
  if (touched.length === 0) return false;
  const tags = await readTags(clients, touched);
  for (const id of touched) {
    const a = actual.accounts[id];
    a.tags = tags[id] ?? {};
    delete a.tagsDeferred;
  }
  return true;
}

/** planAll on a snapshot already read. */
async function planFrom(
  resources: AnyResource[],
  clients: AwsClients,
  namespace: string,
  opts: PlanAllOptions,
  actual: ActualOrg,
): Promise<{ desired: DesiredOrg; errors: ValidationError[]; invalid: Set<string>; actual: ActualOrg; plan: Plan }> {
  const built = buildDesired(resources, { actual, namespace });
  const guards = operatorGuards(resources, opts.guards);
  built.desired.quotas.maxDeleteFraction = guards.guards.maxDeleteFraction;
  built.desired.quotas.maxAccountClosuresPerRun = guards.guards.maxAccountClosuresPerRun;
  const errors = [...built.errors];
  const invalid = new Set(built.invalid);
  const removal = deletionInputs(built.desired, opts.deleting ?? [], actual);
  if (needsAccess(built.desired, resources) || removal.removed.length > 0) {
    actual.access = await readAccess(clients, built.desired, actual, { knownRoles: removal.knownRoles, removedPermissionSets: removal.removedPermissionSets });
    for (const e of validateAccess(built.desired, { actual })) {
      errors.push(e);
      invalid.add(e.resource);
      // An invalid permission set or role must not be half-applied: drop it from the desired graph.
      const [kind, name] = e.resource.split('/');
      if (kind === 'PermissionSet') delete built.desired.permissionSets[name];
      if (kind === 'CrossAccountRole') delete built.desired.roles[name];
    }
  }
  // Access deletions go through the same circuit breaker as OU, account and SCP deletions: a
  // first, deletion-only pass of the (pure) access planner tells the breaker what would leave.
  const accessRemoval = { protectedKeys: invalid, removed: removal.removed };
  const accessDeletions = actual.access
    ? { units: accessDeletionUnits(planAccess(built.desired, actual, [], accessRemoval).ops), managed: managedAccessCount(actual.access) }
    : undefined;
  const plan = planOrg(built.desired, actual, { namespace, invalid, accessDeletions });
  if (actual.access) {
    // Access resources left out by validation or blocked by the planner keep what they own in AWS.
    const protectedKeys = new Set([...invalid, ...plan.blocked.map((b) => b.resource)]);
    const access = planAccess(built.desired, actual, plan.ops, { protectedKeys, removed: removal.removed });
    const tripped = plan.blocked.some((b) => b.reason === 'DeletionCircuitBreaker');
    const held = new Set(tripped ? access.ops.filter(isAccessDeletion).map((o) => o.id) : []);
    plan.ops.push(...access.ops.filter((o) => !held.has(o.id) && !o.deps.some((d) => held.has(d))));
    plan.blocked.push(...access.blocked);
    Object.assign(plan.drift, access.drift);
  }
  // One dependency order over Organizations and access ops: deletions after the structure (every
  // Organizations op) and after the other ops of their own resource.
  const structural = writesOrganizations;
  plan.ops = orderPlanOps(
    plan.ops,
    (op) => actionOf(op) === 'delete' || op.op === 'DeleteAccountAssignment',
    (deletion, other) => structural(other) || other.resource === deletion.resource,
  );
  plan.warnings.unshift(...guards.warnings);
  // Every op carries its risk class from the one op table, judged against the whole plan.
  stampRisk(plan.ops, actual);
  // What the plan changes in effective permissions, and policy lint: read-only views of the plan.
  plan.impact = await planImpact(actual, plan.ops);
  plan.lint = await lintPlan(built.desired, actual, plan.ops);
  return { desired: built.desired, errors, invalid, actual, plan };
}

/** The guards in force: the operator's, lowered (never raised) by what the Organization manifest sets explicitly. */
function operatorGuards(resources: AnyResource[], operator: Partial<Guards> | undefined): ReturnType<typeof effectiveGuards> {
  const org = resources.find((r): r is Extract<AnyResource, { kind: 'Organization' }> => r.kind === 'Organization');
  return effectiveGuards(
    operator,
    {
      maxDeleteFraction: org?.spec.deletion?.maxDeleteFraction,
      maxAccountClosuresPerRun: org?.spec.quotas?.maxAccountClosuresPerRun,
    },
    org ? refKey('Organization', org.metadata.name) : 'Organization',
  );
}

/** Resource key -> AWS id for every resource matched in the snapshot. */
export function indexIds(desired: DesiredOrg, actual: ActualOrg, namespace: string): IdIndex {
  const m = matchedIds(desired, actual, namespace);
  const ids: IdIndex = {};
  for (const [name, id] of Object.entries(m.ous)) ids[refKey('OrganizationalUnit', name)] = id;
  for (const [name, id] of Object.entries(m.accounts)) ids[refKey('Account', name)] = id;
  // m.policies is keyed like desired.policies (desiredPolicyKey); the resource key says the kind.
  for (const [k, id] of Object.entries(m.policies)) {
    const p = desired.policies[k];
    if (p) ids[p.key] = id;
  }
  for (const [name, ps] of Object.entries(desired.permissionSets)) {
    const found = Object.values(actual.access?.permissionSets ?? {}).find((p) => p.name === ps.name);
    if (found) ids[refKey('PermissionSet', name)] = found.arn;
  }
  if (desired.organization) ids[desired.organization.key] = actual.id;
  return ids;
}

/**
 * Plans, then puts the stored account workflows into the plan: a workflow resumes only as an op of
 * a plan that still asks for its outcome; the rest are listed as cancelled (plan/resume.ts).
 */
export async function prepare(
  resources: AnyResource[],
  opts: Pick<ReconcileOptions, 'clients' | 'namespace' | 'workflowStore' | 'guards' | 'deleting'>,
): Promise<Prepared> {
  const planned = await planAll(resources, opts.clients, opts.namespace, { guards: opts.guards, deleting: opts.deleting });
  const held = new Set([...planned.invalid, ...planned.plan.blocked.map((b) => b.resource)]);
  const { plan, cancelled } = withStoredWorkflows(planned.plan, await opts.workflowStore.load(), held);
  return { ...planned, plan, cancelled };
}

export function reconcile(resources: AnyResource[], opts: ReconcileOptions): Promise<ReconcileResult> {
  // Every AWS call below, however deep, sees the signal (aws/abort.ts).
  return opts.signal ? withAbortSignal(opts.signal, () => reconcileSteps(resources, opts)) : reconcileSteps(resources, opts);
}

async function reconcileSteps(resources: AnyResource[], opts: ReconcileOptions): Promise<ReconcileResult> {
  const now = opts.now ?? (() => new Date());
  const events: EngineEvent[] = [];
  const emit = (e: EngineEvent) => {
    events.push(e);
    opts.onEvent?.(e);
  };
  const writing = opts.apply && !opts.observeOnly;

  const prepared = opts.prepared ?? (await prepare(resources, opts));
  let { desired, errors, actual, plan } = prepared;
  // Stored workflows the plan does not ask for are forgotten (when writing) and reported; never run.
  await cancelWorkflows(prepared.cancelled, opts.workflowStore, { write: writing, onEvent: emit });
  for (const e of errors) emit({ resource: e.resource, type: 'Warning', reason: 'InvalidSpec', message: `${e.field}: ${e.message}` });
  for (const b of plan.blocked) emit({ resource: b.resource, type: 'Warning', reason: b.reason, message: b.message });

  let applied: ApplyResult | undefined;
  let pending = plan;
  // Org-wide ops run only when the operator allows them; the rest of the plan runs without them.
  const gate = holdOrgWide(plan.ops, opts.allowOrgWide ?? (() => false));
  if (writing) {
    for (const b of gate.blocked) emit({ resource: b.resource, type: 'Warning', reason: b.reason, message: b.message });
    plan = { ...plan, blocked: [...plan.blocked, ...gate.blocked] };
    pending = plan;
  }
  if (writing && gate.ops.length) {
    applied = await applyPlan(
      { ops: gate.ops },
      {
        clients: opts.clients,
        workflowStore: opts.workflowStore,
        concurrency: opts.concurrency,
        closuresAllowed: desired.quotas.maxAccountClosuresPerRun,
        approvedMigrations: opts.approvedMigrations,
        approveMove: opts.approveMigration,
        onEvent: emit,
        workflow: { waitBudgetMs: opts.workflowWaitMs },
        signal: opts.signal,
      },
    );
    // A stopped run reads nothing more: the next run (or the new leader) reads afresh.
    if (opts.signal?.aborted) throw new ReconcileAborted(`reconcile stopped: ${abortMessage(opts.signal)}`, applied.results);
    // Status reports what is true now, so read again and re-plan: what remains is pending.
    const after = await prepare(resources, opts);
    ({ desired, errors, actual } = after);
    pending = { ...after.plan, blocked: [...after.plan.blocked, ...gate.blocked] };
  }
  const workflows = await opts.workflowStore.load();
  const ids = indexIds(desired, actual, opts.namespace);
  const statuses = computeStatuses({
    resources,
    errors,
    pending,
    results: applied?.results ?? [],
    ids,
    actual,
    workflows,
    observeOnly: !!opts.observeOnly,
    extra: actual.access ? accessStatus(desired, actual, applied?.results ?? []) : undefined,
    now: now().toISOString(),
  });
  return { desired, errors, plan, pending, actual, applied: applied?.results ?? [], workflows, statuses, events, ids };
}
