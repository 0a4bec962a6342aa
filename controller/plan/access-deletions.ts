// Access deletions (permission sets, assignments, role copies) in the terms of the one deletion
// circuit breaker (safety.ts): each unit that leaves AWS counts once, and every access object
// orgplane manages counts toward the managed total. Pure.
import type { ActualAccess } from '../model/actual.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY } from '../model/ownership.js';
import type { AccessOp, Op } from './operations.js';

export interface DeletionUnit {
  resource: string;
  label: string;
}

/** One unit per deleted permission set (its assignments go with it), per removed assignment, per deleted role copy. */
export function accessDeletionUnits(ops: readonly Op[]): DeletionUnit[] {
  const deletedSets = new Set<string>();
  for (const op of ops) if (op.op === 'DeletePermissionSet') deletedSets.add(op.permissionSetArn);
  const units: DeletionUnit[] = [];
  for (const op of ops as readonly AccessOp[]) {
    if (op.op === 'DeletePermissionSet') units.push({ resource: op.resource, label: `permission set ${op.name}` });
    else if (op.op === 'DeleteRole') units.push({ resource: op.resource, label: `role ${op.roleName} in ${op.accountName} (${op.accountId})` });
    else if (op.op === 'DeleteAccountAssignment' && !deletedSets.has(op.permissionSetArn)) {
      units.push({ resource: op.resource, label: `assignment of ${op.principalName} in ${op.accountName} (${op.accountId})` });
    }
  }
  return units;
}

/** Access objects orgplane manages now: the permission sets it read (named by a manifest or tagged as ours), their assignments, and role copies tagged as ours. */
export function managedAccessCount(access: ActualAccess | undefined): number {
  if (!access) return 0;
  let n = 0;
  for (const ps of Object.values(access.permissionSets)) {
    n += 1;
    for (const keys of Object.values(ps.assignments)) n += keys.length;
  }
  for (const r of Object.values(access.roles)) if (r.tags[TAG_MANAGED_BY] === MANAGED_BY_VALUE) n += 1;
  return n;
}

/** Ops whose risk is destructive and that the breaker holds back together (all or nothing). */
export const isAccessDeletion = (op: Op): boolean => op.op === 'DeletePermissionSet' || op.op === 'DeleteRole' || op.op === 'DeleteAccountAssignment';
