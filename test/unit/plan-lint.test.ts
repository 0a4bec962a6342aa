// Policy lint on plain data, one rule at a time: the finding names the resource, the field and
// the rule, and the safe variant of each case produces nothing.
import { describe, expect, it } from 'vitest';
import { catalogFrom } from '../../controller/eval/catalog.js';
import { lintDesired, lintLastAllow, lintTrust, lintInline } from '../../controller/plan/lint.js';
import type { Op } from '../../controller/plan/operations.js';
import { permissionSet, role } from '../support/access-fixtures.js';
import { FULL, MGMT_ID, ROOT_ID, addAccount, addOU, addPolicy, baseActual, dAccount, dPolicy, desiredOrg, toAccount, toOU } from './plan-fixtures.js';

const CATALOG = catalogFrom({ ec2: ['RunInstances'], sts: ['AssumeRole'], s3: ['GetObject'] }, ['s3', 'sts']);
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const DENY_ALL = { Sid: 'Freeze', Effect: 'Deny', Action: '*', Resource: '*' };

describe('deny-access-path', () => {
  it('a Deny of "*" with no condition on an OU or the root is reported, naming the access role', () => {
    const d = desiredOrg({ policies: [dPolicy('freeze', doc(DENY_ALL), [toOU('runtime'), { kind: 'root' }])] });
    expect(lintDesired(d, CATALOG)).toEqual([
      {
        resource: 'ServiceControlPolicy/freeze',
        field: 'spec.document.Statement[0] (Freeze)',
        rule: 'deny-access-path',
        message:
          'denies every action ("*") on the account access role OrganizationAccountAccessRole with no condition, attached to OrganizationalUnit/runtime, the root: nobody (orgplane included) can assume it in the accounts below; exempt the role with a Condition (e.g. ArnNotLike aws:PrincipalArn)',
      },
    ]);
  });

  it("denying sts:AssumeRole on an account's own access role name counts; a condition, another role or an account target does not", () => {
    const assume = (resource: string, extra: object = {}) => ({ Effect: 'Deny', Action: 'sts:Assume*', Resource: resource, ...extra });
    const d = desiredOrg({
      accounts: [dAccount('a', 'a@x.example', 'root', { accessRoleName: 'Admin' })],
      policies: [
        dPolicy('p1', doc(assume('arn:aws:iam::*:role/Admin')), [{ kind: 'root' }]),
        dPolicy('p2', doc(assume('arn:aws:iam::*:role/Other')), [{ kind: 'root' }]),
        dPolicy('p3', doc(assume('*', { Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Admin' } } })), [{ kind: 'root' }]),
        dPolicy('p4', doc(DENY_ALL), [toAccount('a')]),
      ],
    });
    const found = lintDesired(d, CATALOG);
    expect(found.map((f) => [f.resource, f.rule])).toEqual([['ServiceControlPolicy/p1', 'deny-access-path']]);
    expect(found[0].message).toMatch(/^denies sts:AssumeRole on the account access role Admin with no condition, attached to the root:/);
  });
});

describe('unknown-action / statement-never-matches', () => {
  it('an Action entry the catalogue does not know, and the statement that therefore never matches', () => {
    const d = desiredOrg({
      policies: [
        dPolicy(
          'typo',
          doc(
            { Sid: 'T', Effect: 'Deny', Action: ['ec2:RunInstance'], Resource: '*' },
            { Effect: 'Deny', Action: ['ec2:Run*', 'nosuch:Thing'], Resource: '*' },
          ),
          [toAccount('a')],
        ),
      ],
    });
    expect(lintDesired(d, CATALOG)).toEqual([
      {
        resource: 'ServiceControlPolicy/typo',
        field: 'spec.document.Statement[0] (T).Action[0]',
        rule: 'unknown-action',
        message: 'no ec2 action matches "ec2:RunInstance": this entry matches no action',
      },
      {
        resource: 'ServiceControlPolicy/typo',
        field: 'spec.document.Statement[0] (T).Action',
        rule: 'statement-never-matches',
        message: 'no entry of Action names an existing action: the statement can never match',
      },
      {
        resource: 'ServiceControlPolicy/typo',
        field: 'spec.document.Statement[1].Action[1]',
        rule: 'unknown-action',
        message: 'unknown service "nosuch": this entry matches no action',
      },
    ]);
  });
});

describe('trust rules', () => {
  const inOrg = new Set(['123456789012']);
  it('"*" is anyone; an outside account needs an external id; accounts of the organization do not', () => {
    const r = role('ci', {
      roleName: 'CI',
      trust: { accounts: [], principalArns: ['*', 'arn:aws:iam::999999999999:role/Vendor', 'arn:aws:iam::123456789012:root'], requireMfa: false },
    });
    expect(lintTrust(r, inOrg, true)).toEqual([
      {
        resource: 'CrossAccountRole/ci',
        field: 'spec.trust.principalArns[0]',
        rule: 'trust-any-principal',
        message: 'trusts "*": any AWS principal can assume CI',
      },
      {
        resource: 'CrossAccountRole/ci',
        field: 'spec.trust.principalArns[1]',
        rule: 'trust-outside-no-external-id',
        message:
          'trusts arn:aws:iam::999999999999:role/Vendor (account 999999999999, outside the organization) without spec.trust.externalId: set an external id (sts:ExternalId) against the confused deputy',
      },
    ]);
    const withId = role('ci', { trust: { accounts: [], principalArns: ['999999999999'], externalId: 'vendor-42', requireMfa: false } });
    expect(lintTrust(withId, inOrg, true)).toEqual([]);
  });

  it("offline (validate), the message says the organization's accounts are known only from spec.id", () => {
    const d = desiredOrg({ accounts: [dAccount('a', 'a@x.example', 'root', { id: '123456789012' })] });
    d.roles.ci = role('ci', { trust: { accounts: [], principalArns: ['123456789012', '999999999999'], requireMfa: false } });
    // People with MFA come through the console, which cannot send an external id: not reported.
    d.roles.people = role('people', { trust: { accounts: [], principalArns: ['999999999999'], requireMfa: true } });
    expect(lintDesired(d, CATALOG).map((f) => f.message)).toEqual([
      'trusts 999999999999 (account 999999999999, not an account id of the manifests, so taken to be outside the organization) without spec.trust.externalId: set an external id (sts:ExternalId) against the confused deputy',
    ]);
  });
});

describe('allow-all-inline', () => {
  it('"Action": "*" on "Resource": "*" in a permission set or a role inline policy', () => {
    const d = desiredOrg();
    d.permissionSets.admin = permissionSet('admin', { inlinePolicy: doc({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }) });
    d.permissionSets.ok = permissionSet('ok', { inlinePolicy: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }) });
    d.roles.ops = role('ops', {
      trust: { accounts: [], principalArns: [], requireMfa: false },
      inlinePolicies: { god: doc({ Effect: 'Deny', Action: 's3:*', Resource: '*' }, { Effect: 'Allow', Action: ['*'], Resource: ['*'] }) },
    });
    expect(lintDesired(d, CATALOG)).toEqual([
      {
        resource: 'PermissionSet/admin',
        field: 'spec.inlinePolicy.Statement[0] (All)',
        rule: 'allow-all-inline',
        message: '"Action": "*" on "Resource": "*" is administrator access: use a managed policy such as AdministratorAccess on purpose, or list the actions',
      },
      {
        resource: 'CrossAccountRole/ops',
        field: 'spec.inlinePolicies.god.Statement[1]',
        rule: 'allow-all-inline',
        message: '"Action": "*" on "Resource": "*" is administrator access: use a managed policy such as AdministratorAccess on purpose, or list the actions',
      },
    ]);
    expect(lintInline('PermissionSet/x', 'spec.inlinePolicy', '')).toEqual([]);
  });
});

describe('no-allow-left', () => {
  function org() {
    const a = baseActual();
    addOU(a, 'ou-sand', 'Sandbox', ROOT_ID);
    addAccount(a, '200000000001', 'a', 'a@x.example', 'ou-sand');
    a.policies[FULL].targets = [ROOT_ID, MGMT_ID, 'ou-sand', '200000000001'];
    addPolicy(a, 'p-s3', 'AllowS3', doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }), []);
    return a;
  }
  const detach = (policyId: string, policyName: string): Op => ({
    id: 'op-1',
    deps: [],
    summary: '',
    op: 'DetachPolicy',
    resource: `ServiceControlPolicy/${policyName}`,
    policyId,
    targetId: 'ou-sand',
    policyName,
    targetName: 'Sandbox',
  });

  it('detaching the last Allow-bearing SCP from an OU', () => {
    expect(lintLastAllow(org(), [detach(FULL, 'FullAWSAccess')])).toEqual([
      {
        resource: 'ServiceControlPolicy/FullAWSAccess',
        field: 'spec.targets',
        rule: 'no-allow-left',
        message:
          'after this plan OU Sandbox (ou-sand) has no SCP with an Allow statement (FullAWSAccess is detached): every action is denied there and below; keep FullAWSAccess or an allow-list SCP attached',
      },
    ]);
  });

  it('an allow-list attached in the same plan keeps the target allowed', () => {
    const attach: Op = {
      id: 'op-0',
      deps: [],
      summary: '',
      op: 'AttachPolicy',
      resource: 'ServiceControlPolicy/AllowS3',
      policy: { id: 'p-s3' },
      target: { id: 'ou-sand' },
      policyName: 'AllowS3',
      targetName: 'Sandbox',
    };
    expect(lintLastAllow(org(), [attach, detach(FULL, 'FullAWSAccess')])).toEqual([]);
  });
});
