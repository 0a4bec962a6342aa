// Runs one organization-structure operation of a plan (OUs, SCPs, tags, org settings) against
// AWS, idempotently: running an op whose effect is already there succeeds and changes nothing,
// so a retried or resumed apply converges instead of failing or duplicating.
import {
  AttachPolicyCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DeleteOrganizationalUnitCommand,
  DeletePolicyCommand,
  DeregisterDelegatedAdministratorCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  DisableAWSServiceAccessCommand,
  DisablePolicyTypeCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  ListDelegatedServicesForAccountCommand,
  RegisterDelegatedAdministratorCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateOrganizationalUnitCommand,
  UpdatePolicyCommand,
  type PolicyType,
} from '@aws-sdk/client-organizations';
import type { AwsClients } from './clients.js';
import type { Tags } from '../model/actual.js';
import type { IdRef, Op, OpOutcome, OrgOp } from '../plan/operations.js';
import { isAmbiguousFailure, isAwsError, OrgOpError } from './errors.js';
import { listAccountsForParent, listOUsForParent, listPolicies, paginate, SCP_TYPE } from './read-org.js';

const toTagList = (tags: Tags): { Key: string; Value: string }[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

type Handled = Extract<OrgOp, { op: HandledName }>;
type HandledName =
  | 'CreateOU'
  | 'RenameOU'
  | 'DeleteOU'
  | 'TagResource'
  | 'UntagResource'
  | 'CreatePolicy'
  | 'UpdatePolicy'
  | 'DeletePolicy'
  | 'AttachPolicy'
  | 'DetachPolicy'
  | 'EnablePolicyType'
  | 'DisablePolicyType'
  | 'EnableServiceAccess'
  | 'DisableServiceAccess'
  | 'RegisterDelegatedAdmin'
  | 'DeregisterDelegatedAdmin'
  | 'AdoptResource';

const HANDLED: ReadonlySet<string> = new Set<HandledName>([
  'CreateOU',
  'RenameOU',
  'DeleteOU',
  'TagResource',
  'UntagResource',
  'CreatePolicy',
  'UpdatePolicy',
  'DeletePolicy',
  'AttachPolicy',
  'DetachPolicy',
  'EnablePolicyType',
  'DisablePolicyType',
  'EnableServiceAccess',
  'DisableServiceAccess',
  'RegisterDelegatedAdmin',
  'DeregisterDelegatedAdmin',
  'AdoptResource',
]);
const ACCOUNT_LIFECYCLE: ReadonlySet<string> = new Set(['CreateAccount', 'MoveAccount', 'CloseAccount', 'RemoveAccount']);

/** Whether executeOrgOp runs this op kind. */
export const isOrgWriterOp = (op: Op): op is Handled => HANDLED.has(op.op);

/** Runs one OU / policy / tag / org-setting op. Throws for ops it does not own. */
export async function executeOrgOp(clients: AwsClients, op: Op, resolve: (r: IdRef) => string): Promise<OpOutcome> {
  if (!isOrgWriterOp(op)) {
    const who = ACCOUNT_LIFECYCLE.has(op.op)
      ? 'account lifecycle ops run through the account workflows'
      : 'Identity Center and IAM ops run through the access writer';
    throw new OrgOpError(`executeOrgOp does not run ${op.op} (${op.id}): ${who}`, 'UnsupportedOp');
  }
  return runOrgOp(clients, op, resolve);
}

/** Hands an op this writer owns to the function for its group. */
function runOrgOp(clients: AwsClients, op: Handled, resolve: (r: IdRef) => string): Promise<OpOutcome> {
  switch (op.op) {
    case 'CreateOU':
    case 'RenameOU':
    case 'DeleteOU':
    case 'AdoptResource':
    case 'TagResource':
    case 'UntagResource':
      return runStructureOp(clients, op, resolve);
    case 'CreatePolicy':
    case 'UpdatePolicy':
    case 'DeletePolicy':
    case 'AttachPolicy':
    case 'DetachPolicy':
      return runPolicyOp(clients, op, resolve);
    case 'EnablePolicyType':
    case 'DisablePolicyType':
    case 'EnableServiceAccess':
    case 'DisableServiceAccess':
    case 'RegisterDelegatedAdmin':
    case 'DeregisterDelegatedAdmin':
      return runOrgSettingOp(clients, op, resolve);
  }
}

/** OU, tag and adoption ops. */
async function runStructureOp(
  clients: AwsClients,
  op: Extract<Handled, { op: 'CreateOU' | 'RenameOU' | 'DeleteOU' | 'AdoptResource' | 'TagResource' | 'UntagResource' }>,
  resolve: (r: IdRef) => string,
): Promise<OpOutcome> {
  const org = clients.organizations;
  switch (op.op) {
    case 'CreateOU':
      return createOU(clients, op.name, resolve(op.parent), op.tags);

    case 'RenameOU':
      try {
        await org.send(new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: op.ouId, Name: op.to }));
        return {};
      } catch (e) {
        if (!isAwsError(e, 'DuplicateOrganizationalUnitException')) throw e;
        // Already renamed (a retried op) is done; another OU holding the name is a real conflict.
        const d = await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: op.ouId }));
        if (d.OrganizationalUnit?.Name === op.to) return { message: `OU ${op.ouId} is already named "${op.to}"` };
        throw new OrgOpError(`cannot rename OU "${op.from}" (${op.ouId}) to "${op.to}": another OU already has that name`, 'DuplicateName', { cause: e });
      }

    case 'DeleteOU':
      return deleteOU(clients, op.ouId, op.name);

    case 'AdoptResource':
      // Adoption is writing the ownership tags: from then on the object is orgplane's.
      await org.send(new TagResourceCommand({ ResourceId: op.target.id, Tags: toTagList(op.tags) }));
      return { message: `adopted ${op.objectKind} ${op.name} (${op.target.id})` };

    case 'TagResource': {
      if (Object.keys(op.tags).length === 0) return {};
      await org.send(new TagResourceCommand({ ResourceId: resolve(op.target), Tags: toTagList(op.tags) }));
      return {};
    }

    case 'UntagResource': {
      if (op.tagKeys.length === 0) return {};
      await org.send(new UntagResourceCommand({ ResourceId: resolve(op.target), TagKeys: op.tagKeys }));
      return {};
    }
  }
}

/** Policy create, update, delete, attach and detach. */
async function runPolicyOp(
  clients: AwsClients,
  op: Extract<Handled, { op: 'CreatePolicy' | 'UpdatePolicy' | 'DeletePolicy' | 'AttachPolicy' | 'DetachPolicy' }>,
  resolve: (r: IdRef) => string,
): Promise<OpOutcome> {
  const org = clients.organizations;
  switch (op.op) {
    case 'CreatePolicy':
      return createPolicy(clients, { name: op.name, description: op.description, content: op.content, tags: op.tags, type: op.policyType ?? SCP_TYPE });

    case 'UpdatePolicy': {
      const out = await org.send(
        new UpdatePolicyCommand({
          PolicyId: op.policyId,
          Name: op.name,
          Description: op.description,
          Content: op.content,
        }),
      );
      return { arn: out.Policy?.PolicySummary?.Arn };
    }

    case 'DeletePolicy':
      try {
        await org.send(new DeletePolicyCommand({ PolicyId: op.policyId }));
        return {};
      } catch (e) {
        if (isAwsError(e, 'PolicyNotFoundException')) return { message: `policy ${op.policyId} was already deleted` };
        if (isAwsError(e, 'PolicyInUseException')) {
          throw new OrgOpError(`cannot delete policy "${op.name}" (${op.policyId}): it is still attached; the plan must detach it first`, 'PolicyInUse', {
            cause: e,
          });
        }
        throw e;
      }

    case 'AttachPolicy': {
      const policyId = resolve(op.policy);
      const targetId = resolve(op.target);
      try {
        await org.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: targetId }));
        return {};
      } catch (e) {
        if (isAwsError(e, 'DuplicatePolicyAttachmentException')) return { message: `policy ${policyId} was already attached to ${targetId}` };
        throw e;
      }
    }

    case 'DetachPolicy':
      try {
        await org.send(new DetachPolicyCommand({ PolicyId: op.policyId, TargetId: op.targetId }));
        return {};
      } catch (e) {
        if (isAwsError(e, 'PolicyNotAttachedException')) return { message: `policy ${op.policyId} was not attached to ${op.targetId}` };
        throw e;
      }
  }
}

/** Policy types, trusted service access and delegated administrators. */
async function runOrgSettingOp(
  clients: AwsClients,
  op: Extract<
    Handled,
    { op: 'EnablePolicyType' | 'DisablePolicyType' | 'EnableServiceAccess' | 'DisableServiceAccess' | 'RegisterDelegatedAdmin' | 'DeregisterDelegatedAdmin' }
  >,
  resolve: (r: IdRef) => string,
): Promise<OpOutcome> {
  const org = clients.organizations;
  switch (op.op) {
    case 'EnablePolicyType':
      try {
        await org.send(new EnablePolicyTypeCommand({ RootId: op.rootId, PolicyType: op.policyType as PolicyType }));
        return {};
      } catch (e) {
        if (isAwsError(e, 'PolicyTypeAlreadyEnabledException')) return { message: `${op.policyType} was already enabled` };
        throw e;
      }

    case 'DisablePolicyType':
      try {
        await org.send(new DisablePolicyTypeCommand({ RootId: op.rootId, PolicyType: op.policyType as PolicyType }));
        return {};
      } catch (e) {
        if (isAwsError(e, 'PolicyTypeNotEnabledException')) return { message: `${op.policyType} was already disabled` };
        throw e;
      }

    case 'EnableServiceAccess':
      await org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: op.servicePrincipal }));
      return {};

    case 'DisableServiceAccess':
      await org.send(new DisableAWSServiceAccessCommand({ ServicePrincipal: op.servicePrincipal }));
      return {};

    case 'RegisterDelegatedAdmin': {
      const accountId = resolve(op.account);
      try {
        await org.send(new RegisterDelegatedAdministratorCommand({ AccountId: accountId, ServicePrincipal: op.servicePrincipal }));
        return {};
      } catch (e) {
        if (isAwsError(e, 'AccountAlreadyRegisteredException'))
          return { message: `${accountId} was already delegated administrator for ${op.servicePrincipal}` };
        throw e;
      }
    }

    case 'DeregisterDelegatedAdmin':
      try {
        await org.send(new DeregisterDelegatedAdministratorCommand({ AccountId: op.accountId, ServicePrincipal: op.servicePrincipal }));
        return {};
      } catch (e) {
        const notRegistered = { message: `${op.accountId} was not delegated administrator for ${op.servicePrincipal}` };
        if (isAwsError(e, 'AccountNotRegisteredException')) return notRegistered;
        // An admin for other services but not this one: some endpoints (moto) say InvalidInput.
        if (isAwsError(e, 'InvalidInputException') && !(await isDelegatedFor(clients, op.accountId, op.servicePrincipal))) return notRegistered;
        throw e;
      }
  }
}

async function isDelegatedFor(clients: AwsClients, accountId: string, servicePrincipal: string): Promise<boolean> {
  try {
    const services = await paginate(async (NextToken) => {
      const r = await clients.organizations.send(new ListDelegatedServicesForAccountCommand({ AccountId: accountId, NextToken }));
      return { items: r.DelegatedServices, next: r.NextToken };
    });
    return services.some((s) => s.ServicePrincipal === servicePrincipal);
  } catch (e) {
    if (isAwsError(e, 'AccountNotRegisteredException')) return false;
    throw e;
  }
}

async function createOU(clients: AwsClients, name: string, parentId: string, tags: Tags): Promise<OpOutcome> {
  // Pre-check: AWS refuses a duplicate name under one parent but emulators may not, and a
  // crashed earlier run may have created it already. Either way: adopt it.
  const adopt = async (): Promise<OpOutcome | undefined> => {
    const existing = (await listOUsForParent(clients, parentId)).find((o) => o.Name === name);
    if (!existing?.Id) return undefined;
    if (Object.keys(tags).length > 0) {
      await clients.organizations.send(new TagResourceCommand({ ResourceId: existing.Id, Tags: toTagList(tags) }));
    }
    return { createdId: existing.Id, arn: existing.Arn, message: `adopted existing OU ${existing.Id} "${name}" under ${parentId}` };
  };
  const adopted = await adopt();
  if (adopted) return adopted;
  try {
    const out = await clients.organizations.send(
      new CreateOrganizationalUnitCommand({
        ParentId: parentId,
        Name: name,
        Tags: Object.keys(tags).length > 0 ? toTagList(tags) : undefined,
      }),
    );
    return { createdId: out.OrganizationalUnit?.Id, arn: out.OrganizationalUnit?.Arn };
  } catch (e) {
    // Duplicate: someone else created it. Ambiguous failure: it may have been created anyway.
    if (!isAwsError(e, 'DuplicateOrganizationalUnitException') && !isAmbiguousFailure(e)) throw e;
    const raced = await adopt();
    if (raced) return raced;
    throw e;
  }
}

async function deleteOU(clients: AwsClients, ouId: string, name: string): Promise<OpOutcome> {
  const gone = { message: `OU ${ouId} "${name}" was already deleted` };
  let ous, accounts;
  try {
    // AWS refuses to delete a non-empty OU, emulators may not: check so both behave alike.
    [ous, accounts] = await Promise.all([listOUsForParent(clients, ouId), listAccountsForParent(clients, ouId)]);
  } catch (e) {
    if (isAwsError(e, 'OrganizationalUnitNotFoundException', 'ParentNotFoundException')) return gone;
    throw e;
  }
  if (ous.length > 0 || accounts.length > 0) {
    const parts = [
      ...(ous.length ? [`OUs ${ous.map((o) => `"${o.Name}"`).join(', ')}`] : []),
      ...(accounts.length ? [`accounts ${accounts.map((a) => a.Id).join(', ')}`] : []),
    ];
    throw new OrgOpError(`refusing to delete OU "${name}" (${ouId}): it still contains ${parts.join(' and ')}`, 'OUNotEmpty');
  }
  try {
    await clients.organizations.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: ouId }));
    return {};
  } catch (e) {
    if (isAwsError(e, 'OrganizationalUnitNotFoundException')) return gone;
    if (isAwsError(e, 'OrganizationalUnitNotEmptyException')) {
      throw new OrgOpError(`refusing to delete OU "${name}" (${ouId}): it is not empty`, 'OUNotEmpty', { cause: e });
    }
    throw e;
  }
}

async function createPolicy(clients: AwsClients, spec: { name: string; description: string; content: string; tags: Tags; type: string }): Promise<OpOutcome> {
  const { name, description, content, tags, type } = spec;
  const org = clients.organizations;
  try {
    const out = await org.send(
      new CreatePolicyCommand({
        Name: name,
        Description: description,
        Content: content,
        Type: type as PolicyType,
        Tags: Object.keys(tags).length > 0 ? toTagList(tags) : undefined,
      }),
    );
    return { createdId: out.Policy?.PolicySummary?.Id, arn: out.Policy?.PolicySummary?.Arn };
  } catch (e) {
    // Created by an earlier (crashed or retried) run, or maybe by this very request before its
    // answer was lost (ambiguous failure): adopt it and bring it to the spec.
    if (!isAwsError(e, 'DuplicatePolicyException') && !isAmbiguousFailure(e)) throw e;
    // Names are unique within a type: look only among policies of the type being created.
    const existing = (await listPolicies(clients, type)).find((p) => p.Name === name && !p.AwsManaged);
    if (!existing?.Id) throw e;
    const current = await org.send(new DescribePolicyCommand({ PolicyId: existing.Id }));
    const changed: string[] = [];
    if ((current.Policy?.Content ?? '') !== content) changed.push('content');
    if ((existing.Description ?? '') !== description) changed.push('description');
    if (changed.length > 0) {
      await org.send(new UpdatePolicyCommand({ PolicyId: existing.Id, Content: content, Description: description }));
    }
    if (Object.keys(tags).length > 0) {
      await org.send(new TagResourceCommand({ ResourceId: existing.Id, Tags: toTagList(tags) }));
    }
    const updated = changed.length ? `; updated its ${changed.join(' and ')}` : '';
    return { createdId: existing.Id, arn: existing.Arn, message: `adopted existing policy ${existing.Id} "${name}"${updated}` };
  }
}
