// Account assignments of one permission set, managed exclusively: every (account, principal) the
// spec covers is assigned, and what AWS has beyond that is drift and is removed. OU targets are
// expanded from the desired placement of accounts (model/expand.ts).
import type { ActualPermissionSet } from '../../model/actual.js';
import type { DesiredPermissionSet } from '../../model/desired.js';
import { expandTargets, type AccountTarget } from '../../model/expand.js';
import type { AccessOp, IdRef } from '../operations.js';
import { principalKey } from '../access-forms.js';
import type { AccessContext } from '../access-context.js';

export interface WantedAssignment {
  target: AccountTarget;
  type: 'GROUP' | 'USER';
  principalId: string;
  principalName: string;
}

/** The (account, principal) pairs the spec asks for; undefined when a principal cannot be resolved (then nothing is planned). */
export function wantedAssignments(ctx: AccessContext, p: DesiredPermissionSet): Map<string, WantedAssignment> | undefined {
  const access = ctx.access;
  const wants = new Map<string, WantedAssignment>();
  let unresolved = false;
  for (const asg of p.assignments) {
    const pr = asg.principal;
    const principalId = pr.id ?? (pr.name ? access?.principals[`${pr.type}:${pr.name}`] : undefined);
    const principalName = pr.name ?? pr.id ?? '';
    if (!principalId) {
      unresolved = true;
      ctx.plan.blocked.push({
        resource: p.key,
        reason: 'InvalidSpec',
        message: `${pr.type === 'GROUP' ? 'group' : 'user'} "${principalName}" not found in Identity Store ${access?.identityStoreId ?? ''}`.trimEnd(),
      });
      continue;
    }
    for (const t of expandTargets(asg.accounts, asg.organizationalUnits, asg.includeDescendants, ctx.desired, ctx.actual)) {
      const k = `${t.accountId ?? `ref:${t.ref}`}|${principalKey(pr.type, principalId)}`;
      if (!wants.has(k)) wants.set(k, { target: t, type: pr.type, principalId, principalName });
    }
  }
  return unresolved ? undefined : wants;
}

export function planAssignments(
  ctx: AccessContext,
  p: DesiredPermissionSet,
  a: ActualPermissionSet | undefined,
  wants: Map<string, WantedAssignment>,
  psRef: IdRef,
  psDeps: string[],
): void {
  const instanceArn = ctx.access?.instanceArn ?? '';
  const wantedKeys = new Set<string>();
  for (const w of wants.values()) {
    const r = ctx.accountRef(w.target);
    if (!r) {
      ctx.plan.blocked.push({
        resource: p.key,
        reason: 'DependencyInvalid',
        message: `account ${w.target.ref ?? w.target.name} does not exist and is not being created in this plan`,
      });
      continue;
    }
    if (w.target.accountId) {
      wantedKeys.add(`${w.target.accountId}|${principalKey(w.type, w.principalId)}`);
      if (a?.assignments[w.target.accountId]?.includes(principalKey(w.type, w.principalId))) continue;
      if (a) ctx.note(p.key, `assignment ${w.type} ${w.principalName} -> ${w.target.name} (${w.target.accountId}) is missing in AWS`);
    }
    ctx.add<Extract<AccessOp, { op: 'CreateAccountAssignment' }>>({
      op: 'CreateAccountAssignment',
      deps: [...psDeps, ...r.deps],
      resource: p.key,
      instanceArn,
      permissionSet: psRef,
      account: r.account,
      principalType: w.type,
      principalId: w.principalId,
      accountName: w.target.name,
      principalName: w.principalName,
      summary: `assign ${p.name} to ${w.type.toLowerCase()} ${w.principalName} in ${w.target.name}${w.target.accountId ? ` (${w.target.accountId})` : ''}`,
    });
  }
  if (a) removeExtraAssignments(ctx, p, a, wantedKeys);
}

/** Exclusive management: assignments AWS has that the spec does not cover are removed. */
function removeExtraAssignments(ctx: AccessContext, p: DesiredPermissionSet, a: ActualPermissionSet, wantedKeys: ReadonlySet<string>): void {
  const instanceArn = ctx.access?.instanceArn ?? '';
  const principals = Object.entries(ctx.access?.principals ?? {});
  for (const [accountId, keys] of Object.entries(a.assignments).sort()) {
    for (const k of keys) {
      if (wantedKeys.has(`${accountId}|${k}`)) continue;
      const [type, principalId] = k.split(':') as ['GROUP' | 'USER', string];
      const principalName =
        principals
          .find(([, id]) => id === principalId)?.[0]
          .split(':')
          .slice(1)
          .join(':') ?? principalId;
      const accountName = ctx.actual.accounts[accountId]?.name ?? accountId;
      ctx.note(p.key, `assignment ${type} ${principalName} -> ${accountName} (${accountId}) is not in the manifest`);
      ctx.add<Extract<AccessOp, { op: 'DeleteAccountAssignment' }>>({
        op: 'DeleteAccountAssignment',
        deps: [],
        resource: p.key,
        instanceArn,
        permissionSetArn: a.arn,
        accountId,
        principalType: type,
        principalId,
        accountName,
        principalName,
        summary: `remove ${p.name} from ${type.toLowerCase()} ${principalName} in ${accountName} (${accountId})`,
      });
    }
  }
}
