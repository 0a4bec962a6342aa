// Typed plan operations. The plan is a list of these with explicit dependencies; the same
// object is printed (plan/render.ts) and executed (apply/executor.ts).
import type { PolicyKindName } from '../model/policy-types.js';
import type { PermissionSetAttributes, Tags } from '../model/actual.js';
import type { Risk } from './op-table.js';

/**
 * An AWS id known at plan time ({id}) or the id of an object an earlier operation creates
 * ({ref: "OrganizationalUnit/workloads"}), resolved by the executor when that op has run.
 */
export type IdRef = { id: string } | { ref: string };

interface OpBase {
  /** Unique within the plan: "op-1", "op-2", ... */
  id: string;
  /** Ops that must complete before this one starts. */
  deps: string[];
  /** Resource key "Kind/name" this op works for ('' for org-wide ops with no resource). */
  resource: string;
  /** One line a person reads in the plan. */
  summary: string;
  /** Ops that make one change together (an OU recreated under a new parent); key into Plan.groups. */
  group?: string;
  /** Risk class, stamped by the planner from the op table with the plan's context (op-table.ts riskOf). */
  risk?: Risk;
  /**
   * For updates of documents (SCP content, permission set inline policy, role trust / inline
   * policies): the parsed documents before and after, keyed by what they are ("content",
   * "inlinePolicy", "trustPolicy", "inlinePolicies.NAME"). Renderers diff them statement by statement.
   */
  change?: Record<string, { before: unknown; after: unknown }>;
}

export type OrgOp =
  | (OpBase & { op: 'CreateOU'; name: string; parent: IdRef; tags: Tags })
  | (OpBase & { op: 'RenameOU'; ouId: string; from: string; to: string })
  | (OpBase & { op: 'DeleteOU'; ouId: string; name: string })
  | (OpBase & { op: 'TagResource'; target: IdRef; tags: Tags })
  | (OpBase & { op: 'UntagResource'; target: IdRef; tagKeys: string[] })
  | (OpBase & {
      op: 'CreateAccount';
      name: string;
      email: string;
      parent: IdRef;
      tags: Tags;
      roleName: string;
      iamUserAccessToBilling?: 'ALLOW' | 'DENY';
    })
  | (OpBase & {
      op: 'MoveAccount';
      accountId: string;
      fromId: string;
      to: IdRef;
      /** Preflight: SCP names that start or stop shaping the account's permissions (plan/preflight.ts says how). */
      gained: string[];
      lost: string[];
      /** Preflight: the SCPs attached at each level root -> OUs -> account, before and after the move. */
      path?: { before: ScpLevel[]; after: ScpLevel[] };
      /** Stop the migration workflow at an approval gate before the move. */
      requireApproval?: boolean;
    })
  | (OpBase & { op: 'CloseAccount'; accountId: string; name: string })
  | (OpBase & { op: 'RemoveAccount'; accountId: string; name: string })
  /** policyType: AWS policy type; absent = SERVICE_CONTROL_POLICY (plans saved before policy kinds). */
  | (OpBase & { op: 'CreatePolicy'; name: string; description: string; content: string; tags: Tags; policyType?: string })
  | (OpBase & { op: 'UpdatePolicy'; policyId: string; name?: string; description?: string; content?: string })
  | (OpBase & { op: 'DeletePolicy'; policyId: string; name: string })
  | (OpBase & { op: 'AttachPolicy'; policy: IdRef; target: IdRef; policyName: string; targetName: string; policyType?: string })
  | (OpBase & { op: 'DetachPolicy'; policyId: string; targetId: string; policyName: string; targetName: string })
  | (OpBase & { op: 'EnablePolicyType'; rootId: string; policyType: string })
  | (OpBase & { op: 'DisablePolicyType'; rootId: string; policyType: string })
  | (OpBase & { op: 'EnableServiceAccess'; servicePrincipal: string })
  | (OpBase & { op: 'DisableServiceAccess'; servicePrincipal: string })
  | (OpBase & { op: 'RegisterDelegatedAdmin'; account: IdRef; servicePrincipal: string })
  | (OpBase & { op: 'DeregisterDelegatedAdmin'; accountId: string; servicePrincipal: string })
  /**
   * Takes over an existing OU, account or SCP that carries no orgplane ownership tags, because its
   * manifest opts in (spec.id or orgplane.io/adopt: "true"): writes the ownership tags (and the
   * spec tags), after which the object is orgplane's to change and, per deletionPolicy, delete.
   */
  | (OpBase & { op: 'AdoptResource'; target: { id: string }; objectKind: 'OrganizationalUnit' | 'Account' | PolicyKindName; name: string; tags: Tags });

/** Account ops that run as persisted workflows, the ones a ResumeWorkflow op can stand in for. */
export type WorkflowOp = Extract<OrgOp, { op: 'CreateAccount' | 'MoveAccount' | 'CloseAccount' }>;

/**
 * An account workflow a previous run left unfinished, resumed because this plan still asks for
 * its outcome (plan/resume.ts). The planner never makes one: it replaces the fresh op it resumes
 * after ordering (same id, deps and resource), so it is not an OrgOp.
 */
export interface ResumeOp extends OpBase {
  op: 'ResumeWorkflow';
  workflow: 'create' | 'migrate' | 'close';
  /** Phase the stored workflow is in ("AwaitingApproval", "Creating", ...). */
  phase: string;
  /** Hash of the stored snapshot the plan was made with: a snapshot changed since is not run. */
  snapshotHash: string;
  /** The fresh op this plan would otherwise run; the resumed workflow must still match it. */
  resumes: WorkflowOp;
}

/** Identity Center and IAM operations (permission sets, assignments, cross-account roles). */
export type AccessOp =
  | (OpBase & { op: 'CreatePermissionSet'; instanceArn: string; name: string; spec: PermissionSetBody; tags: Tags })
  | (OpBase & { op: 'UpdatePermissionSet'; instanceArn: string; permissionSetArn: string; spec: PermissionSetBody; changes: string[]; tags?: Tags })
  | (OpBase & { op: 'DeletePermissionSet'; instanceArn: string; permissionSetArn: string; name: string })
  /** accounts: [] with allProvisioned = TargetType ALL_PROVISIONED_ACCOUNTS. */
  | (OpBase & { op: 'ProvisionPermissionSet'; instanceArn: string; permissionSet: IdRef; accounts: IdRef[]; allProvisioned?: boolean; name: string })
  | (OpBase & {
      op: 'CreateAccountAssignment';
      instanceArn: string;
      permissionSet: IdRef;
      account: IdRef;
      principalType: 'GROUP' | 'USER';
      principalId: string;
      accountName: string;
      principalName: string;
    })
  | (OpBase & {
      op: 'DeleteAccountAssignment';
      instanceArn: string;
      permissionSetArn: string;
      accountId: string;
      principalType: 'GROUP' | 'USER';
      principalId: string;
      accountName: string;
      principalName: string;
    })
  | (OpBase & { op: 'PutRole'; account: IdRef; accountName: string; accessRoleName: string; role: RoleBody; create: boolean; changes: string[] })
  | (OpBase & { op: 'DeleteRole'; accountId: string; accountName: string; accessRoleName: string; roleName: string });

/**
 * One level of the path from the root to an account. An action is allowed only when every level
 * has an attached SCP that allows it, so a level whose SCPs allow nothing denies everything below.
 */
export interface ScpLevel {
  /** AWS id (or "new:Kind/name" for an OU this plan creates). */
  node: string;
  /** Display name ("Root", "Prod (ou-...)", "Sandbox (new)"). */
  name: string;
  /** SCP names attached to this level, sorted. */
  policies: string[];
  /** Those with an Allow statement (empty: the level denies every action). */
  allowing: string[];
  /** One of them allows every action on every resource (FullAWSAccess): the level restricts nothing. */
  allowsAll: boolean;
}

export type PermissionSetBody = PermissionSetAttributes;

export interface RoleBody {
  roleName: string;
  path: string;
  description: string;
  /** Minified JSON; may hold "{{Account/<name>}}" placeholders for accounts created in the same plan (the writer resolves them). */
  trustPolicy: string;
  managedPolicyArns: string[];
  inlinePolicies: Record<string, string>;
  permissionsBoundary?: string;
  maxSessionDuration: number;
  tags: Tags;
}

export type Op = OrgOp | AccessOp | ResumeOp;
export type OpName = Op['op'];

/** A resource the planner left out of this run, and why (invalid spec, paused, circuit breaker). */
export interface Blocked {
  resource: string;
  reason:
    | 'InvalidSpec'
    | 'Paused'
    | 'DeletionCircuitBreaker'
    | 'DependencyInvalid'
    | 'ManagementAccount'
    | 'QuotaGuard'
    | 'NotEmpty'
    /** An existing AWS object without orgplane's ownership tags that the manifest does not opt in to adopting. */
    | 'AdoptionNeedsOptIn'
    /** An org-wide op refused at apply time (no --allow-org-wide / no approval), or something that depends on it. */
    | 'OrgWideNotAllowed';
  message: string;
}

export interface Plan {
  ops: Op[];
  blocked: Blocked[];
  /** AWS objects no manifest describes, as "Kind name (id)". */
  unmanaged: string[];
  warnings: string[];
  /** Resource key -> drift found (human text), even when it is being corrected. */
  drift: Record<string, string[]>;
  /** Op.group -> one headline for the grouped change ("recreate OU Workloads under ..."). */
  groups?: Record<string, string>;
  /** What the plan's SCP/RCP changes do to accounts' permissions (plan/impact.ts); absent when no op touches a chain. */
  impact?: PlanImpact;
  /** Policy lint findings (plan/lint.ts): warnings, errors under --strict. */
  lint?: LintFinding[];
}

/** Actions that flip for an account; `regions` only when the outcome differs by aws:RequestedRegion. */
export interface ImpactChange {
  regions?: string[];
  /** Allowed before, denied after ("ec2:*" when every ec2 action of the catalogue flipped). */
  newlyDenied: string[];
  newlyAllowed: string[];
  /** With newlyDenied ["*"]: every catalogue action except these (shorter when a whole region is lost). */
  newlyDeniedExcept?: string[];
  newlyAllowedExcept?: string[];
  /** Catalogue actions that flipped each way, before collapsing to service:*. */
  counts: { denied: number; allowed: number };
}

/** Accounts whose permissions change alike, for the same reasons. */
export interface ImpactGroup {
  accounts: { id: string; name: string }[];
  /** "P added to the path", "P removed from the path", "P updated", "moved Root / A -> Root / B". */
  causes: string[];
  changes: ImpactChange[];
}

export interface PlanImpact {
  /** Accounts whose chain changed (all were evaluated), catalogue size, region contexts evaluated. */
  evaluated: { accounts: number; actions: number; regions: string[] };
  groups: ImpactGroup[];
}

/** A policy lint finding, in the shape of a validation error (resource, field, rule id, message). */
export interface LintFinding {
  resource: string;
  field: string;
  rule: string;
  message: string;
}

/** What running one op produced: the id of a created object (fills IdRefs of later ops). */
export interface OpOutcome {
  createdId?: string;
  arn?: string;
  /** Extra human detail for events ("adopted existing OU ou-..." etc.). */
  message?: string;
}
