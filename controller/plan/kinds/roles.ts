// Cross-account IAM roles: put into every target account (through the account access role),
// updated where they differ, and deleted (deletionPolicy Delete) from accounts a role no longer
// covers or whose manifest is gone. Only role copies tagged as orgplane's are ever deleted.
import type { DesiredRole } from '../../model/desired.js';
import { accountTarget, expandTargets, matchAccount, type AccountTarget } from '../../model/expand.js';
import { MANAGED_BY_VALUE, TAG_DELETION_POLICY, TAG_MANAGED_BY, TAG_OWNER } from '../../model/ownership.js';
import type { AccessOp, RoleBody } from '../operations.js';
import { createAccountOp, roleBody, roleChanges, roleDocChanges, trustPolicy } from '../access-forms.js';
import type { AccessContext } from '../access-context.js';

type PutRole = Extract<AccessOp, { op: 'PutRole' }>;

export function planRoles(ctx: AccessContext): void {
  const covered = new Map<string, Set<string>>(); // role key -> account ids covered
  const notPlanned = new Set<string>(); // roles blocked before their targets were worked out
  for (const role of Object.values(ctx.desired.roles).sort((a, b) => a.ref.localeCompare(b.ref))) {
    const ids = new Set<string>();
    covered.set(role.key, ids);
    if (!planRole(ctx, role, ids)) notPlanned.add(role.key);
  }
  planRemovedRoles(ctx, covered, notPlanned);
}

/** Puts one role into its target accounts; false when the role is not planned at all this run. */
export function planRole(ctx: AccessContext, role: DesiredRole, covered: Set<string>): boolean {
  const { plan } = ctx;
  if (role.paused) {
    plan.blocked.push({ resource: role.key, reason: 'Paused', message: 'orgplane.io/paused is set: changes are planned but not applied' });
    return true;
  }
  if (!ctx.access) {
    plan.blocked.push({ resource: role.key, reason: 'DependencyInvalid', message: 'IAM role state was not read' });
    return false;
  }
  const trust = trustPolicy(role, ctx.desired, ctx.actual);
  if (trust.unknown.length) {
    plan.blocked.push({
      resource: role.key,
      reason: 'InvalidSpec',
      message: `trust.accounts: unknown Account ${trust.unknown.map((u) => `"${u}"`).join(', ')}`,
    });
    return false;
  }
  const trustDeps = trust.pendingAccounts.map((ref) => createAccountOp(ctx.orgOps, ref)?.id).filter((x): x is string => !!x);
  if (trustDeps.length < trust.pendingAccounts.length) {
    plan.blocked.push({
      resource: role.key,
      reason: 'DependencyInvalid',
      message: `trusted account(s) ${trust.pendingAccounts.join(', ')} do not exist and are not being created in this plan`,
    });
    return false;
  }
  const body = roleBody(role, trust.doc, ctx.ns);
  for (const t of expandTargets(role.targetAccounts, role.targetOUs, role.includeDescendants, ctx.desired, ctx.actual)) {
    if (t.accountId) covered.add(t.accountId);
    planRoleCopy(ctx, role, body, t, trustDeps);
  }
  return true;
}

/** The role in one target account: create, update, adopt (opt-in) or nothing. */
function planRoleCopy(ctx: AccessContext, role: DesiredRole, body: RoleBody, t: AccountTarget, trustDeps: string[]): void {
  const r = ctx.accountRef(t);
  if (!r) {
    ctx.plan.blocked.push({
      resource: role.key,
      reason: 'DependencyInvalid',
      message: `account ${t.ref ?? t.name} does not exist and is not being created in this plan`,
    });
    return;
  }
  const base = {
    deps: [...new Set([...r.deps, ...trustDeps])],
    resource: role.key,
    account: r.account,
    accountName: t.name,
    accessRoleName: t.accessRoleName,
    role: body,
  };
  const where = `${t.name}${t.accountId ? ` (${t.accountId})` : ''}`;
  if (!t.accountId) {
    ctx.add<PutRole>({ op: 'PutRole', ...base, create: true, changes: [], summary: `create role ${role.roleName} in ${where}` });
    return;
  }
  const readError = ctx.access?.roleReadErrors[t.accountId];
  if (readError) {
    ctx.add<PutRole>({
      op: 'PutRole',
      ...base,
      create: false,
      changes: [`unknown (read failed: ${readError})`],
      summary: `ensure role ${role.roleName} in ${where} (its current state could not be read)`,
    });
    return;
  }
  const have = ctx.access?.roles[`${t.accountId}/${role.roleName}`];
  if (!have) {
    ctx.add<PutRole>({ op: 'PutRole', ...base, create: true, changes: [], summary: `create role ${role.roleName} in ${where}` });
    return;
  }
  const ours = have.tags[TAG_OWNER] !== undefined;
  if (!ours && !role.adopt) {
    ctx.plan.blocked.push({
      resource: role.key,
      reason: 'AdoptionNeedsOptIn',
      message: `adopt (needs opt-in): role ${role.roleName} in ${where} exists without orgplane's ownership tags; orgplane neither changes nor deletes it until the manifest has the annotation orgplane.io/adopt: "true"`,
    });
    return;
  }
  const changes = roleChanges(body, have);
  if (!changes.length) return;
  for (const c of changes) ctx.note(role.key, `${where}: ${c} differs from the manifest`);
  ctx.add<PutRole>({
    op: 'PutRole',
    ...base,
    create: false,
    changes,
    change: roleDocChanges(body, have, changes),
    summary: ours
      ? `update role ${role.roleName} in ${where} (${changes.join(', ')})`
      : `adopt role ${role.roleName} in ${where} (orgplane.io/adopt): write ownership tags and ${changes.join(', ')}`,
  });
}

/**
 * Roles tagged as ours in accounts a role no longer covers (account left the OU, or the manifest
 * is gone): deleted with deletionPolicy Delete, otherwise left in place and reported.
 */
export function planRemovedRoles(ctx: AccessContext, covered: Map<string, Set<string>>, notPlanned: ReadonlySet<string>): void {
  const { desired, actual, ns } = ctx;
  const removedPolicy = new Map<string, string>();
  for (const r of ctx.opts.removed ?? []) if (r.kind === 'CrossAccountRole') removedPolicy.set(`CrossAccountRole/${r.name}`, r.deletionPolicy);
  const roles = Object.values(ctx.access?.roles ?? {}).sort((a, b) => `${a.accountId}/${a.roleName}`.localeCompare(`${b.accountId}/${b.roleName}`));
  for (const have of roles) {
    if (have.tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE) continue;
    const owner = have.tags[TAG_OWNER] ?? '';
    if (!owner.startsWith(`${ns}/CrossAccountRole/`)) continue;
    const key = owner.slice(ns.length + 1);
    const d = Object.values(desired.roles).find((x) => x.key === key);
    // An invalid or blocked role is not planned this run: its copies stay as they are.
    if (ctx.opts.protectedKeys?.has(key) || notPlanned.has(key)) continue;
    if (d && (covered.get(key)?.has(have.accountId) || d.paused)) continue;
    const policy = d?.deletionPolicy ?? removedPolicy.get(key) ?? have.tags[TAG_DELETION_POLICY] ?? 'Retain';
    const accountName = actual.accounts[have.accountId]?.name ?? have.accountId;
    if (policy !== 'Delete') {
      ctx.note(key, `role ${have.roleName} in ${accountName} (${have.accountId}) is no longer targeted; retained (deletionPolicy: Retain)`);
      continue;
    }
    const acct = Object.values(desired.accounts).find((x) => matchAccount(x, actual, ns)?.id === have.accountId);
    ctx.add<Extract<AccessOp, { op: 'DeleteRole' }>>({
      op: 'DeleteRole',
      deps: [],
      resource: key,
      accountId: have.accountId,
      accountName,
      accessRoleName: acct ? (accountTarget(acct.ref, desired, actual)?.accessRoleName ?? acct.accessRoleName) : 'OrganizationAccountAccessRole',
      roleName: have.roleName,
      summary: `delete role ${have.roleName} in ${accountName} (${have.accountId})`,
    });
  }
}
