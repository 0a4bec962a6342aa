// The one source of truth for the orgplane.io/v1alpha1 API: these TypeBox schemas give the
// TypeScript types (Static<>), the runtime validation of manifests, and the CRD openAPIV3Schema
// (crds/ is generated from them by `make crds`, and a unit test fails if it drifts).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const GROUP = 'orgplane.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

const Str = (opts: Parameters<typeof Type.String>[0] = {}) => Type.String(opts);
const Opt = <T extends TSchema>(s: T) => Type.Optional(s);

// ---- Admission rules (CEL) -------------------------------------------------------------------
// Per-object rules the API server checks before storing an object (x-kubernetes-validations in
// the CRDs, generated from these options). Messages follow `orgplane validate` (model/validate.ts);
// the same rules run there, so a CLI run and the cluster refuse the same manifests.

export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The email rule of model/validate.ts (RFC 5322 dot-atom, a domain with a dot) as RE2 for CEL. */
export const EMAIL_PATTERN =
  "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

const nonEmpty = (field: string) => `(has(self.${field}) && size(self.${field}) > 0)`;
const rules = (...r: CelRule[]) => ({ 'x-kubernetes-validations': r });

/** `spec.id` adopts one AWS object: it may be set later, never changed or removed. */
const idImmutable: CelRule = {
  rule: '!has(oldSelf.id) || (has(self.id) && self.id == oldSelf.id)',
  message: 'is immutable once set (it names the AWS object this resource adopted); create another resource to manage another one',
  fieldPath: '.id',
  reason: 'FieldValueForbidden',
};

/** Free-form JSON (policy documents): kept as-is by the API server. */
export const FreeForm = () => Type.Unsafe<unknown>({ 'x-kubernetes-preserve-unknown-fields': true });

export const RESERVED_TAG_PREFIX_CEL = 'orgplane.io/';

export const Tags = Type.Record(Type.String(), Type.String({ maxLength: 256 }), {
  description: 'AWS tags applied to the object. Keys starting with orgplane.io/ are reserved.',
  maxProperties: 50,
  ...rules({
    rule: `self.all(k, !k.startsWith('${RESERVED_TAG_PREFIX_CEL}'))`,
    messageExpression: `'tag key "' + self.filter(k, k.startsWith('${RESERVED_TAG_PREFIX_CEL}'))[0] + '" is reserved: keys starting with ${RESERVED_TAG_PREFIX_CEL} are set by orgplane'`,
  }),
});

/** A reference to another orgplane resource in the same namespace, by metadata.name. `root` = the organization root. */
export const Ref = Str({ minLength: 1, maxLength: 253, description: 'metadata.name of a resource in the same namespace, or "root"' });

export const Condition = Type.Object({
  type: Str(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Str(),
  message: Str(),
  lastTransitionTime: Str(),
  observedGeneration: Opt(Type.Integer()),
});
export type Condition = Static<typeof Condition>;

/** Fields every status carries. */
const CommonStatus = {
  conditions: Opt(Type.Array(Condition)),
  observedGeneration: Opt(Type.Integer()),
  lastSyncTime: Opt(Str()),
};

export const WorkflowStatus = Type.Object({
  kind: Str({ description: 'create | migrate | close | remove' }),
  phase: Str(),
  /** Serialised xstate snapshot (JSON text) so a restarted controller resumes the workflow. */
  snapshot: Opt(Str()),
  startedAt: Opt(Str()),
  message: Opt(Str()),
});
export type WorkflowStatus = Static<typeof WorkflowStatus>;

// ---- Organization ---------------------------------------------------------------------------

export const DelegatedAdministrator = Type.Object({
  account: Ref,
  servicePrincipal: Str({ minLength: 1 }),
});

export const OrganizationSpec = Type.Object({
  featureSet: Opt(Type.Union([Type.Literal('ALL'), Type.Literal('CONSOLIDATED_BILLING')], { default: 'ALL' })),
  enabledPolicyTypes: Opt(
    Type.Array(
      Type.Union([
        Type.Literal('SERVICE_CONTROL_POLICY'),
        Type.Literal('RESOURCE_CONTROL_POLICY'),
        Type.Literal('TAG_POLICY'),
        Type.Literal('BACKUP_POLICY'),
        Type.Literal('AISERVICES_OPT_OUT_POLICY'),
        Type.Literal('CHATBOT_POLICY'),
        Type.Literal('DECLARATIVE_POLICY_EC2'),
      ]),
      {
        description:
          'Policy types enabled on the root. SERVICE_CONTROL_POLICY is needed for ServiceControlPolicy resources, RESOURCE_CONTROL_POLICY for ResourceControlPolicy, a ManagementPolicy spec.type for that type.',
      },
    ),
  ),
  trustedServices: Opt(Type.Array(Str({ minLength: 1 }), { description: 'Service principals given trusted access, e.g. guardduty.amazonaws.com' })),
  delegatedAdministrators: Opt(Type.Array(DelegatedAdministrator)),
  migrationApproval: Opt(
    Type.Union([Type.Literal('Never'), Type.Literal('WhenPoliciesChange'), Type.Literal('Always')], {
      description:
        'When moving an account to another OU waits for a person: Never (default), WhenPoliciesChange (the move gains or loses an SCP), Always. Approve with an Approval resource (controller) or orgplane apply --approve-migration (CLI)',
    }),
  ),
  quotas: Opt(
    Type.Object({
      maxPoliciesPerTarget: Opt(
        Type.Integer({ minimum: 1, default: 10, description: 'SCPs attached to one root, OU or account (AWS: 10 since 2026, 5 before)' }),
      ),
      maxPolicySize: Opt(Type.Integer({ minimum: 1, default: 10240, description: 'Characters in one SCP document (AWS: 10,240 since 2026, 5,120 before)' })),
      maxAccountClosuresPerRun: Opt(Type.Integer({ minimum: 0, default: 1 })),
    }),
  ),
  deletion: Opt(
    Type.Object({
      maxDeleteFraction: Opt(
        Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.25,
          description: 'Circuit breaker: refuse a reconcile that would delete more than this share of managed objects',
        }),
      ),
      pruneUnmanaged: Opt(Type.Boolean({ default: false, description: 'Delete AWS objects no manifest describes (off: they are only reported)' })),
    }),
  ),
  identityCenter: Opt(
    Type.Object({
      instanceArn: Opt(Str({ description: 'Discovered with ListInstances when empty' })),
      identityStoreId: Opt(Str()),
    }),
  ),
});
export type OrganizationSpec = Static<typeof OrganizationSpec>;

export const OrganizationStatus = Type.Object({
  ...CommonStatus,
  id: Opt(Str()),
  arn: Opt(Str()),
  rootId: Opt(Str()),
  managementAccountId: Opt(Str()),
  unmanaged: Opt(Type.Array(Str(), { description: 'AWS objects that no manifest describes' })),
  pendingChanges: Opt(Type.Integer()),
});

// ---- OrganizationalUnit ---------------------------------------------------------------------

export const OUDeletionPolicy = Type.Union([Type.Literal('Retain'), Type.Literal('Delete')], { default: 'Retain' });

export const OrganizationalUnitSpec = Type.Object(
  {
    name: Opt(Str({ minLength: 1, maxLength: 128, description: 'AWS name; defaults to metadata.name' })),
    parent: Ref,
    id: Opt(Str({ pattern: '^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$', description: 'Adopt an existing OU by id' })),
    tags: Opt(Tags),
    deletionPolicy: Opt(OUDeletionPolicy),
  },
  rules(idImmutable),
);
export type OrganizationalUnitSpec = Static<typeof OrganizationalUnitSpec>;

export const OrganizationalUnitStatus = Type.Object({
  ...CommonStatus,
  id: Opt(Str()),
  arn: Opt(Str()),
  parentId: Opt(Str()),
  path: Opt(Str({ description: 'Root/.../Name' })),
  accounts: Opt(Type.Integer()),
});

// ---- Account --------------------------------------------------------------------------------

export const AccountDeletionPolicy = Type.Union([Type.Literal('Retain'), Type.Literal('Close'), Type.Literal('Remove')], { default: 'Retain' });

export const AccountSpec = Type.Object(
  {
    name: Opt(Str({ minLength: 1, maxLength: 50, description: 'AWS account name; defaults to metadata.name' })),
    email: Str({ minLength: 6, maxLength: 64 }),
    parent: Ref,
    id: Opt(Str({ pattern: '^[0-9]{12}$', description: 'Adopt an existing account by id' })),
    accessRoleName: Opt(Str({ default: 'OrganizationAccountAccessRole', description: 'Role orgplane assumes in the account' })),
    iamUserAccessToBilling: Opt(Type.Union([Type.Literal('ALLOW'), Type.Literal('DENY')])),
    tags: Opt(Tags),
    deletionPolicy: Opt(AccountDeletionPolicy),
  },
  rules(
    {
      rule: `self.email.matches(r"${EMAIL_PATTERN}")`,
      messageExpression: `'"' + self.email + '" is not a valid email address'`,
      fieldPath: '.email',
    },
    {
      rule: 'self.email == oldSelf.email',
      message: 'is immutable: it identifies the AWS account (orgplane finds and adopts accounts by email); create another Account resource for another account',
      fieldPath: '.email',
      reason: 'FieldValueForbidden',
    },
    idImmutable,
  ),
);
export type AccountSpec = Static<typeof AccountSpec>;

export const AccountStatus = Type.Object({
  ...CommonStatus,
  id: Opt(Str()),
  arn: Opt(Str()),
  state: Opt(Str({ description: 'ACTIVE | SUSPENDED | PENDING_CLOSURE' })),
  parentId: Opt(Str()),
  ou: Opt(Str({ description: 'Name of the current parent OU' })),
  createRequestId: Opt(Str()),
  workflow: Opt(WorkflowStatus),
  effectivePolicies: Opt(Type.Array(Str())),
});

// ---- ServiceControlPolicy -------------------------------------------------------------------

export const PolicyTargets = Type.Object({
  root: Opt(Type.Boolean()),
  organizationalUnits: Opt(Type.Array(Ref)),
  accounts: Opt(Type.Array(Ref)),
});
export type PolicyTargets = Static<typeof PolicyTargets>;

export const ServiceControlPolicySpec = Type.Object(
  {
    name: Opt(Str({ minLength: 1, maxLength: 128, description: 'AWS policy name; defaults to metadata.name' })),
    description: Opt(Str({ maxLength: 512 })),
    /** The policy JSON, as a YAML object or as a JSON string. Omit with awsManaged. */
    document: Opt(FreeForm()),
    id: Opt(Str({ pattern: '^p-[0-9a-zA-Z_]{8,128}$', description: 'Adopt an existing policy by id (p-FullAWSAccess for the AWS managed one)' })),
    awsManaged: Opt(Type.Boolean({ description: 'The policy is AWS managed (FullAWSAccess): only its attachments are managed' })),
    targets: Opt(PolicyTargets),
    exclusiveTargets: Opt(
      Type.Boolean({
        description:
          'Detach the policy from targets spec.targets does not list. Default: true, but false for awsManaged (AWS attaches FullAWSAccess to every new OU and account; set true to swap it for an allow-list)',
      }),
    ),
    tags: Opt(Tags),
    deletionPolicy: Opt(OUDeletionPolicy),
  },
  rules(idImmutable),
); // awsManaged vs document: spec.document is free-form, which CEL cannot read; the webhook checks it
export type ServiceControlPolicySpec = Static<typeof ServiceControlPolicySpec>;

export const ServiceControlPolicyStatus = Type.Object({
  ...CommonStatus,
  id: Opt(Str()),
  arn: Opt(Str()),
  attachedTo: Opt(Type.Integer()),
  size: Opt(Type.Integer()),
});

// ---- ResourceControlPolicy and ManagementPolicy (policy kinds, issue 9) ------------------------
// Same shape as ServiceControlPolicy: one planner and one reader serve every policy type; the
// types differ only in validation and quotas (model/validate-policies.ts).

export const ResourceControlPolicySpec = Type.Object(
  {
    name: Opt(Str({ minLength: 1, maxLength: 128, description: 'AWS policy name; defaults to metadata.name' })),
    description: Opt(Str({ maxLength: 512 })),
    document: Opt(FreeForm()),
    id: Opt(Str({ pattern: '^p-[0-9a-zA-Z_]{8,128}$', description: 'Adopt an existing policy by id (p-RCPFullAWSAccess for the AWS managed one)' })),
    awsManaged: Opt(Type.Boolean({ description: 'The policy is AWS managed (RCPFullAWSAccess): AWS attaches it everywhere and it is never detached' })),
    targets: Opt(PolicyTargets),
    exclusiveTargets: Opt(Type.Boolean({ description: 'Detach the policy from targets spec.targets does not list. Default: true (never for awsManaged)' })),
    tags: Opt(Tags),
    deletionPolicy: Opt(OUDeletionPolicy),
  },
  rules(idImmutable),
);
export type ResourceControlPolicySpec = Static<typeof ResourceControlPolicySpec>;

export const MANAGEMENT_POLICY_TYPE_NAMES = ['TAG_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY', 'CHATBOT_POLICY', 'DECLARATIVE_POLICY_EC2'] as const;

export const ManagementPolicySpec = Type.Object(
  {
    type: Type.Union(
      MANAGEMENT_POLICY_TYPE_NAMES.map((t) => Type.Literal(t)),
      { description: "AWS policy type; immutable (AWS cannot change a policy's type)" },
    ),
    name: Opt(Str({ minLength: 1, maxLength: 128, description: 'AWS policy name; defaults to metadata.name' })),
    description: Opt(Str({ maxLength: 512 })),
    document: Opt(FreeForm()),
    id: Opt(Str({ pattern: '^p-[0-9a-zA-Z_]{8,128}$', description: 'Adopt an existing policy by id' })),
    targets: Opt(PolicyTargets),
    exclusiveTargets: Opt(Type.Boolean({ description: 'Detach the policy from targets spec.targets does not list. Default: true' })),
    tags: Opt(Tags),
    deletionPolicy: Opt(OUDeletionPolicy),
  },
  rules(idImmutable, { rule: 'self.type == oldSelf.type', message: 'spec.type is immutable' }),
);
export type ManagementPolicySpec = Static<typeof ManagementPolicySpec>;

export const PolicyKindStatus = Type.Object({
  ...CommonStatus,
  id: Opt(Str()),
  arn: Opt(Str()),
  type: Opt(Str()),
  attachedTo: Opt(Type.Integer()),
  size: Opt(Type.Integer()),
});

// ---- PermissionSet (Identity Center) --------------------------------------------------------

export const Principal = Type.Object(
  {
    type: Type.Union([Type.Literal('GROUP'), Type.Literal('USER')]),
    name: Opt(Str({ minLength: 1, description: 'Group display name or user name, resolved through Identity Store' })),
    id: Opt(Str({ minLength: 1 })),
  },
  rules({ rule: 'has(self.name) || has(self.id)', message: 'needs a name or an id' }),
);

export const AssignmentTarget = Type.Object({
  accounts: Opt(Type.Array(Ref)),
  organizationalUnits: Opt(Type.Array(Ref)),
  includeDescendants: Opt(Type.Boolean({ default: false, description: 'OU targets also cover accounts in nested OUs' })),
});

export const PermissionSetSpec = Type.Object({
  name: Opt(Str({ minLength: 1, maxLength: 32 })),
  description: Opt(Str({ maxLength: 700 })),
  sessionDuration: Opt(Str({ pattern: '^PT([0-9]+H)?([0-9]+M)?$', default: 'PT1H', description: 'ISO 8601 duration, 1 to 12 hours' })),
  relayState: Opt(Str({ maxLength: 240 })),
  managedPolicies: Opt(Type.Array(Str({ pattern: '^arn:aws[a-z-]*:iam::aws:policy/.+' }))),
  customerManagedPolicies: Opt(Type.Array(Type.Object({ name: Str({ minLength: 1 }), path: Opt(Str()) }))),
  inlinePolicy: Opt(FreeForm()),
  permissionsBoundary: Opt(
    Type.Object({
      managedPolicyArn: Opt(Str()),
      customerManagedPolicy: Opt(Type.Object({ name: Str({ minLength: 1 }), path: Opt(Str()) })),
    }),
  ),
  tags: Opt(Tags),
  assignments: Opt(Type.Array(Type.Object({ principal: Principal, targets: AssignmentTarget }))),
  deletionPolicy: Opt(OUDeletionPolicy),
});
export type PermissionSetSpec = Static<typeof PermissionSetSpec>;

export const PermissionSetStatus = Type.Object({
  ...CommonStatus,
  arn: Opt(Str()),
  instanceArn: Opt(Str()),
  assignedAccounts: Opt(Type.Integer()),
  assignments: Opt(Type.Integer()),
});

// ---- CrossAccountRole -----------------------------------------------------------------------

export const CrossAccountRoleSpec = Type.Object({
  roleName: Opt(Str({ minLength: 1, maxLength: 64, description: 'IAM role name; defaults to metadata.name' })),
  path: Opt(Str({ pattern: '^/(.*/)?$', default: '/' })),
  description: Opt(Str({ maxLength: 1000 })),
  targets: Type.Object(
    {
      accounts: Opt(Type.Array(Ref)),
      organizationalUnits: Opt(Type.Array(Ref)),
      includeDescendants: Opt(Type.Boolean({ default: true })),
    },
    rules({ rule: `${nonEmpty('accounts')} || ${nonEmpty('organizationalUnits')}`, message: 'must list at least one account or organizational unit' }),
  ),
  trust: Type.Object(
    {
      accounts: Opt(Type.Array(Ref, { description: 'Account resources whose principals may assume the role' })),
      principalArns: Opt(Type.Array(Str({ pattern: '^(arn:aws[a-z-]*:iam::[0-9]{12}:.+|[0-9]{12})$' }))),
      externalId: Opt(Str({ minLength: 2, maxLength: 1224 })),
      requireMfa: Opt(Type.Boolean()),
    },
    rules({ rule: `${nonEmpty('accounts')} || ${nonEmpty('principalArns')}`, message: 'must name at least one account or principal ARN' }),
  ),
  managedPolicyArns: Opt(Type.Array(Str({ pattern: '^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+' }))),
  inlinePolicies: Opt(Type.Record(Type.String(), FreeForm())),
  permissionsBoundary: Opt(Str()),
  maxSessionDuration: Opt(Type.Integer({ minimum: 3600, maximum: 43200 })),
  tags: Opt(Tags),
  deletionPolicy: Opt(OUDeletionPolicy),
});
export type CrossAccountRoleSpec = Static<typeof CrossAccountRoleSpec>;

export const CrossAccountRoleStatus = Type.Object({
  ...CommonStatus,
  roles: Opt(Type.Array(Type.Object({ account: Str(), accountId: Opt(Str()), arn: Opt(Str()), error: Opt(Str()) }))),
  ready: Opt(Str({ description: 'N/M accounts with the role in place' })),
});

// ---- Kind table -----------------------------------------------------------------------------

export const KINDS = {
  Organization: { spec: OrganizationSpec, status: OrganizationStatus },
  OrganizationalUnit: { spec: OrganizationalUnitSpec, status: OrganizationalUnitStatus },
  Account: { spec: AccountSpec, status: AccountStatus },
  ServiceControlPolicy: { spec: ServiceControlPolicySpec, status: ServiceControlPolicyStatus },
  ResourceControlPolicy: { spec: ResourceControlPolicySpec, status: PolicyKindStatus },
  ManagementPolicy: { spec: ManagementPolicySpec, status: PolicyKindStatus },
  PermissionSet: { spec: PermissionSetSpec, status: PermissionSetStatus },
  CrossAccountRole: { spec: CrossAccountRoleSpec, status: CrossAccountRoleStatus },
} as const;

export type Kind = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as Kind[];

export type SpecOf<K extends Kind> = Static<(typeof KINDS)[K]['spec']>;
export type StatusOf<K extends Kind> = Static<(typeof KINDS)[K]['status']>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

/** One orgplane custom resource, as read from a file or from the API server. */
export interface Resource<K extends Kind = Kind> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: SpecOf<K>;
  status?: StatusOf<K>;
  /** Where it came from (file:line) in CLI mode; used in error messages. */
  source?: string;
}

export type AnyResource = { [K in Kind]: Resource<K> }[Kind];

/** "Kind/name" — the key used throughout plans, errors and status. */
export const refKey = (kind: Kind, name: string): string => `${kind}/${name}`;

export const ANNOTATION_PAUSED = 'orgplane.io/paused';
/** Opt-in to take over an existing AWS object that carries no orgplane ownership tags (spec.id is the other). */
export const ANNOTATION_ADOPT = 'orgplane.io/adopt';
export const FINALIZER = 'orgplane.io/finalizer';

// ---- Approval -------------------------------------------------------------------------------
// Not part of the org graph (not in KINDS): an Approval names one exact change a person with
// orgplane-approver lets through. RBAC separates who writes specs from who approves them.

export const APPROVAL_KIND = 'Approval';
export const APPROVAL_PLURAL = 'approvals';
/** The longest an Approval lasts, whatever expiresAt or ttl say. */
export const APPROVAL_MAX_TTL = '168h';
export const APPROVAL_DEFAULT_TTL = '24h';
export const APPROVAL_STATES = ['Pending', 'Consumed', 'Expired', 'Stale'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

const TARGET_KINDS = 'Organization|OrganizationalUnit|Account|ServiceControlPolicy|PermissionSet|CrossAccountRole';

export const ApprovalOperation = Type.Object(
  {
    kind: Type.Union([Type.Literal('Migration'), Type.Literal('OrgWide')], {
      description: 'Migration: an account move from -> to. OrgWide: one org-wide operation of the plan, by fingerprint',
    }),
    from: Opt(
      Str({ minLength: 1, maxLength: 253, description: 'Migration: the OU the account leaves (OrganizationalUnit metadata.name, "root", or an AWS id)' }),
    ),
    to: Opt(
      Str({ minLength: 1, maxLength: 253, description: 'Migration: the OU the account goes to (OrganizationalUnit metadata.name, "root", or an AWS id)' }),
    ),
    fingerprint: Opt(
      Str({
        minLength: 1,
        maxLength: 1024,
        description: 'OrgWide: the operation fingerprint the plan shows, e.g. DisablePolicyType:Organization/org:SERVICE_CONTROL_POLICY',
      }),
    ),
  },
  rules({
    rule: "self.kind == 'Migration' ? (has(self.from) && has(self.to) && !has(self.fingerprint)) : (has(self.fingerprint) && !has(self.from) && !has(self.to))",
    message: 'a Migration names from and to (and no fingerprint); an OrgWide operation names a fingerprint (and no from/to)',
  }),
);
export type ApprovalOperation = Static<typeof ApprovalOperation>;

export const ApprovalSpec = Type.Object(
  {
    resource: Str({
      maxLength: 300,
      pattern: `^(${TARGET_KINDS})/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`,
      description: 'Kind/name of the resource whose change is approved, e.g. Account/dev',
    }),
    generation: Opt(Type.Integer({ minimum: 1, description: 'metadata.generation of the resource the approval was granted for' })),
    specHash: Opt(Str({ pattern: '^sha256:[0-9a-f]{64}$', description: 'Or: sha256 of the canonical JSON of the resource spec it was granted for' })),
    operation: ApprovalOperation,
    grantedBy: Str({
      minLength: 1,
      maxLength: 512,
      description: 'The Kubernetes user creating the Approval (kubectl auth whoami); the admission webhook refuses any other value',
    }),
    expiresAt: Opt(Str({ format: 'date-time', description: `When the approval lapses (at most ${APPROVAL_MAX_TTL} after creation)` })),
    ttl: Opt(
      Str({
        maxLength: 16,
        pattern: '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$',
        description: `Or: how long it lasts from creation, e.g. 30m, 24h (default ${APPROVAL_DEFAULT_TTL}, at most ${APPROVAL_MAX_TTL})`,
      }),
    ),
    reason: Opt(Str({ maxLength: 1024, description: 'Why it was approved (free text, for the record)' })),
  },
  rules(
    {
      rule: 'self == oldSelf',
      message: 'is immutable: an Approval names one exact change; delete it and create another',
      reason: 'FieldValueForbidden',
    },
    { rule: 'has(self.generation) != has(self.specHash)', message: 'names exactly one of generation or specHash' },
    { rule: '!(has(self.expiresAt) && has(self.ttl))', message: 'sets at most one of expiresAt or ttl' },
    {
      rule: `!has(self.ttl) || (size(self.ttl) > 0 && duration(self.ttl) <= duration('${APPROVAL_MAX_TTL}'))`,
      message: `ttl must be a duration of at most ${APPROVAL_MAX_TTL}`,
      fieldPath: '.ttl',
    },
    {
      rule: "self.operation.kind != 'Migration' || self.resource.startsWith('Account/')",
      message: 'a Migration approves the move of an Account',
      fieldPath: '.resource',
    },
  ),
);
export type ApprovalSpec = Static<typeof ApprovalSpec>;

export const ApprovalStatus = Type.Object({
  state: Opt(Type.Union(APPROVAL_STATES.map((s) => Type.Literal(s)))),
  message: Opt(Str()),
  approves: Opt(Str({ description: 'What it lets through, in one line ("Migration sandbox -> workloads")' })),
  expiresAt: Opt(Str({ description: 'When it lapses (expiresAt or creation + ttl, capped)' })),
  consumedAt: Opt(Str()),
  consumedBy: Opt(
    Type.Object({
      op: Str({ description: 'Plan op id that made the change' }),
      summary: Str({ description: 'What the op did' }),
      event: Opt(Str({ description: 'Reason of the Event recorded on the Approval' })),
    }),
  ),
  lastTransitionTime: Opt(Str()),
});
export type ApprovalStatus = Static<typeof ApprovalStatus>;

/** An Approval as read from the API server. */
export interface ApprovalObject {
  apiVersion: typeof API_VERSION;
  kind: typeof APPROVAL_KIND;
  metadata: ObjectMeta;
  spec: ApprovalSpec;
  status?: ApprovalStatus;
}
