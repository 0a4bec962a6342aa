// How each orgplane kind is addressed on the API server (plural resource names of the CRDs).
import { GROUP, VERSION, KIND_NAMES, type Kind } from '../api/schemas.js';

export const PLURALS: Record<Kind, string> = {
  Organization: 'organizations',
  OrganizationalUnit: 'organizationalunits',
  Account: 'accounts',
  ServiceControlPolicy: 'servicecontrolpolicies',
  ResourceControlPolicy: 'resourcecontrolpolicies',
  ManagementPolicy: 'managementpolicies',
  PermissionSet: 'permissionsets',
  CrossAccountRole: 'crossaccountroles',
};

export { GROUP, VERSION, KIND_NAMES };

/** Watch path of one kind in one namespace, as makeInformer wants it. */
export const watchPath = (kind: Kind, namespace: string): string => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURALS[kind]}`;
