// Kind-specific status fields of PermissionSet and CrossAccountRole resources, from the snapshot
// and this run's op results. Pure. Per-account role failures are listed next to the accounts
// that worked: one failing account never hides the others.
import type { ActualOrg } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import { expandTargets } from '../model/expand.js';
import type { Op, OpOutcome } from '../plan/operations.js';

export interface AccessResultLike {
  op: Op;
  status: 'succeeded' | 'failed' | 'skipped';
  error?: string;
  outcome?: OpOutcome;
}

export interface PermissionSetStatusFields {
  arn?: string;
  instanceArn?: string;
  assignedAccounts: number;
  assignments: number;
}

export interface RoleStatusFields {
  roles: { account: string; accountId?: string; arn?: string; error?: string }[];
  ready: string;
}

export function accessStatus(desired: DesiredOrg, actual: ActualOrg, results: readonly AccessResultLike[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const access = actual.access;
  if (!access) return out;

  for (const ps of Object.values(desired.permissionSets)) {
    const a = access.permissionSets[ps.name];
    const mine = results.filter((r) => r.op.resource === ps.key);
    const created = mine.find((r) => r.op.op === 'CreatePermissionSet' && r.status === 'succeeded');
    const present = new Set<string>();
    for (const [accountId, keys] of Object.entries(a?.assignments ?? {})) for (const k of keys) present.add(`${accountId}|${k}`);
    // Results are applied on top: idempotent when the snapshot was read after the apply.
    for (const r of mine) {
      if (r.status !== 'succeeded') continue;
      if (r.op.op === 'CreateAccountAssignment' && 'id' in r.op.account) present.add(`${r.op.account.id}|${r.op.principalType}:${r.op.principalId}`);
      if (r.op.op === 'DeleteAccountAssignment') present.delete(`${r.op.accountId}|${r.op.principalType}:${r.op.principalId}`);
    }
    const fields: PermissionSetStatusFields = {
      arn: a?.arn ?? created?.outcome?.arn ?? created?.outcome?.createdId,
      instanceArn: access.instanceArn,
      assignedAccounts: new Set([...present].map((k) => k.split('|')[0])).size,
      assignments: present.size,
    };
    out[ps.key] = { ...fields };
  }

  for (const role of Object.values(desired.roles)) {
    const mine = results.filter((r) => r.op.resource === role.key);
    const rows: RoleStatusFields['roles'] = [];
    for (const t of expandTargets(role.targetAccounts, role.targetOUs, role.includeDescendants, desired, actual)) {
      const put = mine.find(
        (r) =>
          r.op.op === 'PutRole' &&
          (('id' in r.op.account && r.op.account.id === t.accountId) || ('ref' in r.op.account && r.op.account.ref === `Account/${t.ref}`)),
      );
      const have = t.accountId ? access.roles[`${t.accountId}/${role.roleName}`] : undefined;
      let arn = have?.arn;
      let error: string | undefined;
      if (put?.status === 'succeeded') arn = put.outcome?.arn ?? arn;
      else if (put?.status === 'failed') error = put.error ?? 'failed';
      else if (put?.status === 'skipped') error = put.error ?? 'skipped: a dependency failed';
      if (!arn && !error && t.accountId && access.roleReadErrors[t.accountId]) error = access.roleReadErrors[t.accountId];
      if (!arn && !error && !t.accountId) error = 'account is being created';
      rows.push({ account: t.ref ?? t.name, ...(t.accountId ? { accountId: t.accountId } : {}), ...(arn ? { arn } : {}), ...(error ? { error } : {}) });
    }
    const ok = rows.filter((r) => r.arn && !r.error).length;
    out[role.key] = { roles: rows, ready: `${ok}/${rows.length}` };
  }
  return out;
}
