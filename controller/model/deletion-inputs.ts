// What the engine reads and plans so that access resources orgplane put in place earlier can be
// removed, derived from the production path only: the desired roles (every copy tagged as ours in
// an account the role no longer covers is found by looking in every member account), and the
// resources being deleted (controller: deletionTimestamp with orgplane's finalizer; their spec
// names the role / permission set and its deletionPolicy). The AWS objects' own ownership tags
// decide in the end: nothing untagged is deleted.
import type { AnyResource } from '../api/schemas.js';
import { refKey } from '../api/schemas.js';
import type { ActualOrg } from './actual.js';
import type { DesiredOrg } from './desired.js';
import { DEFAULT_ACCESS_ROLE, matchAccount } from './expand.js';

export interface KnownRole {
  key: string;
  roleName: string;
  accounts: { accountId: string; accessRoleName?: string }[];
}

export interface RemovedAccess {
  kind: 'PermissionSet' | 'CrossAccountRole';
  name: string;
  awsName: string;
  deletionPolicy: 'Retain' | 'Delete';
}

export interface DeletionInputs {
  /** Role names to look for in every active member account (not only the current targets). */
  knownRoles: KnownRole[];
  /** AWS names of permission sets whose manifests are being deleted: read in full. */
  removedPermissionSets: string[];
  removed: RemovedAccess[];
}

/** Pure: desired graph + resources being deleted + the org snapshot -> what to read and plan for removal. */
export function deletionInputs(desired: DesiredOrg, deleting: readonly AnyResource[], actual: ActualOrg): DeletionInputs {
  const removed: RemovedAccess[] = [];
  for (const r of deleting) {
    if (r.kind === 'PermissionSet') {
      removed.push({
        kind: 'PermissionSet',
        name: r.metadata.name,
        awsName: r.spec.name ?? r.metadata.name,
        deletionPolicy: r.spec.deletionPolicy ?? 'Retain',
      });
    } else if (r.kind === 'CrossAccountRole') {
      removed.push({
        kind: 'CrossAccountRole',
        name: r.metadata.name,
        awsName: r.spec.roleName ?? r.metadata.name,
        deletionPolicy: r.spec.deletionPolicy ?? 'Retain',
      });
    }
  }
  // Accounts a role may sit in: every active member account. Reading is cheap next to leaving a
  // role behind; the management account is never a target, so it is never looked at.
  const accessRole = new Map<string, string>();
  for (const d of Object.values(desired.accounts)) {
    const a = matchAccount(d, actual, desired.namespace);
    if (a) accessRole.set(a.id, d.accessRoleName || DEFAULT_ACCESS_ROLE);
  }
  const accounts = Object.values(actual.accounts)
    .filter((a) => a.state === 'ACTIVE' && a.id !== actual.managementAccountId)
    .map((a) => ({ accountId: a.id, accessRoleName: accessRole.get(a.id) ?? DEFAULT_ACCESS_ROLE }));
  const knownRoles: KnownRole[] = [];
  const roles = [
    ...Object.values(desired.roles).map((r) => ({ key: r.key, roleName: r.roleName })),
    ...removed.filter((r) => r.kind === 'CrossAccountRole').map((r) => ({ key: refKey('CrossAccountRole', r.name), roleName: r.awsName })),
  ];
  if (accounts.length > 0) for (const r of roles) knownRoles.push({ ...r, accounts });
  return {
    knownRoles,
    removedPermissionSets: removed.filter((r) => r.kind === 'PermissionSet').map((r) => r.awsName),
    removed,
  };
}
