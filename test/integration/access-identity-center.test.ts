// Permission sets and assignments against a real moto server through the real SDK clients:
// create, update (re-provisioning), OU expansion after a move, delete, drift, unknown principals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrganizationsClient, MoveAccountCommand } from '@aws-sdk/client-organizations';
import {
  ListPermissionSetsCommand,
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListAccountAssignmentsCommand,
  DeleteAccountAssignmentCommand,
  CreateAccountAssignmentCommand,
  ListInstancesCommand,
} from '@aws-sdk/client-sso-admin';
import { CreateGroupCommand, CreateUserCommand } from '@aws-sdk/client-identitystore';
import { useMoto } from '../support/moto.js';
import type { AwsClients } from '../../controller/aws/clients.js';
import { validateAccess } from '../../controller/model/validate-access.js';
import { accessStatus } from '../../controller/status/access.js';
import type { DesiredOrg } from '../../controller/model/desired.js';
import { account, buildAccessTestOrg, emptyDesired, ou, permissionSet, planOnce, runAccessOps } from '../support/access-fixtures.js';

const INLINE_V1 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:*', 'logs:GetLogEvents'], Resource: '*' }] });
const INLINE_V2 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:*', 'lambda:*'], Resource: '*' }] });
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

describe('access: Identity Center permission sets against moto', () => {
  const moto = useMoto();
  let clients: AwsClients;
  let org: OrganizationsClient;
  let ids: { root: string; workloads: string; sandbox: string; dev: string; staging: string; instanceArn: string; storeId: string; developers: string };

  beforeEach(async () => {
    const built = await buildAccessTestOrg(moto.endpoint);
    ({ clients, org } = built);
    const { root, workloads, sandbox, mkAccount } = built;
    const dev = await mkAccount('dev', workloads);
    const staging = await mkAccount('staging', workloads);
    const inst = (await clients.ssoAdmin.send(new ListInstancesCommand({}))).Instances![0];
    const developers = (await clients.identityStore.send(new CreateGroupCommand({ IdentityStoreId: inst.IdentityStoreId!, DisplayName: 'Developers' })))
      .GroupId!;
    ids = { root, workloads, sandbox, dev, staging, instanceArn: inst.InstanceArn!, storeId: inst.IdentityStoreId!, developers };
  });
  afterEach(() => {
    clients.destroy();
    org.destroy();
  });

  const desiredOrg = (inline = INLINE_V1, stagingParent = 'workloads'): DesiredOrg => {
    const d = emptyDesired();
    d.ous = { workloads: ou('workloads', 'root', 'WorkloadsOU'), sandbox: ou('sandbox', 'root', 'SandboxOU') };
    d.accounts = { dev: account('dev', 'workloads'), staging: account('staging', stagingParent) };
    d.permissionSets = {
      DeveloperAccess: permissionSet('DeveloperAccess', {
        description: 'Deploy and troubleshoot services',
        sessionDuration: 'PT4H',
        managedPolicies: [READ_ONLY],
        inlinePolicy: inline,
        assignments: [{ principal: { type: 'GROUP', name: 'Developers' }, accounts: [], organizationalUnits: ['workloads'], includeDescendants: false }],
      }),
    };
    return d;
  };

  const assignmentsIn = async (psArn: string, accountId: string) =>
    (
      (await clients.ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn: ids.instanceArn, AccountId: accountId, PermissionSetArn: psArn })))
        .AccountAssignments ?? []
    ).map((a) => `${a.PrincipalType}:${a.PrincipalId}`);

  async function createAll(d: DesiredOrg): Promise<string> {
    const { plan } = await planOnce(clients, d);
    const results = await runAccessOps(clients, plan.ops);
    expect(results.filter((r) => r.status !== 'succeeded')).toEqual([]);
    return results.find((r) => r.op.op === 'CreatePermissionSet')!.outcome!.arn!;
  }

  it('creates a permission set with inline and managed policies and assigns a group (by display name) to every account of an OU', async () => {
    const d = desiredOrg();
    const { plan, actual } = await planOnce(clients, d);
    expect(actual.access?.principals).toEqual({ 'GROUP:Developers': ids.developers });
    expect(plan.blocked).toEqual([]);
    expect(plan.ops.map((o) => o.op)).toEqual(['CreatePermissionSet', 'CreateAccountAssignment', 'CreateAccountAssignment']);
    expect(plan.ops.slice(1).map((o) => o.deps)).toEqual([['op-a1'], ['op-a1']]);
    const results = await runAccessOps(clients, plan.ops);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const arn = results[0].outcome!.arn!;

    const listed = (await clients.ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn: ids.instanceArn }))).PermissionSets;
    expect(listed).toEqual([arn]);
    const ps = (await clients.ssoAdmin.send(new DescribePermissionSetCommand({ InstanceArn: ids.instanceArn, PermissionSetArn: arn }))).PermissionSet!;
    expect(ps).toMatchObject({ Name: 'DeveloperAccess', Description: 'Deploy and troubleshoot services', SessionDuration: 'PT4H' });
    const inline = (await clients.ssoAdmin.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: ids.instanceArn, PermissionSetArn: arn })))
      .InlinePolicy;
    expect(JSON.parse(inline!)).toEqual(JSON.parse(INLINE_V1));
    const managed = (await clients.ssoAdmin.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn: ids.instanceArn, PermissionSetArn: arn })))
      .AttachedManagedPolicies;
    expect(managed?.map((m) => m.Arn)).toEqual([READ_ONLY]);
    expect(await assignmentsIn(arn, ids.dev)).toEqual([`GROUP:${ids.developers}`]);
    expect(await assignmentsIn(arn, ids.staging)).toEqual([`GROUP:${ids.developers}`]);

    // Converged: the next plan is empty, and status counts what is there.
    const again = await planOnce(clients, d);
    expect(again.plan.ops).toEqual([]);
    expect(accessStatus(d, again.actual, [])['PermissionSet/DeveloperAccess']).toEqual({
      arn,
      instanceArn: ids.instanceArn,
      assignedAccounts: 2,
      assignments: 2,
    });
    // Running the same assignment ops again never duplicates them.
    await runAccessOps(
      clients,
      plan.ops.filter((o) => o.op === 'CreateAccountAssignment'),
      { 'PermissionSet/DeveloperAccess': arn },
    );
    expect(await assignmentsIn(arn, ids.dev)).toEqual([`GROUP:${ids.developers}`]);
  });

  it('updates a changed inline policy in place and re-provisions the permission set', async () => {
    const arn = await createAll(desiredOrg());
    clients.calls.reset();
    const { plan } = await planOnce(clients, desiredOrg(INLINE_V2));
    expect(plan.ops.map((o) => [o.op, 'changes' in o ? o.changes : undefined])).toEqual([
      ['UpdatePermissionSet', ['inlinePolicy']],
      ['ProvisionPermissionSet', undefined],
    ]);
    expect(plan.ops[1]).toMatchObject({ deps: ['op-a1'], allProvisioned: true, permissionSet: { id: arn } });
    expect(plan.drift['PermissionSet/DeveloperAccess']).toEqual(['inlinePolicy differs from the manifest']);
    const results = await runAccessOps(clients, plan.ops);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const inline = (await clients.ssoAdmin.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: ids.instanceArn, PermissionSetArn: arn })))
      .InlinePolicy;
    expect(JSON.parse(inline!)).toEqual(JSON.parse(INLINE_V2));
    const calls = clients.calls.toJSON();
    expect(calls['SSOAdmin:PutInlinePolicyToPermissionSet']).toBe(1);
    expect(calls['SSOAdmin:ProvisionPermissionSet']).toBe(1);
    // Only the inline policy differed: no UpdatePermissionSet call, no policy re-attachments.
    expect(calls['SSOAdmin:UpdatePermissionSet']).toBeUndefined();
    expect(calls['SSOAdmin:AttachManagedPolicyToPermissionSet']).toBeUndefined();
    // moto answers SUCCEEDED at once, so the (unimplemented) status call is never made.
    expect(calls['SSOAdmin:DescribePermissionSetProvisioningStatus']).toBeUndefined();
    expect((await planOnce(clients, desiredOrg(INLINE_V2))).plan.ops).toEqual([]);
  });

  it('recomputes OU targets when an account moves: assignment added in the new OU, removed from the old', async () => {
    const d = desiredOrg();
    d.permissionSets.SandboxAccess = permissionSet('SandboxAccess', {
      assignments: [{ principal: { type: 'GROUP', name: 'Developers' }, accounts: [], organizationalUnits: ['sandbox'], includeDescendants: false }],
    });
    const { plan: first } = await planOnce(clients, d);
    const created = await runAccessOps(clients, first.ops);
    expect(created.filter((r) => r.status !== 'succeeded')).toEqual([]);
    const devArn = created.find((r) => r.op.op === 'CreatePermissionSet' && r.op.name === 'DeveloperAccess')!.outcome!.arn!;
    const sandboxArn = created.find((r) => r.op.op === 'CreatePermissionSet' && r.op.name === 'SandboxAccess')!.outcome!.arn!;
    expect(await assignmentsIn(sandboxArn, ids.staging)).toEqual([]);

    // The manifests move staging to the sandbox OU; the move has not run in AWS yet.
    const moved = desiredOrg(INLINE_V1, 'sandbox');
    moved.permissionSets.SandboxAccess = d.permissionSets.SandboxAccess;
    const { plan } = await planOnce(clients, moved);
    expect(plan.ops.map((o) => o.summary)).toEqual([
      `remove DeveloperAccess from group Developers in staging (${ids.staging})`,
      `assign SandboxAccess to group Developers in staging (${ids.staging})`,
    ]);
    // The move itself happens (the org ops of the same plan); the access plan is unchanged by it.
    await org.send(new MoveAccountCommand({ AccountId: ids.staging, SourceParentId: ids.workloads, DestinationParentId: ids.sandbox }));
    const afterMove = await planOnce(clients, moved);
    expect(afterMove.plan.ops.map((o) => o.summary)).toEqual(plan.ops.map((o) => o.summary));
    const results = await runAccessOps(clients, afterMove.plan.ops);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(await assignmentsIn(devArn, ids.staging)).toEqual([]);
    expect(await assignmentsIn(devArn, ids.dev)).toEqual([`GROUP:${ids.developers}`]);
    expect(await assignmentsIn(sandboxArn, ids.staging)).toEqual([`GROUP:${ids.developers}`]);
    expect((await planOnce(clients, moved)).plan.ops).toEqual([]);
  });

  it('restores an assignment removed out of band and removes one added out of band', async () => {
    const d = desiredOrg();
    const arn = await createAll(d);
    await clients.ssoAdmin.send(
      new DeleteAccountAssignmentCommand({
        InstanceArn: ids.instanceArn,
        PermissionSetArn: arn,
        TargetId: ids.dev,
        TargetType: 'AWS_ACCOUNT',
        PrincipalType: 'GROUP',
        PrincipalId: ids.developers,
      }),
    );
    const intruder = (
      await clients.identityStore.send(
        new CreateUserCommand({
          IdentityStoreId: ids.storeId,
          UserName: 'mallory',
          DisplayName: 'Mallory',
          Name: { GivenName: 'Mal', FamilyName: 'Lory' },
        }),
      )
    ).UserId!;
    await clients.ssoAdmin.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: ids.instanceArn,
        PermissionSetArn: arn,
        TargetId: ids.staging,
        TargetType: 'AWS_ACCOUNT',
        PrincipalType: 'USER',
        PrincipalId: intruder,
      }),
    );
    const { plan } = await planOnce(clients, d);
    expect(plan.ops.map((o) => o.op)).toEqual(['CreateAccountAssignment', 'DeleteAccountAssignment']);
    expect(plan.drift['PermissionSet/DeveloperAccess']).toEqual([
      `assignment GROUP Developers -> dev (${ids.dev}) is missing in AWS`,
      `assignment USER ${intruder} -> staging (${ids.staging}) is not in the manifest`,
    ]);
    const results = await runAccessOps(clients, plan.ops);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(await assignmentsIn(arn, ids.dev)).toEqual([`GROUP:${ids.developers}`]);
    expect(await assignmentsIn(arn, ids.staging)).toEqual([`GROUP:${ids.developers}`]);
    expect((await planOnce(clients, d)).plan.ops).toEqual([]);
  });

  // Deleting a removed permission set (assignments first; Retain leaves it) is tested through
  // reconcile with the resource being deleted, as the controller runs it: plan-contract.test.ts.

  it('reports an unknown group name as a validation error and plans nothing for that permission set', async () => {
    const d = desiredOrg();
    d.permissionSets.DeveloperAccess.assignments[0].principal = { type: 'GROUP', name: 'Develpers' };
    const { plan, actual } = await planOnce(clients, d);
    expect(actual.access?.missingPrincipals).toEqual(['GROUP:Develpers']);
    expect(validateAccess(d, { actual })).toEqual([
      {
        resource: 'PermissionSet/DeveloperAccess',
        field: 'spec.assignments[0].principal.name',
        rule: 'unknown-principal',
        message: `group "Develpers" not found in Identity Store ${ids.storeId} (no group has that DisplayName)`,
      },
    ]);
    expect(plan.ops).toEqual([]);
    expect(plan.blocked).toEqual([
      { resource: 'PermissionSet/DeveloperAccess', reason: 'InvalidSpec', message: `group "Develpers" not found in Identity Store ${ids.storeId}` },
    ]);
  });

  it('reports a permissions boundary moto cannot set in the outcome instead of failing or faking it', async () => {
    const d = desiredOrg();
    d.permissionSets.DeveloperAccess.permissionsBoundary = { managedPolicyArn: 'arn:aws:iam::aws:policy/PowerUserAccess' };
    const { plan } = await planOnce(clients, d);
    const results = await runAccessOps(clients, plan.ops);
    expect(results[0]).toMatchObject({
      status: 'succeeded',
      outcome: { message: 'permissions boundary not applied: the endpoint does not implement PutPermissionsBoundaryToPermissionSet' },
    });
    // The boundary cannot be read back either, so it is not compared (no endless update loop).
    const again = await planOnce(clients, d);
    expect(again.actual.access?.unsupported).toContain('SSOAdmin:GetPermissionsBoundaryForPermissionSet');
    expect(again.plan.ops).toEqual([]);
  });
});
