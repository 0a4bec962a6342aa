// Kubernetes Event reasons for applied ops: the op name in the past tense ("CreatedOU").
import type { OpName } from '../plan/operations.js';

export const APPLIED_REASON: Record<OpName, string> = {
  CreateOU: 'CreatedOU',
  RenameOU: 'RenamedOU',
  DeleteOU: 'DeletedOU',
  TagResource: 'TaggedResource',
  UntagResource: 'UntaggedResource',
  CreateAccount: 'CreatedAccount',
  MoveAccount: 'MovedAccount',
  CloseAccount: 'ClosedAccount',
  RemoveAccount: 'RemovedAccount',
  CreatePolicy: 'CreatedPolicy',
  UpdatePolicy: 'UpdatedPolicy',
  DeletePolicy: 'DeletedPolicy',
  AttachPolicy: 'AttachedPolicy',
  DetachPolicy: 'DetachedPolicy',
  EnablePolicyType: 'EnabledPolicyType',
  DisablePolicyType: 'DisabledPolicyType',
  EnableServiceAccess: 'EnabledServiceAccess',
  DisableServiceAccess: 'DisabledServiceAccess',
  RegisterDelegatedAdmin: 'RegisteredDelegatedAdmin',
  DeregisterDelegatedAdmin: 'DeregisteredDelegatedAdmin',
  CreatePermissionSet: 'CreatedPermissionSet',
  UpdatePermissionSet: 'UpdatedPermissionSet',
  DeletePermissionSet: 'DeletedPermissionSet',
  ProvisionPermissionSet: 'ProvisionedPermissionSet',
  CreateAccountAssignment: 'CreatedAccountAssignment',
  DeleteAccountAssignment: 'DeletedAccountAssignment',
  PutRole: 'AppliedRole',
  DeleteRole: 'DeletedRole',
  ResumeWorkflow: 'ResumedWorkflow',
};

export const FAILED_REASON = 'ApplyFailed';
export const DEPENDENCY_FAILED_REASON = 'DependencyFailed';

/** Ops that run as account workflows (or, RemoveAccount, as one step) rather than org/access writers. */
export const ACCOUNT_OPS = new Set<OpName>(['CreateAccount', 'MoveAccount', 'CloseAccount', 'RemoveAccount', 'ResumeWorkflow']);

export const ACCESS_OPS = new Set<OpName>([
  'CreatePermissionSet', 'UpdatePermissionSet', 'DeletePermissionSet', 'ProvisionPermissionSet',
  'CreateAccountAssignment', 'DeleteAccountAssignment', 'PutRole', 'DeleteRole',
]);
