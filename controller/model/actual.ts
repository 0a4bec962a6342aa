// The live organization as one plain, JSON-serialisable snapshot. aws/read-org.ts fills it;
// everything downstream (diff, plan, status) reads it and never calls AWS itself.

export type Tags = Record<string, string>;

export interface ActualRoot {
  id: string;
  arn: string;
  name: string;
  /** Policy types with status ENABLED (PENDING_* counts as enabled for planning). */
  enabledPolicyTypes: string[];
}

export interface ActualOU {
  id: string;
  arn: string;
  name: string;
  parentId: string;
  /** undefined = not read in this snapshot (never "no tags"). */
  tags?: Tags;
}

export type AccountState = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';

export interface ActualAccount {
  id: string;
  arn: string;
  name: string;
  email: string;
  /** AWS Status/State: ACTIVE, SUSPENDED, PENDING_CLOSURE. */
  state: AccountState | string;
  parentId: string;
  joinedMethod?: string;
  tags?: Tags;
  /**
   * true: tags deliberately not read yet — a manifest names this account by email without an
   * opt-in, and whether it carries orgplane's ownership tag matters only if the plan writes to
   * it. The engine (planAll) reads them before it hands out any plan with such a write.
   */
  tagsDeferred?: boolean;
}

export interface ActualPolicy {
  id: string;
  arn: string;
  name: string;
  description: string;
  type: string;
  awsManaged: boolean;
  /** Policy JSON text exactly as AWS returns it. */
  content: string;
  /** Ids of roots, OUs and accounts it is attached to; undefined = not read. */
  targets?: string[];
  tags?: Tags;
}

export interface DelegatedAdmin {
  accountId: string;
  servicePrincipal: string;
}

export interface ActualOrg {
  id: string;
  arn: string;
  featureSet: string;
  managementAccountId: string;
  managementAccountEmail: string;
  root: ActualRoot;
  ous: Record<string, ActualOU>;
  accounts: Record<string, ActualAccount>;
  /** Policies of every type read (SCPs always, other types when enabled on the root), keyed by id; ActualPolicy.type tells them apart. */
  policies: Record<string, ActualPolicy>;
  trustedServices: string[];
  delegatedAdmins: DelegatedAdmin[];
  /** Identity Center and IAM state (issue: permission sets and roles); absent when not read. */
  access?: ActualAccess;
  readAt: string;
}

// ---- Identity Center and cross-account roles --------------------------------------------------

/** What defines a permission set, in the shape desired, actual and the plan ops all share. */
export interface PermissionSetAttributes {
  name: string;
  description: string;
  sessionDuration: string;
  relayState: string;
  managedPolicies: string[];
  customerManagedPolicies: { name: string; path: string }[];
  /** Inline policy JSON text (minified in desired), '' when none. */
  inlinePolicy: string;
  permissionsBoundary?: { managedPolicyArn?: string; customerManagedPolicy?: { name: string; path: string } };
}

export interface ActualPermissionSet extends PermissionSetAttributes {
  arn: string;
  tags?: Tags;
  /** Accounts where the permission set is provisioned. */
  provisionedAccounts: string[];
  /** Accounts whose provisioned copy is out of date (LATEST_PERMISSION_SET_NOT_PROVISIONED). */
  outdatedAccounts: string[];
  /** accountId -> principal keys ("GROUP:<id>" / "USER:<id>"). */
  assignments: Record<string, string[]>;
}

export interface ActualRole {
  accountId: string;
  roleName: string;
  path: string;
  arn: string;
  description: string;
  trustPolicy: string;
  managedPolicyArns: string[];
  inlinePolicies: Record<string, string>;
  permissionsBoundary?: string;
  maxSessionDuration: number;
  tags: Tags;
}

export interface ActualAccess {
  instanceArn?: string;
  identityStoreId?: string;
  permissionSets: Record<string, ActualPermissionSet>;
  /** Resolved principals: "GROUP:<displayName>" / "USER:<userName>" -> id. */
  principals: Record<string, string>;
  /** Principal keys looked up in Identity Store and not found there (validation reports them). */
  missingPrincipals?: string[];
  /** Names of permission sets in the instance that orgplane neither manages nor was asked about. */
  unmanagedPermissionSets?: string[];
  /** Reads the endpoint does not implement (e.g. moto: ListTagsForResource), as "Service:Operation". */
  unsupported?: string[];
  /** Roles orgplane manages, keyed "<accountId>/<roleName>"; only accounts that were read. */
  roles: Record<string, ActualRole>;
  /** Accounts whose roles could not be read this time (accountId -> error). */
  roleReadErrors: Record<string, string>;
}
