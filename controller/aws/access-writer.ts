// Runs one Identity Center or IAM role operation. Every op is idempotent: it reads what is there
// first where AWS would otherwise duplicate or fail (assignments, attachments, roles), so a retried
// or resumed plan converges instead of erroring.
import Bottleneck from 'bottleneck';
import {
  CreatePermissionSetCommand,
  UpdatePermissionSetCommand,
  DeletePermissionSetCommand,
  DescribePermissionSetCommand,
  ListPermissionSetsCommand,
  ProvisionPermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  ListAccountAssignmentsCommand,
  AttachManagedPolicyToPermissionSetCommand,
  DetachManagedPolicyFromPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  DetachCustomerManagedPolicyReferenceFromPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  PutPermissionsBoundaryToPermissionSetCommand,
  DeletePermissionsBoundaryFromPermissionSetCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  TagResourceCommand as SsoTagResourceCommand,
  UntagResourceCommand as SsoUntagResourceCommand,
  ListTagsForResourceCommand as SsoListTagsCommand,
  type SSOAdminClient,
  type StatusValues,
} from '@aws-sdk/client-sso-admin';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  DeleteRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  DeleteRolePermissionsBoundaryCommand,
  TagRoleCommand,
  UntagRoleCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { AwsClients } from './clients.js';
import { isAmbiguousFailure } from './errors.js';
import type { AccessOp, IdRef, OpOutcome, PermissionSetBody, RoleBody } from '../plan/operations.js';
import { readRole, isNotFound, optionalCall, errorText } from './read-access.js';
import { normalizeDuration } from '../plan/access.js';
import { samePolicy } from '../model/policy-json.js';

export interface AccessWriterOptions {
  /** Attempts for AssumeRole into a just-created account (IAM eventual consistency). */
  assumeAttempts?: number;
  assumeBaseDelayMs?: number;
  /** Delay between polls of an IN_PROGRESS Identity Center request. */
  pollDelayMs?: number;
  pollTimeoutMs?: number;
}

/**
 * A failure a later attempt can fix without a spec change (the access role of a new account is
 * not usable yet): the engine reports the resource as Progressing and tries again next run.
 */
export class AccessRetryableError extends Error {
  override readonly name = 'AccessRetryableError';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Identity Center allows about 10 outstanding assignment operations per instance: one limiter
// per clients object keeps us under it whatever the executor's concurrency.
const assignmentLimiters = new WeakMap<object, Bottleneck>();
function assignmentLimiter(clients: AwsClients): Bottleneck {
  let l = assignmentLimiters.get(clients);
  if (!l) {
    l = new Bottleneck({ maxConcurrent: 10 });
    assignmentLimiters.set(clients, l);
  }
  return l;
}

const idOf = (r: IdRef, resolve: (r: IdRef) => string): string => ('id' in r ? r.id : resolve(r));

export async function executeAccessOp(clients: AwsClients, op: AccessOp, resolve: (r: IdRef) => string, opts: AccessWriterOptions = {}): Promise<OpOutcome> {
  switch (op.op) {
    case 'CreatePermissionSet':
      return createPermissionSet(clients, op.instanceArn, op.spec, op.tags, opts);
    case 'UpdatePermissionSet':
      return updatePermissionSet(clients, op.instanceArn, op.permissionSetArn, op.spec, op.tags);
    case 'DeletePermissionSet':
      return deletePermissionSet(clients.ssoAdmin, op.instanceArn, op.permissionSetArn);
    case 'ProvisionPermissionSet': {
      const arn = idOf(op.permissionSet, resolve);
      const accounts = op.accounts.map((a) => idOf(a, resolve));
      return provision(clients.ssoAdmin, op.instanceArn, arn, op.allProvisioned ? undefined : accounts, opts);
    }
    case 'CreateAccountAssignment': {
      const arn = idOf(op.permissionSet, resolve);
      const accountId = idOf(op.account, resolve);
      return assignmentLimiter(clients).schedule(() =>
        createAssignment(clients.ssoAdmin, op.instanceArn, arn, accountId, op.principalType, op.principalId, opts),
      );
    }
    case 'DeleteAccountAssignment':
      return assignmentLimiter(clients).schedule(() =>
        deleteAssignment(clients.ssoAdmin, op.instanceArn, op.permissionSetArn, op.accountId, op.principalType, op.principalId, opts),
      );
    case 'PutRole': {
      const accountId = idOf(op.account, resolve);
      const iam = await accountIam(clients, accountId, op.accessRoleName, opts);
      return putRole(iam, accountId, resolveTrust(op.role, resolve));
    }
    case 'DeleteRole': {
      const iam = await accountIam(clients, op.accountId, op.accessRoleName, opts);
      return deleteRole(iam, op.roleName);
    }
  }
}

// ---- permission sets ---------------------------------------------------------------------------

async function findPermissionSet(sso: SSOAdminClient, instanceArn: string, name: string): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const r = await sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, NextToken: token }));
    for (const arn of r.PermissionSets ?? []) {
      const d = await sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }));
      if (d.PermissionSet?.Name === name) return arn;
    }
    token = r.NextToken;
  } while (token);
  return undefined;
}

async function createPermissionSet(
  clients: AwsClients,
  instanceArn: string,
  spec: PermissionSetBody,
  tags: Record<string, string>,
  opts: AccessWriterOptions,
): Promise<OpOutcome> {
  void opts;
  const sso = clients.ssoAdmin;
  let arn: string | undefined;
  let adopted = false;
  try {
    const r = await sso.send(
      new CreatePermissionSetCommand({
        InstanceArn: instanceArn,
        Name: spec.name,
        Description: spec.description || undefined,
        SessionDuration: normalizeDuration(spec.sessionDuration),
        RelayState: spec.relayState || undefined,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    arn = r.PermissionSet?.PermissionSetArn;
  } catch (e) {
    // A crashed earlier run may have created it (ConflictException), or this very request did
    // before its answer was lost (ambiguous failure): adopt it by name, unique per instance.
    const ambiguous = isAmbiguousFailure(e);
    if (!/ConflictException/.test(errorText(e)) && !ambiguous) throw e;
    if (ambiguous && !(await findPermissionSet(sso, instanceArn, spec.name))) throw e;
  }
  if (!arn) {
    arn = await findPermissionSet(sso, instanceArn, spec.name);
    adopted = true;
    if (!arn) throw new Error(`permission set ${spec.name}: CreatePermissionSet returned no ARN and none is listed`);
  }
  const notes = await syncPermissionSetContent(clients, instanceArn, arn, spec);
  if (adopted) notes.unshift(`adopted existing permission set ${arn}`);
  return { createdId: arn, arn, message: notes.length ? notes.join('; ') : undefined };
}

async function updatePermissionSet(
  clients: AwsClients,
  instanceArn: string,
  arn: string,
  spec: PermissionSetBody,
  tags?: Record<string, string>,
): Promise<OpOutcome> {
  const sso = clients.ssoAdmin;
  const d = (await sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }))).PermissionSet ?? {};
  if (
    (d.Description ?? '') !== spec.description ||
    normalizeDuration(d.SessionDuration as string | number | undefined) !== normalizeDuration(spec.sessionDuration) ||
    (d.RelayState ?? '') !== spec.relayState
  ) {
    await sso.send(
      new UpdatePermissionSetCommand({
        InstanceArn: instanceArn,
        PermissionSetArn: arn,
        Description: spec.description || undefined,
        SessionDuration: normalizeDuration(spec.sessionDuration),
        RelayState: spec.relayState || undefined,
      }),
    );
  }
  const notes = await syncPermissionSetContent(clients, instanceArn, arn, spec);
  if (tags) notes.push(...(await syncPermissionSetTags(clients, instanceArn, arn, tags)));
  return { arn, message: notes.length ? notes.join('; ') : undefined };
}

/** Policies, inline policy and boundary: made equal to the spec, reading what is there first. */
async function syncPermissionSetContent(clients: AwsClients, instanceArn: string, arn: string, spec: PermissionSetBody): Promise<string[]> {
  const sso = clients.ssoAdmin;
  const base = { InstanceArn: instanceArn, PermissionSetArn: arn };
  const notes: string[] = [];

  const managed = (await sso.send(new ListManagedPoliciesInPermissionSetCommand(base))).AttachedManagedPolicies ?? [];
  const haveManaged = new Set(managed.map((m) => m.Arn ?? ''));
  for (const p of spec.managedPolicies) {
    if (!haveManaged.has(p)) await sso.send(new AttachManagedPolicyToPermissionSetCommand({ ...base, ManagedPolicyArn: p }));
  }
  for (const p of haveManaged) {
    if (p && !spec.managedPolicies.includes(p)) await sso.send(new DetachManagedPolicyFromPermissionSetCommand({ ...base, ManagedPolicyArn: p }));
  }

  const customer = (await sso.send(new ListCustomerManagedPolicyReferencesInPermissionSetCommand(base))).CustomerManagedPolicyReferences ?? [];
  const cmKey = (c: { name: string; path: string }) => `${c.path || '/'}${c.name}`;
  const haveCustomer = new Map(customer.map((c) => [cmKey({ name: c.Name ?? '', path: c.Path ?? '/' }), c]));
  const wantCustomer = new Set(spec.customerManagedPolicies.map(cmKey));
  for (const c of spec.customerManagedPolicies) {
    if (!haveCustomer.has(cmKey(c))) {
      await sso.send(
        new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({ ...base, CustomerManagedPolicyReference: { Name: c.name, Path: c.path || '/' } }),
      );
    }
  }
  for (const [k, c] of haveCustomer) {
    if (!wantCustomer.has(k)) {
      await sso.send(
        new DetachCustomerManagedPolicyReferenceFromPermissionSetCommand({ ...base, CustomerManagedPolicyReference: { Name: c.Name, Path: c.Path } }),
      );
    }
  }

  const inline = (await sso.send(new GetInlinePolicyForPermissionSetCommand(base))).InlinePolicy ?? '';
  if (spec.inlinePolicy && !samePolicy(spec.inlinePolicy, inline)) {
    await sso.send(new PutInlinePolicyToPermissionSetCommand({ ...base, InlinePolicy: spec.inlinePolicy }));
  } else if (!spec.inlinePolicy && inline) {
    await sso.send(new DeleteInlinePolicyFromPermissionSetCommand(base));
  }

  // Permissions boundary: an endpoint without the calls (moto) is reported, not worked around.
  const b = spec.permissionsBoundary;
  if (b && (b.managedPolicyArn || b.customerManagedPolicy)) {
    const put = await optionalCall(clients, 'SSOAdmin:PutPermissionsBoundaryToPermissionSet', () =>
      sso.send(
        new PutPermissionsBoundaryToPermissionSetCommand({
          ...base,
          PermissionsBoundary: b.managedPolicyArn
            ? { ManagedPolicyArn: b.managedPolicyArn }
            : { CustomerManagedPolicyReference: { Name: b.customerManagedPolicy!.name, Path: b.customerManagedPolicy!.path || '/' } },
        }),
      ),
    );
    if (!put) notes.push('permissions boundary not applied: the endpoint does not implement PutPermissionsBoundaryToPermissionSet');
  } else {
    const cur = await optionalCall(clients, 'SSOAdmin:GetPermissionsBoundaryForPermissionSet', () =>
      sso.send(new GetPermissionsBoundaryForPermissionSetCommand(base)).then(
        (r) => r.PermissionsBoundary,
        (e: unknown) => {
          if (isNotFound(e)) return undefined;
          throw e;
        },
      ),
    );
    if (cur?.value) await sso.send(new DeletePermissionsBoundaryFromPermissionSetCommand(base));
  }
  return notes;
}

async function syncPermissionSetTags(clients: AwsClients, instanceArn: string, arn: string, tags: Record<string, string>): Promise<string[]> {
  const sso = clients.ssoAdmin;
  const have = await optionalCall(
    clients,
    'SSOAdmin:ListTagsForResource',
    async () => (await sso.send(new SsoListTagsCommand({ InstanceArn: instanceArn, ResourceArn: arn }))).Tags ?? [],
  );
  if (!have) return ['tags not updated: the endpoint does not implement ListTagsForResource'];
  const extra = have.value.map((t) => t.Key ?? '').filter((k) => k && !(k in tags));
  if (extra.length) await sso.send(new SsoUntagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, TagKeys: extra }));
  await sso.send(new SsoTagResourceCommand({ InstanceArn: instanceArn, ResourceArn: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  return [];
}

async function deletePermissionSet(sso: SSOAdminClient, instanceArn: string, arn: string): Promise<OpOutcome> {
  try {
    await sso.send(new DeletePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }));
  } catch (e) {
    if (isNotFound(e)) return { arn, message: 'already deleted' };
    throw e;
  }
  return { arn };
}

/** Polls while a request says IN_PROGRESS; never when the first answer is final. */
async function waitFor(
  first: { Status?: StatusValues | string; FailureReason?: string },
  describe: () => Promise<{ Status?: StatusValues | string; FailureReason?: string }>,
  what: string,
  opts: AccessWriterOptions,
): Promise<void> {
  let s = first;
  const deadline = Date.now() + (opts.pollTimeoutMs ?? 300_000);
  let delay = opts.pollDelayMs ?? 1000;
  while (s.Status === 'IN_PROGRESS') {
    if (Date.now() > deadline) throw new AccessRetryableError(`${what}: still IN_PROGRESS after ${Math.round((opts.pollTimeoutMs ?? 300_000) / 1000)}s`);
    await sleep(delay);
    delay = Math.min(delay * 2, 10_000);
    s = await describe();
  }
  if (s.Status === 'FAILED') throw new Error(`${what} failed: ${s.FailureReason ?? 'no reason given'}`);
}

async function provision(sso: SSOAdminClient, instanceArn: string, arn: string, accounts: string[] | undefined, opts: AccessWriterOptions): Promise<OpOutcome> {
  const targets: ({ TargetType: 'ALL_PROVISIONED_ACCOUNTS' } | { TargetType: 'AWS_ACCOUNT'; TargetId: string })[] =
    accounts === undefined ? [{ TargetType: 'ALL_PROVISIONED_ACCOUNTS' }] : accounts.map((id) => ({ TargetType: 'AWS_ACCOUNT' as const, TargetId: id }));
  for (const t of targets) {
    const r = await sso.send(new ProvisionPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, ...t }));
    const st = r.PermissionSetProvisioningStatus ?? {};
    await waitFor(
      st,
      async () =>
        (
          await sso.send(
            new DescribePermissionSetProvisioningStatusCommand({
              InstanceArn: instanceArn,
              ProvisionPermissionSetRequestId: st.RequestId,
            }),
          )
        ).PermissionSetProvisioningStatus ?? {},
      `provisioning ${arn}`,
      opts,
    );
  }
  return { arn, message: accounts === undefined ? 'provisioned to all provisioned accounts' : `provisioned to ${accounts.join(', ')}` };
}

async function hasAssignment(sso: SSOAdminClient, instanceArn: string, arn: string, accountId: string, type: string, principalId: string): Promise<boolean> {
  let token: string | undefined;
  do {
    const r = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: accountId, PermissionSetArn: arn, NextToken: token }));
    if ((r.AccountAssignments ?? []).some((a) => a.PrincipalType === type && a.PrincipalId === principalId)) return true;
    token = r.NextToken;
  } while (token);
  return false;
}

async function createAssignment(
  sso: SSOAdminClient,
  instanceArn: string,
  arn: string,
  accountId: string,
  type: 'GROUP' | 'USER',
  principalId: string,
  opts: AccessWriterOptions,
): Promise<OpOutcome> {
  // Never a duplicate: a resumed or retried op finds the assignment already there.
  if (await hasAssignment(sso, instanceArn, arn, accountId, type, principalId)) return { message: 'assignment already exists' };
  let st;
  try {
    st =
      (
        await sso.send(
          new CreateAccountAssignmentCommand({
            InstanceArn: instanceArn,
            PermissionSetArn: arn,
            TargetId: accountId,
            TargetType: 'AWS_ACCOUNT',
            PrincipalType: type,
            PrincipalId: principalId,
          }),
        )
      ).AccountAssignmentCreationStatus ?? {};
  } catch (e) {
    if (/ConflictException/.test(errorText(e))) return { message: 'assignment already exists (ConflictException)' };
    // The answer was lost, not necessarily the request: look before anyone sends it again.
    if (isAmbiguousFailure(e) && (await hasAssignment(sso, instanceArn, arn, accountId, type, principalId))) {
      return { message: 'assignment was created by a request whose answer was lost' };
    }
    throw e;
  }
  const requestId = st.RequestId;
  await waitFor(
    st,
    async () =>
      (
        await sso.send(
          new DescribeAccountAssignmentCreationStatusCommand({
            InstanceArn: instanceArn,
            AccountAssignmentCreationRequestId: requestId,
          }),
        )
      ).AccountAssignmentCreationStatus ?? {},
    `assignment of ${arn} in ${accountId}`,
    opts,
  );
  return {};
}

async function deleteAssignment(
  sso: SSOAdminClient,
  instanceArn: string,
  arn: string,
  accountId: string,
  type: 'GROUP' | 'USER',
  principalId: string,
  opts: AccessWriterOptions,
): Promise<OpOutcome> {
  let st;
  try {
    st =
      (
        await sso.send(
          new DeleteAccountAssignmentCommand({
            InstanceArn: instanceArn,
            PermissionSetArn: arn,
            TargetId: accountId,
            TargetType: 'AWS_ACCOUNT',
            PrincipalType: type,
            PrincipalId: principalId,
          }),
        )
      ).AccountAssignmentDeletionStatus ?? {};
  } catch (e) {
    if (isNotFound(e)) return { message: 'assignment already gone' };
    throw e;
  }
  const requestId = st.RequestId;
  await waitFor(
    st,
    async () =>
      (
        await sso.send(
          new DescribeAccountAssignmentDeletionStatusCommand({
            InstanceArn: instanceArn,
            AccountAssignmentDeletionRequestId: requestId,
          }),
        )
      ).AccountAssignmentDeletionStatus ?? {},
    `removal of ${arn} from ${accountId}`,
    opts,
  );
  // Duplicates (possible on endpoints that do not dedupe) go too.
  if (await hasAssignment(sso, instanceArn, arn, accountId, type, principalId)) {
    return deleteAssignment(sso, instanceArn, arn, accountId, type, principalId, opts);
  }
  return {};
}

// ---- cross-account roles -----------------------------------------------------------------------

/** Errors of AssumeRole into an account whose access role is not usable yet (new account). */
const EVENTUAL = /AccessDenied|InvalidClientTokenId|NoSuchEntity|not authorized/i;

async function accountIam(clients: AwsClients, accountId: string, accessRoleName: string, opts: AccessWriterOptions): Promise<IAMClient> {
  const attempts = opts.assumeAttempts ?? 4;
  let delay = opts.assumeBaseDelayMs ?? 2000;
  for (let i = 1; ; i++) {
    try {
      return (await clients.forAccount(accountId, accessRoleName)).iam;
    } catch (e) {
      const text = errorText(e);
      if (!EVENTUAL.test(text)) throw e;
      if (i >= attempts) {
        throw new AccessRetryableError(
          `cannot assume ${accessRoleName} in account ${accountId} yet (IAM is eventually consistent after account creation; retrying next reconcile): ${text}`,
          { cause: e },
        );
      }
      await sleep(Math.floor(delay * (0.5 + Math.random() / 2)));
      delay *= 2;
    }
  }
}

/** Replaces "{{Account/<name>}}" placeholders with the ids of accounts created in the same plan. */
export function resolveTrust(role: RoleBody, resolve: (r: IdRef) => string): RoleBody {
  const trustPolicy = role.trustPolicy.replace(/\{\{(Account\/[^}]+)\}\}/g, (_, ref: string) => resolve({ ref }));
  return { ...role, trustPolicy };
}

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Create or update the role so that it matches the body exactly (attachments are exclusive). */
export async function putRole(iam: IAMClient, accountId: string, body: RoleBody): Promise<OpOutcome> {
  let have = await readRole(iam, accountId, body.roleName);
  const notes: string[] = [];
  if (have && have.path !== body.path) {
    // IAM cannot move a role to another path: replace it.
    await deleteRole(iam, body.roleName);
    notes.push(`recreated to change path ${have.path} -> ${body.path}`);
    have = undefined;
  }
  if (!have) {
    const r = await iam.send(
      new CreateRoleCommand({
        RoleName: body.roleName,
        Path: body.path,
        AssumeRolePolicyDocument: body.trustPolicy,
        Description: body.description || undefined,
        MaxSessionDuration: body.maxSessionDuration,
        PermissionsBoundary: body.permissionsBoundary,
        Tags: tagList(body.tags),
      }),
    );
    have = {
      accountId,
      roleName: body.roleName,
      path: body.path,
      arn: r.Role?.Arn ?? '',
      description: body.description,
      trustPolicy: body.trustPolicy,
      managedPolicyArns: [],
      inlinePolicies: {},
      permissionsBoundary: body.permissionsBoundary,
      maxSessionDuration: body.maxSessionDuration,
      tags: body.tags,
    };
  } else {
    if (!samePolicy(have.trustPolicy, body.trustPolicy)) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: body.roleName, PolicyDocument: body.trustPolicy }));
    }
    if (have.description !== body.description || have.maxSessionDuration !== body.maxSessionDuration) {
      await iam.send(new UpdateRoleCommand({ RoleName: body.roleName, Description: body.description, MaxSessionDuration: body.maxSessionDuration }));
    }
    if ((have.permissionsBoundary ?? '') !== (body.permissionsBoundary ?? '')) {
      if (body.permissionsBoundary)
        await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: body.roleName, PermissionsBoundary: body.permissionsBoundary }));
      else await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: body.roleName }));
    }
    const extraTags = Object.keys(have.tags).filter((k) => !(k in body.tags));
    if (extraTags.length) await iam.send(new UntagRoleCommand({ RoleName: body.roleName, TagKeys: extraTags }));
    if (Object.entries(body.tags).some(([k, v]) => have!.tags[k] !== v)) {
      await iam.send(new TagRoleCommand({ RoleName: body.roleName, Tags: tagList(body.tags) }));
    }
  }
  for (const arn of body.managedPolicyArns) {
    if (!have.managedPolicyArns.includes(arn)) await iam.send(new AttachRolePolicyCommand({ RoleName: body.roleName, PolicyArn: arn }));
  }
  for (const arn of have.managedPolicyArns) {
    if (!body.managedPolicyArns.includes(arn)) await iam.send(new DetachRolePolicyCommand({ RoleName: body.roleName, PolicyArn: arn }));
  }
  for (const [name, doc] of Object.entries(body.inlinePolicies)) {
    const cur = have.inlinePolicies[name];
    if (cur === undefined || !samePolicy(cur, doc))
      await iam.send(new PutRolePolicyCommand({ RoleName: body.roleName, PolicyName: name, PolicyDocument: doc }));
  }
  for (const name of Object.keys(have.inlinePolicies)) {
    if (!(name in body.inlinePolicies)) await iam.send(new DeleteRolePolicyCommand({ RoleName: body.roleName, PolicyName: name }));
  }
  return { createdId: have.arn, arn: have.arn, message: notes.length ? notes.join('; ') : undefined };
}

/** Detach and delete every policy, then the role; a role already gone is fine. */
export async function deleteRole(iam: IAMClient, roleName: string): Promise<OpOutcome> {
  try {
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
    for (const p of attached) await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn }));
    const inline = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    for (const n of inline) await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: n }));
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  } catch (e) {
    if (isNotFound(e)) return { message: 'role already gone' };
    throw e;
  }
  return {};
}
