import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribeOrganizationCommand,
  EnableAWSServiceAccessCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { readOrganization, readTags } from '../../controller/aws/read-org.js';
import type { ActualOrg } from '../../controller/model/actual.js';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';

const FULL_AWS_ACCESS = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}';
const DENY_LEAVE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }] });
const DENY_REGIONS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', NotAction: 'iam:*', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] } } }],
});

interface Built {
  orgId: string;
  mgmt: string;
  rootId: string;
  rootArn: string;
  ou: Record<string, { id: string; arn: string }>;
  acct: Record<string, string>;
  policy: Record<string, { id: string; arn: string }>;
}

/** A small org built with the plain SDK: 3 OU levels, accounts, 2 SCPs with targets, tags. */
async function buildOrg(org: OrganizationsClient): Promise<Built> {
  const d = (await org.send(new DescribeOrganizationCommand({}))).Organization!;
  const root = (await org.send(new ListRootsCommand({}))).Roots![0];
  const ou: Built['ou'] = {};
  const mkOU = async (name: string, parentId: string, tags?: Record<string, string>) => {
    const r = await org.send(
      new CreateOrganizationalUnitCommand({
        ParentId: parentId,
        Name: name,
        Tags: tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
      }),
    );
    ou[name] = { id: r.OrganizationalUnit!.Id!, arn: r.OrganizationalUnit!.Arn! };
  };
  await mkOU('security', root.Id!, { 'orgplane.io/managed-by': 'orgplane', team: 'sec' });
  await mkOU('workloads', root.Id!);
  await mkOU('prod', ou.workloads.id, { env: 'prod' });
  await mkOU('dev', ou.workloads.id);
  await mkOU('prod-eu', ou.prod.id);

  const acct: Built['acct'] = {};
  const mkAccount = async (name: string, parent?: string) => {
    const r = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    acct[name] = r.CreateAccountStatus!.AccountId!;
    if (parent) await org.send(new MoveAccountCommand({ AccountId: acct[name], SourceParentId: root.Id!, DestinationParentId: ou[parent].id }));
  };
  await mkAccount('log-archive', 'security');
  await mkAccount('app-prod', 'prod');
  await mkAccount('app-prod-eu', 'prod-eu');
  await mkAccount('app-dev', 'dev');
  await mkAccount('sandbox');

  await org.send(new EnablePolicyTypeCommand({ RootId: root.Id!, PolicyType: 'SERVICE_CONTROL_POLICY' }));
  const policy: Built['policy'] = {};
  const mkPolicy = async (name: string, content: string, targets: string[], tags: Record<string, string>) => {
    const r = await org.send(
      new CreatePolicyCommand({
        Name: name,
        Description: `${name} guardrail`,
        Content: content,
        Type: 'SERVICE_CONTROL_POLICY',
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    policy[name] = { id: r.Policy!.PolicySummary!.Id!, arn: r.Policy!.PolicySummary!.Arn! };
    for (const t of targets) await org.send(new AttachPolicyCommand({ PolicyId: policy[name].id, TargetId: t }));
  };
  await mkPolicy('deny-leave', DENY_LEAVE, [ou.security.id, ou.workloads.id], { 'orgplane.io/managed-by': 'orgplane' });
  await mkPolicy('deny-regions', DENY_REGIONS, [ou['prod-eu'].id, acct['app-dev']], { purpose: 'data-residency' });
  await org.send(new TagResourceCommand({ ResourceId: ou.workloads.id, Tags: [{ Key: 'cost-center', Value: '42' }] }));
  await org.send(new TagResourceCommand({ ResourceId: acct['app-prod'], Tags: [{ Key: 'owner', Value: 'team-a' }] }));

  for (const sp of ['sso.amazonaws.com', 'guardduty.amazonaws.com']) {
    await org.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: sp }));
  }
  for (const sp of ['guardduty.amazonaws.com', 'macie.amazonaws.com']) {
    await org.send(new RegisterDelegatedAdministratorCommand({ AccountId: acct['log-archive'], ServicePrincipal: sp }));
  }
  return { orgId: d.Id!, mgmt: d.MasterAccountId!, rootId: root.Id!, rootArn: root.Arn!, ou, acct, policy };
}

function expectedOrg(b: Built): ActualOrg {
  const accountArn = (id: string) => `arn:aws:organizations::${b.mgmt}:account/${b.orgId}/${id}`;
  const account = (name: string, id: string, parentId: string) => ({
    id,
    arn: accountArn(id),
    name,
    email: `${name}@example.com`,
    state: 'ACTIVE',
    parentId,
    joinedMethod: 'CREATED',
  });
  const ouParents: Record<string, string> = {
    security: b.rootId,
    workloads: b.rootId,
    prod: b.ou.workloads.id,
    dev: b.ou.workloads.id,
    'prod-eu': b.ou.prod.id,
  };
  const ouTags: Record<string, Record<string, string>> = {
    security: { 'orgplane.io/managed-by': 'orgplane', team: 'sec' },
    workloads: { 'cost-center': '42' },
    prod: { env: 'prod' },
    dev: {},
    'prod-eu': {},
  };
  const accountParents: Record<string, string> = {
    'log-archive': b.ou.security.id,
    'app-prod': b.ou.prod.id,
    'app-prod-eu': b.ou['prod-eu'].id,
    'app-dev': b.ou.dev.id,
    sandbox: b.rootId,
  };
  return {
    id: b.orgId,
    arn: `arn:aws:organizations::${b.mgmt}:organization/${b.orgId}`,
    featureSet: 'ALL',
    managementAccountId: b.mgmt,
    managementAccountEmail: 'master@example.com',
    root: { id: b.rootId, arn: b.rootArn, name: 'Root', enabledPolicyTypes: ['SERVICE_CONTROL_POLICY'] },
    ous: Object.fromEntries(Object.entries(b.ou).map(([name, o]) => [o.id, { id: o.id, arn: o.arn, name, parentId: ouParents[name], tags: ouTags[name] }])),
    accounts: {
      [b.mgmt]: { ...account('master', b.mgmt, b.rootId), email: 'master@example.com' },
      ...Object.fromEntries(Object.entries(b.acct).map(([name, id]) => [id, account(name, id, accountParents[name])])),
    },
    policies: {
      'p-FullAWSAccess': {
        id: 'p-FullAWSAccess',
        arn: `arn:aws:organizations::${b.mgmt}:policy/${b.orgId}/service_control_policy/p-FullAWSAccess`,
        name: 'FullAWSAccess',
        description: 'Allows access to every operation',
        type: 'SERVICE_CONTROL_POLICY',
        awsManaged: true,
        content: FULL_AWS_ACCESS,
        targets: [b.rootId, b.mgmt, ...Object.values(b.ou).map((o) => o.id), ...Object.values(b.acct)].sort(),
      },
      [b.policy['deny-leave'].id]: {
        id: b.policy['deny-leave'].id,
        arn: b.policy['deny-leave'].arn,
        name: 'deny-leave',
        description: 'deny-leave guardrail',
        type: 'SERVICE_CONTROL_POLICY',
        awsManaged: false,
        content: DENY_LEAVE,
        targets: [b.ou.security.id, b.ou.workloads.id].sort(),
        tags: { 'orgplane.io/managed-by': 'orgplane' },
      },
      [b.policy['deny-regions'].id]: {
        id: b.policy['deny-regions'].id,
        arn: b.policy['deny-regions'].arn,
        name: 'deny-regions',
        description: 'deny-regions guardrail',
        type: 'SERVICE_CONTROL_POLICY',
        awsManaged: false,
        content: DENY_REGIONS,
        targets: [b.ou['prod-eu'].id, b.acct['app-dev']].sort(),
        tags: { purpose: 'data-residency' },
      },
    },
    trustedServices: ['guardduty.amazonaws.com', 'sso.amazonaws.com'],
    delegatedAdmins: [
      { accountId: b.acct['log-archive'], servicePrincipal: 'guardduty.amazonaws.com' },
      { accountId: b.acct['log-archive'], servicePrincipal: 'macie.amazonaws.com' },
    ],
    readAt: expect.any(String) as unknown as string,
  };
}

describe('readOrganization', () => {
  const moto = useMoto();
  let org: OrganizationsClient;
  let clients: AwsClients;
  let built: Built;
  beforeEach(async () => {
    org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    built = await buildOrg(org);
    // Rate limits off: these tests measure calls, not pacing.
    clients = createAwsClients({
      endpoint: moto.endpoint,
      credentials: TEST_CREDENTIALS,
      rateLimits: { Organizations: { tps: 0 } },
    });
  });
  afterEach(() => {
    org.destroy();
    clients.destroy();
  });

  it('returns exactly the organization that was built', async () => {
    const actual = await readOrganization(clients);
    expect(actual).toEqual(expectedOrg(built));
    expect(Number.isNaN(Date.parse(actual.readAt))).toBe(false);
  });

  it('spends a fixed, small set of calls: per OU and per policy, none per account', async () => {
    await readOrganization(clients);
    // 5 OUs + root = 6 parents; 3 SCPs (1 AWS-managed); 1 delegated admin.
    expect(clients.calls.toJSON()).toEqual({
      'Organizations:DescribeOrganization': 1,
      'Organizations:DescribePolicy': 3,
      'Organizations:ListAWSServiceAccessForOrganization': 1,
      'Organizations:ListAccountsForParent': 6,
      'Organizations:ListDelegatedAdministrators': 1,
      'Organizations:ListDelegatedServicesForAccount': 1,
      'Organizations:ListOrganizationalUnitsForParent': 6,
      'Organizations:ListPolicies': 1,
      'Organizations:ListRoots': 1,
      'Organizations:ListTagsForResource': 7, // 5 OUs + 2 customer policies
      'Organizations:ListTargetsForPolicy': 3,
    });
    expect(clients.calls.total).toBe(31);
    expect(clients.calls.writes()).toBe(0);
  });

  it("skips AWS-managed policies' targets with policyTargets 'customer'", async () => {
    const actual = await readOrganization(clients, { policyTargets: 'customer' });
    expect(actual.policies['p-FullAWSAccess'].targets).toBeUndefined();
    expect(actual.policies[built.policy['deny-leave'].id].targets).toEqual([built.ou.security.id, built.ou.workloads.id].sort());
    expect(clients.calls.byOperation.get('Organizations:ListTargetsForPolicy')).toBe(2);
    expect(clients.calls.total).toBe(30);
  });

  it('grows by ListAccountsForParent pages, not by accounts, when 30 accounts are added', async () => {
    await readOrganization(clients);
    const before = clients.calls.total;
    // 20 more under prod (1 -> 21 accounts: 2 pages), 10 more under dev (1 -> 11: still 1 page).
    for (let i = 0; i < 30; i++) {
      const r = await org.send(new CreateAccountCommand({ AccountName: `extra-${i}`, Email: `extra-${i}@example.com` }));
      await org.send(
        new MoveAccountCommand({
          AccountId: r.CreateAccountStatus!.AccountId!,
          SourceParentId: built.rootId,
          DestinationParentId: i < 20 ? built.ou.prod.id : built.ou.dev.id,
        }),
      );
    }
    clients.calls.reset();
    const actual = await readOrganization(clients);
    const after = clients.calls.total;
    expect(Object.keys(actual.accounts)).toHaveLength(6 + 30);
    expect(Object.values(actual.accounts).filter((a) => a.parentId === built.ou.prod.id)).toHaveLength(21);
    expect(Object.values(actual.accounts).filter((a) => a.parentId === built.ou.dev.id)).toHaveLength(11);
    expect(after - before).toBe(1);
    // The bound the design asks for: at most ceil(added/20) per OU that received accounts.
    expect(after - before).toBeLessThanOrEqual(Math.ceil(20 / 20) + Math.ceil(10 / 20));
    expect(clients.calls.byOperation.get('Organizations:ListAccountsForParent')).toBe(7);
    expect(clients.calls.byOperation.get('Organizations:ListTagsForResource')).toBe(7);
  });

  it('readTags reads tags of chosen accounts, one call each', async () => {
    const tags = await readTags(clients, [built.acct['app-prod'], built.acct.sandbox, built.acct['app-prod']]);
    expect(tags).toEqual({ [built.acct['app-prod']]: { owner: 'team-a' }, [built.acct.sandbox]: {} });
    expect(clients.calls.toJSON()).toEqual({ 'Organizations:ListTagsForResource': 2 });
  });

  it('reads an organization with the default rate limit in a few seconds at most', async () => {
    const paced = createAwsClients({ endpoint: moto.endpoint, credentials: TEST_CREDENTIALS });
    try {
      const start = Date.now();
      const actual = await readOrganization(paced);
      expect(Object.keys(actual.ous)).toHaveLength(5);
      // 31 calls: a burst of 10, then 5/s: about 4 s.
      expect(Date.now() - start).toBeGreaterThanOrEqual(3500);
      expect(Date.now() - start).toBeLessThan(15000);
    } finally {
      paced.destroy();
    }
  });
});
