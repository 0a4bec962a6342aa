// Cross-account IAM roles against moto with real sts:AssumeRole into member accounts: create in
// two accounts with one failing honestly, update, removal when an account leaves the target OU.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreatePolicyCommand, GetRoleCommand, ListAttachedRolePoliciesCommand, GetRolePolicyCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { useMoto } from '../support/moto.js';
import type { AwsClients } from '../../controller/aws/clients.js';
import { accessStatus } from '../../controller/status/access.js';
import { decodePolicy } from '../../controller/aws/read-access.js';
import type { DesiredOrg } from '../../controller/model/desired.js';
import { account, buildAccessTestOrg, emptyDesired, ou, planOnce, role, runAccessOps } from '../support/access-fixtures.js';

const DEPLOY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['ecs:UpdateService', 'ecr:GetAuthorizationToken'], Resource: '*' }],
});
const DEPLOY_V2 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:UpdateService'], Resource: '*' }] });

describe('access: cross-account roles against moto', () => {
  const moto = useMoto();
  let clients: AwsClients;
  let org: OrganizationsClient;
  let ids: { root: string; workloads: string; sandbox: string; dev: string; staging: string; security: string };

  beforeEach(async () => {
    const built = await buildAccessTestOrg(moto.endpoint);
    ({ clients, org } = built);
    const { root, workloads, sandbox, mkAccount } = built;
    ids = {
      root,
      workloads,
      sandbox,
      dev: await mkAccount('dev', workloads),
      staging: await mkAccount('staging', workloads),
      security: await mkAccount('security-logging', root),
    };
  });
  afterEach(() => {
    clients.destroy();
    org.destroy();
  });

  const base = (): DesiredOrg => {
    const d = emptyDesired();
    d.ous = { workloads: ou('workloads', 'root', 'WorkloadsOU'), sandbox: ou('sandbox', 'root', 'SandboxOU') };
    d.accounts = { dev: account('dev', 'workloads'), staging: account('staging', 'workloads'), 'security-logging': account('security-logging', 'root') };
    return d;
  };
  const iamIn = async (accountId: string) => (await clients.forAccount(accountId, 'OrganizationAccountAccessRole')).iam;

  it('creates the role in each target account through AssumeRole; an account that fails does not stop the other', async () => {
    // A customer managed policy that exists only in dev: attaching it in staging fails, as in AWS.
    const policyArn = (await (await iamIn(ids.dev)).send(new CreatePolicyCommand({ PolicyName: 'DeployArtifacts', PolicyDocument: DEPLOY }))).Policy!.Arn!;
    expect(policyArn).toBe(`arn:aws:iam::${ids.dev}:policy/DeployArtifacts`);
    const d = base();
    d.roles.DeploymentRole = role('DeploymentRole', {
      description: 'CI/CD pipelines deploy with minimal permissions',
      targetAccounts: ['dev', 'staging'],
      trust: { accounts: [], principalArns: ['111122223333'], externalId: 'securecart-cicd', requireMfa: false },
      managedPolicyArns: [policyArn],
      inlinePolicies: { deploy: DEPLOY },
      maxSessionDuration: 7200,
    });
    const { plan } = await planOnce(clients, d);
    expect(plan.ops.map((o) => o.summary).sort()).toEqual([
      `create role DeploymentRole in dev (${ids.dev})`,
      `create role DeploymentRole in staging (${ids.staging})`,
    ]);
    const results = await runAccessOps(clients, plan.ops);
    const byAccount = Object.fromEntries(results.map((r) => [r.op.op === 'PutRole' ? r.op.accountName : '', r]));
    expect(byAccount.dev.status).toBe('succeeded');
    expect(byAccount.staging).toMatchObject({ status: 'failed', error: `Policy ${policyArn} does not exist or is not attachable.` });

    const got = (await (await iamIn(ids.dev)).send(new GetRoleCommand({ RoleName: 'DeploymentRole' }))).Role!;
    expect(got.Arn).toBe(`arn:aws:iam::${ids.dev}:role/DeploymentRole`);
    expect(got.MaxSessionDuration).toBe(7200);
    expect(JSON.parse(decodePolicy(got.AssumeRolePolicyDocument))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'securecart-cicd' } },
        },
      ],
    });
    expect(Object.fromEntries(got.Tags!.map((t) => [t.Key, t.Value]))).toEqual({
      'orgplane.io/managed-by': 'orgplane',
      'orgplane.io/owner': 'securecart/CrossAccountRole/DeploymentRole',
      'orgplane.io/deletion-policy': 'Retain',
    });
    const attached = (await (await iamIn(ids.dev)).send(new ListAttachedRolePoliciesCommand({ RoleName: 'DeploymentRole' }))).AttachedPolicies;
    expect(attached?.map((p) => p.PolicyArn)).toEqual([policyArn]);
    const inline = (await (await iamIn(ids.dev)).send(new GetRolePolicyCommand({ RoleName: 'DeploymentRole', PolicyName: 'deploy' }))).PolicyDocument;
    expect(JSON.parse(decodePolicy(inline))).toEqual(JSON.parse(DEPLOY));
    // The roles live in the member accounts, not in the management account.
    const mgmtRoles = (await clients.iam.send(new ListRolesCommand({}))).Roles ?? [];
    expect(mgmtRoles.map((r) => r.RoleName)).not.toContain('DeploymentRole');

    // Status: one row per account, the failure next to the success.
    const again = await planOnce(clients, d);
    const st = accessStatus(d, again.actual, results)['CrossAccountRole/DeploymentRole'];
    expect(st.ready).toBe('1/2');
    expect((st.roles as { account: string }[]).sort((a, b) => a.account.localeCompare(b.account))).toEqual([
      { account: 'dev', accountId: ids.dev, arn: `arn:aws:iam::${ids.dev}:role/DeploymentRole` },
      {
        account: 'staging',
        accountId: ids.staging,
        arn: `arn:aws:iam::${ids.staging}:role/DeploymentRole`,
        error: `Policy ${policyArn} does not exist or is not attachable.`,
      },
    ]);
    // The half-made role in staging is finished on the next run, and dev is left alone.
    expect(again.plan.ops.map((o) => [o.op, o.summary])).toEqual([
      ['PutRole', `update role DeploymentRole in staging (${ids.staging}) (managedPolicyArns, inlinePolicies.deploy)`],
    ]);
  });

  it('updates a changed inline policy and trust (MFA) in place, and converges', async () => {
    const d = base();
    d.roles.DeveloperRole = role('DeveloperRole', {
      targetOUs: ['workloads'],
      inlinePolicies: { deploy: DEPLOY },
      trust: { accounts: ['security-logging'], principalArns: [], requireMfa: false },
    });
    const first = await planOnce(clients, d);
    expect((await runAccessOps(clients, first.plan.ops)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect((await planOnce(clients, d)).plan.ops).toEqual([]);

    d.roles.DeveloperRole.inlinePolicies = { deploy: DEPLOY_V2 };
    d.roles.DeveloperRole.trust.requireMfa = true;
    const { plan } = await planOnce(clients, d);
    expect(plan.ops.map((o) => (o.op === 'PutRole' ? o.changes : []))).toEqual([
      ['trustPolicy', 'inlinePolicies.deploy'],
      ['trustPolicy', 'inlinePolicies.deploy'],
    ]);
    expect((await runAccessOps(clients, plan.ops)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const got = (await (await iamIn(ids.staging)).send(new GetRoleCommand({ RoleName: 'DeveloperRole' }))).Role!;
    expect(JSON.parse(decodePolicy(got.AssumeRolePolicyDocument)).Statement[0]).toEqual({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ids.security}:root` },
      Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    });
    expect((await planOnce(clients, d)).plan.ops).toEqual([]);
  });

  // Removal when an account leaves the target OU, and of a deleted CrossAccountRole, is tested
  // through reconcile (the production path, no reader options): test/integration/plan-contract.test.ts.
});
