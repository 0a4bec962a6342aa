// The desired organization: every orgplane resource of one namespace (or one manifest
// directory), validated and normalised into plain data with defaults filled in.
// model/build.ts makes it from Resources; plan/ compares it with model/actual.ts.
import type { PermissionSetAttributes, Tags } from './actual.js';

/** A reference to an OU resource by metadata.name, or 'root'. */
export type ParentRef = string;
export const ROOT = 'root';

export interface DesiredOrganization {
  /** Resource key "Organization/<name>". */
  key: string;
  featureSet: 'ALL' | 'CONSOLIDATED_BILLING';
  /** undefined = not managed (leave as is). */
  enabledPolicyTypes?: string[];
  trustedServices?: string[];
  delegatedAdministrators?: { account: string; servicePrincipal: string }[];
  identityCenter?: { instanceArn?: string; identityStoreId?: string };
}

export interface Quotas {
  maxPoliciesPerTarget: number;
  maxPolicySize: number;
  maxAccountClosuresPerRun: number;
  maxDeleteFraction: number;
  pruneUnmanaged: boolean;
  /** Which account moves wait for approval (Organization spec.migrationApproval). */
  migrationApproval: 'Never' | 'WhenPoliciesChange' | 'Always';
}

export const DEFAULT_QUOTAS: Quotas = {
  maxPoliciesPerTarget: 10,
  maxPolicySize: 10240,
  maxAccountClosuresPerRun: 1,
  maxDeleteFraction: 0.25,
  pruneUnmanaged: false,
  migrationApproval: 'Never',
};

interface DesiredBase {
  /** "Kind/metadata.name" */
  key: string;
  /** metadata.name */
  ref: string;
  tags: Tags;
  /** orgplane.io/paused annotation: planned but never applied. */
  paused: boolean;
  /**
   * orgplane.io/adopt: "true": an existing AWS object without orgplane's ownership tags that this
   * manifest names (by name or email) may be taken over. spec.id is the other opt-in.
   */
  adopt?: boolean;
}

export interface DesiredOU extends DesiredBase {
  name: string;
  parent: ParentRef;
  id?: string;
  deletionPolicy: 'Retain' | 'Delete';
}

export interface DesiredAccount extends DesiredBase {
  name: string;
  email: string;
  parent: ParentRef;
  id?: string;
  accessRoleName: string;
  iamUserAccessToBilling?: 'ALLOW' | 'DENY';
  deletionPolicy: 'Retain' | 'Close' | 'Remove';
}

export type TargetRef = { kind: 'root' } | { kind: 'ou'; ref: string } | { kind: 'account'; ref: string };

export interface DesiredPolicy extends DesiredBase {
  /** AWS policy type; undefined = SERVICE_CONTROL_POLICY (model/policy-types.ts). */
  policyType?: string;
  name: string;
  description: string;
  /** Minified policy JSON; '' for awsManaged. */
  content: string;
  awsManaged: boolean;
  id?: string;
  targets: TargetRef[];
  /** Detach from targets not listed (false: the listed targets are a minimum). */
  exclusiveTargets: boolean;
  deletionPolicy: 'Retain' | 'Delete';
}

export interface DesiredPrincipal {
  type: 'GROUP' | 'USER';
  name?: string;
  id?: string;
}

export interface DesiredPermissionSet extends DesiredBase, PermissionSetAttributes {
  assignments: { principal: DesiredPrincipal; accounts: string[]; organizationalUnits: string[]; includeDescendants: boolean }[];
  deletionPolicy: 'Retain' | 'Delete';
}

export interface DesiredRole extends DesiredBase {
  roleName: string;
  path: string;
  description: string;
  targetAccounts: string[];
  targetOUs: string[];
  includeDescendants: boolean;
  trust: { accounts: string[]; principalArns: string[]; externalId?: string; requireMfa: boolean };
  managedPolicyArns: string[];
  /** name -> minified JSON */
  inlinePolicies: Record<string, string>;
  permissionsBoundary?: string;
  maxSessionDuration: number;
  deletionPolicy: 'Retain' | 'Delete';
}

export interface DesiredOrg {
  namespace: string;
  organization?: DesiredOrganization;
  quotas: Quotas;
  /** Keyed by metadata.name. */
  ous: Record<string, DesiredOU>;
  accounts: Record<string, DesiredAccount>;
  /** Every policy type: SCPs by metadata.name, the other kinds by "Kind/name" (desiredPolicyKey). */
  policies: Record<string, DesiredPolicy>;
  permissionSets: Record<string, DesiredPermissionSet>;
  roles: Record<string, DesiredRole>;
}

/** One validation failure: which resource, which field, which rule, in words a person can act on. */
export interface ValidationError {
  /** "Kind/name" (or "file.yaml#3" when the document has no usable kind/name). */
  resource: string;
  /** Dotted path, e.g. "spec.parent". */
  field: string;
  /** Short rule id, e.g. "unknown-reference", "ou-depth", "policy-size". */
  rule: string;
  message: string;
  source?: string;
}

export const formatValidationError = (e: ValidationError): string => `${e.resource}: ${e.field}: ${e.message} [${e.rule}]${e.source ? ` (${e.source})` : ''}`;
