import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateAccountCommand, ListRootsCommand, MoveAccountCommand } from '@aws-sdk/client-organizations';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { readOrganization } from '../../controller/aws/read-org.js';
import { executeOrgOp } from '../../controller/aws/org-writer.js';
import type { IdRef, Op, OpOutcome } from '../../controller/plan/operations.js';
import { useMoto, TEST_CREDENTIALS } from '../support/moto.js';

const CONTENT_A = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] });
const CONTENT_B = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] });

let seq = 0;
const base = () => ({ id: `op-${++seq}`, deps: [], resource: '', summary: '' });

describe('executeOrgOp', () => {
  const moto = useMoto();
  let clients: AwsClients;
  let rootId: string;
  const refs: Record<string, string> = {};
  const resolve = (r: IdRef): string => {
    if ('id' in r) return r.id;
    const id = refs[r.ref];
    if (!id) throw new Error(`unresolved ${r.ref}`);
    return id;
  };
  /** Runs the op twice: the second run must succeed too (idempotency). */
  const twice = async (op: Op): Promise<[OpOutcome, OpOutcome]> => [await executeOrgOp(clients, op, resolve), await executeOrgOp(clients, op, resolve)];
  const newAccount = async (name: string): Promise<string> => {
    const r = await clients.organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    return r.CreateAccountStatus!.AccountId!;
  };

  beforeEach(async () => {
    clients = createAwsClients({ endpoint: moto.endpoint, credentials: TEST_CREDENTIALS, rateLimits: { Organizations: { tps: 0 } } });
    rootId = (await clients.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
  });
  afterEach(() => clients.destroy());

  it('CreateOU creates once, with tags, and adopts the existing OU on a second run', async () => {
    const op: Op = { ...base(), op: 'CreateOU', name: 'workloads', parent: { id: rootId }, tags: { 'orgplane.io/managed-by': 'orgplane' } };
    const [first, second] = await twice(op);
    expect(first.createdId).toMatch(/^ou-/);
    expect(first.message).toBeUndefined();
    expect(second).toEqual({ createdId: first.createdId, arn: first.arn, message: `adopted existing OU ${first.createdId} "workloads" under ${rootId}` });
    refs['OrganizationalUnit/workloads'] = first.createdId!;
    // A child through an IdRef to the OU created above.
    const child = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'prod', parent: { ref: 'OrganizationalUnit/workloads' }, tags: {} }, resolve);
    const actual = await readOrganization(clients);
    const ous = Object.values(actual.ous);
    expect(ous.map((o) => [o.name, o.parentId]).sort()).toEqual([
      ['prod', first.createdId],
      ['workloads', rootId],
    ]);
    expect(actual.ous[first.createdId!].tags).toEqual({ 'orgplane.io/managed-by': 'orgplane' });
    expect(actual.ous[child.createdId!].tags).toEqual({});
  });

  it('RenameOU renames, and a second run is a no-op', async () => {
    const { createdId } = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'old', parent: { id: rootId }, tags: {} }, resolve);
    const [first, second] = await twice({ ...base(), op: 'RenameOU', ouId: createdId!, from: 'old', to: 'new' });
    expect(first).toEqual({});
    expect(second).toEqual({ message: `OU ${createdId} is already named "new"` });
    expect((await readOrganization(clients)).ous[createdId!].name).toBe('new');
  });

  it('RenameOU onto a name another OU holds fails with a clear error', async () => {
    const a = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'a', parent: { id: rootId }, tags: {} }, resolve);
    await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'b', parent: { id: rootId }, tags: {} }, resolve);
    await expect(executeOrgOp(clients, { ...base(), op: 'RenameOU', ouId: a.createdId!, from: 'a', to: 'b' }, resolve)).rejects.toThrow(
      `cannot rename OU "a" (${a.createdId}) to "b": another OU already has that name`,
    );
  });

  it('DeleteOU refuses a non-empty OU, deletes an empty one, and is done when it is gone', async () => {
    const parent = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'parent', parent: { id: rootId }, tags: {} }, resolve);
    const child = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'child', parent: { id: parent.createdId! }, tags: {} }, resolve);
    const accountId = await newAccount('member');
    await clients.organizations.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: rootId, DestinationParentId: parent.createdId! }));

    const del = (ouId: string, name: string): Op => ({ ...base(), op: 'DeleteOU', ouId, name });
    await expect(executeOrgOp(clients, del(parent.createdId!, 'parent'), resolve)).rejects.toThrow(
      `refusing to delete OU "parent" (${parent.createdId}): it still contains OUs "child" and accounts ${accountId}`,
    );
    await expect(executeOrgOp(clients, del(parent.createdId!, 'parent'), resolve)).rejects.toMatchObject({ name: 'OrgOpError', reason: 'OUNotEmpty' });

    const [first, second] = await twice(del(child.createdId!, 'child'));
    expect(first).toEqual({});
    expect(second).toEqual({ message: `OU ${child.createdId} "child" was already deleted` });
    await expect(executeOrgOp(clients, del(parent.createdId!, 'parent'), resolve)).rejects.toThrow(
      `refusing to delete OU "parent" (${parent.createdId}): it still contains accounts ${accountId}`,
    );
    expect(Object.keys((await readOrganization(clients)).ous)).toEqual([parent.createdId]);
  });

  it('TagResource and UntagResource converge when run twice', async () => {
    const ou = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'tagged', parent: { id: rootId }, tags: { keep: '1', drop: '2' } }, resolve);
    refs['OrganizationalUnit/tagged'] = ou.createdId!;
    await twice({ ...base(), op: 'TagResource', target: { ref: 'OrganizationalUnit/tagged' }, tags: { keep: 'changed', extra: 'x' } });
    await twice({ ...base(), op: 'UntagResource', target: { id: ou.createdId! }, tagKeys: ['drop'] });
    expect((await readOrganization(clients)).ous[ou.createdId!].tags).toEqual({ keep: 'changed', extra: 'x' });
    // Empty tag sets make no call at all.
    clients.calls.reset();
    await executeOrgOp(clients, { ...base(), op: 'TagResource', target: { id: ou.createdId! }, tags: {} }, resolve);
    await executeOrgOp(clients, { ...base(), op: 'UntagResource', target: { id: ou.createdId! }, tagKeys: [] }, resolve);
    expect(clients.calls.total).toBe(0);
  });

  it('CreatePolicy creates once and adopts (and corrects) the existing policy by name', async () => {
    const op: Op = {
      ...base(),
      op: 'CreatePolicy',
      name: 'deny-leave',
      description: 'no leaving',
      content: CONTENT_A,
      tags: { 'orgplane.io/managed-by': 'orgplane' },
    };
    const [first, second] = await twice(op);
    expect(first.createdId).toMatch(/^p-[a-z0-9]{8}$/);
    expect(second).toEqual({ createdId: first.createdId, arn: first.arn, message: `adopted existing policy ${first.createdId} "deny-leave"` });
    // A crashed run that created an older version: adoption brings content and description to the spec.
    const third = await executeOrgOp(clients, { ...op, description: 'no leaving, ever', content: CONTENT_B }, resolve);
    expect(third.message).toBe(`adopted existing policy ${first.createdId} "deny-leave"; updated its content and description`);
    const actual = await readOrganization(clients);
    const customer = Object.values(actual.policies).filter((p) => !p.awsManaged);
    expect(customer).toEqual([
      {
        id: first.createdId,
        arn: first.arn,
        name: 'deny-leave',
        description: 'no leaving, ever',
        type: 'SERVICE_CONTROL_POLICY',
        awsManaged: false,
        content: CONTENT_B,
        targets: [],
        tags: { 'orgplane.io/managed-by': 'orgplane' },
      },
    ]);
  });

  it('UpdatePolicy, AttachPolicy, DetachPolicy and DeletePolicy are idempotent', async () => {
    const p = await executeOrgOp(clients, { ...base(), op: 'CreatePolicy', name: 'guard', description: 'd', content: CONTENT_A, tags: {} }, resolve);
    const policyId = p.createdId!;
    refs['ServiceControlPolicy/guard'] = policyId;
    const ou = await executeOrgOp(clients, { ...base(), op: 'CreateOU', name: 'target', parent: { id: rootId }, tags: {} }, resolve);
    const [u1, u2] = await twice({ ...base(), op: 'UpdatePolicy', policyId, description: 'd2', content: CONTENT_B });
    expect(u1.arn).toBe(p.arn);
    expect(u2.arn).toBe(p.arn);

    const attach: Op = {
      ...base(),
      op: 'AttachPolicy',
      policy: { ref: 'ServiceControlPolicy/guard' },
      target: { id: ou.createdId! },
      policyName: 'guard',
      targetName: 'target',
    };
    await twice(attach);
    let actual = await readOrganization(clients);
    expect(actual.policies[policyId]).toMatchObject({ description: 'd2', content: CONTENT_B, targets: [ou.createdId] });

    await expect(executeOrgOp(clients, { ...base(), op: 'DeletePolicy', policyId, name: 'guard' }, resolve)).rejects.toThrow(
      `cannot delete policy "guard" (${policyId}): it is still attached; the plan must detach it first`,
    );

    await twice({ ...base(), op: 'DetachPolicy', policyId, targetId: ou.createdId!, policyName: 'guard', targetName: 'target' });
    actual = await readOrganization(clients);
    expect(actual.policies[policyId].targets).toEqual([]);

    const [d1, d2] = await twice({ ...base(), op: 'DeletePolicy', policyId, name: 'guard' });
    expect(d1).toEqual({});
    expect(d2).toEqual({ message: `policy ${policyId} was already deleted` });
    expect(Object.keys((await readOrganization(clients)).policies)).toEqual(['p-FullAWSAccess']);
  });

  it('Enable/DisablePolicyType are idempotent', async () => {
    const [e1, e2] = await twice({ ...base(), op: 'EnablePolicyType', rootId, policyType: 'SERVICE_CONTROL_POLICY' });
    expect(e1).toEqual({});
    expect(e2).toEqual({ message: 'SERVICE_CONTROL_POLICY was already enabled' });
    expect((await readOrganization(clients)).root.enabledPolicyTypes).toEqual(['SERVICE_CONTROL_POLICY']);
    const [d1, d2] = await twice({ ...base(), op: 'DisablePolicyType', rootId, policyType: 'SERVICE_CONTROL_POLICY' });
    expect(d1).toEqual({});
    expect(d2).toEqual({ message: 'SERVICE_CONTROL_POLICY was already disabled' });
    expect((await readOrganization(clients)).root.enabledPolicyTypes).toEqual([]);
  });

  it('Enable/DisableServiceAccess are idempotent', async () => {
    await twice({ ...base(), op: 'EnableServiceAccess', servicePrincipal: 'sso.amazonaws.com' });
    expect((await readOrganization(clients)).trustedServices).toEqual(['sso.amazonaws.com']);
    await twice({ ...base(), op: 'DisableServiceAccess', servicePrincipal: 'sso.amazonaws.com' });
    expect((await readOrganization(clients)).trustedServices).toEqual([]);
  });

  it('Register/DeregisterDelegatedAdmin are idempotent', async () => {
    const accountId = await newAccount('security');
    refs['Account/security'] = accountId;
    const [r1, r2] = await twice({
      ...base(),
      op: 'RegisterDelegatedAdmin',
      account: { ref: 'Account/security' },
      servicePrincipal: 'guardduty.amazonaws.com',
    });
    expect(r1).toEqual({});
    expect(r2).toEqual({ message: `${accountId} was already delegated administrator for guardduty.amazonaws.com` });
    await executeOrgOp(clients, { ...base(), op: 'RegisterDelegatedAdmin', account: { id: accountId }, servicePrincipal: 'macie.amazonaws.com' }, resolve);
    expect((await readOrganization(clients)).delegatedAdmins).toEqual([
      { accountId, servicePrincipal: 'guardduty.amazonaws.com' },
      { accountId, servicePrincipal: 'macie.amazonaws.com' },
    ]);
    const [d1, d2] = await twice({ ...base(), op: 'DeregisterDelegatedAdmin', accountId, servicePrincipal: 'guardduty.amazonaws.com' });
    expect(d1).toEqual({});
    expect(d2).toEqual({ message: `${accountId} was not delegated administrator for guardduty.amazonaws.com` });
    await twice({ ...base(), op: 'DeregisterDelegatedAdmin', accountId, servicePrincipal: 'macie.amazonaws.com' });
    expect((await readOrganization(clients)).delegatedAdmins).toEqual([]);
  });

  it('refuses ops it does not own, with a clear error and no AWS call', async () => {
    clients.calls.reset();
    await expect(executeOrgOp(clients, { ...base(), id: 'op-x', op: 'CloseAccount', accountId: '111111111111', name: 'old' }, resolve)).rejects.toThrow(
      'executeOrgOp does not run CloseAccount (op-x): account lifecycle ops run through the account workflows',
    );
    await expect(
      executeOrgOp(clients, { ...base(), id: 'op-y', op: 'DeletePermissionSet', instanceArn: 'arn:i', permissionSetArn: 'arn:x', name: 'ps' }, resolve),
    ).rejects.toThrow('executeOrgOp does not run DeletePermissionSet (op-y): Identity Center and IAM ops run through the access writer');
    expect(clients.calls.total).toBe(0);
  });
});
