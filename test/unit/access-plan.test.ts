// Pure access planning: OU expansion from desired placement, accounts created in the same plan,
// canonical policy comparison, trust policies, validation messages and status.
import { describe, expect, it } from 'vitest';
import type { ActualOrg, ActualAccess } from '../../controller/model/actual.js';
import { expandTargets } from '../../controller/model/expand.js';
import { planAccess, normalizeDuration, trustPolicy } from '../../controller/plan/access.js';
import { canonicalPolicy } from '../../controller/model/policy-json.js';
import { validateAccess } from '../../controller/model/validate-access.js';
import { accessStatus } from '../../controller/status/access.js';
import type { Op } from '../../controller/plan/operations.js';
import { account, emptyDesired, ou, permissionSet, role } from '../support/access-fixtures.js';

const access = (over: Partial<ActualAccess> = {}): ActualAccess => ({
  instanceArn: 'arn:aws:sso:::instance/ssoins-1',
  identityStoreId: 'd-1',
  permissionSets: {},
  principals: { 'GROUP:Developers': 'g-1' },
  roles: {},
  roleReadErrors: {},
  missingPrincipals: [],
  unsupported: [],
  ...over,
});

function actualOrg(): ActualOrg {
  return {
    id: 'o-1',
    arn: 'arn:org',
    featureSet: 'ALL',
    managementAccountId: '000000000000',
    managementAccountEmail: 'm@x',
    root: { id: 'r-1', arn: 'arn:root', name: 'Root', enabledPolicyTypes: [] },
    ous: {
      'ou-w': { id: 'ou-w', arn: '', name: 'WorkloadsOU', parentId: 'r-1' },
      'ou-n': { id: 'ou-n', arn: '', name: 'NestedOU', parentId: 'ou-w' },
      'ou-s': { id: 'ou-s', arn: '', name: 'SandboxOU', parentId: 'r-1' },
    },
    accounts: {
      '111111111111': { id: '111111111111', arn: '', name: 'dev', email: 'dev@securecart.example', state: 'ACTIVE', parentId: 'ou-w' },
      '222222222222': { id: '222222222222', arn: '', name: 'staging', email: 'staging@securecart.example', state: 'ACTIVE', parentId: 'ou-w' },
      '333333333333': { id: '333333333333', arn: '', name: 'legacy', email: 'legacy@other.example', state: 'ACTIVE', parentId: 'ou-n' },
      '444444444444': { id: '444444444444', arn: '', name: 'closed', email: 'closed@other.example', state: 'SUSPENDED', parentId: 'ou-w' },
    },
    policies: {},
    trustedServices: [],
    delegatedAdmins: [],
    readAt: '',
    access: access(),
  };
}

function desiredOrg() {
  const d = emptyDesired();
  d.ous = { workloads: ou('workloads', 'root', 'WorkloadsOU'), nested: ou('nested', 'workloads', 'NestedOU'), sandbox: ou('sandbox', 'root', 'SandboxOU') };
  d.accounts = { dev: account('dev', 'workloads'), staging: account('staging', 'workloads') };
  return d;
}

describe('expandTargets', () => {
  it('follows the desired placement of managed accounts, keeps unmanaged ones where AWS has them, skips suspended accounts', () => {
    const d = desiredOrg();
    d.accounts.staging = account('staging', 'sandbox'); // moved in the manifests, not yet in AWS
    const ids = (xs: { accountId?: string; ref?: string }[]) => xs.map((x) => x.accountId ?? `ref:${x.ref}`);
    expect(ids(expandTargets([], ['workloads'], false, d, actualOrg()))).toEqual(['111111111111']);
    expect(ids(expandTargets([], ['workloads'], true, d, actualOrg()))).toEqual(['111111111111', '333333333333']);
    expect(ids(expandTargets([], ['sandbox'], false, d, actualOrg()))).toEqual(['222222222222']);
    d.accounts.fresh = account('fresh', 'nested');
    expect(ids(expandTargets(['dev'], ['nested'], false, d, actualOrg()))).toEqual(['111111111111', '333333333333', 'ref:fresh']);
  });
});

describe('planAccess', () => {
  it('assigns to an account created in the same plan through its CreateAccount op, and never twice', () => {
    const d = desiredOrg();
    d.accounts.fresh = account('fresh', 'workloads');
    d.permissionSets.Dev = permissionSet('Dev', {
      assignments: [
        { principal: { type: 'GROUP', name: 'Developers' }, accounts: ['dev'], organizationalUnits: ['workloads'], includeDescendants: false },
        { principal: { type: 'GROUP', id: 'g-1' }, accounts: ['dev'], organizationalUnits: [], includeDescendants: false },
      ],
    });
    const orgOps = [
      {
        id: 'op-7',
        op: 'CreateAccount',
        resource: 'Account/fresh',
        deps: [],
        summary: '',
        name: 'fresh',
        email: 'fresh@x',
        parent: { id: 'ou-w' },
        tags: {},
        roleName: 'OrganizationAccountAccessRole',
      },
    ] as Op[];
    const { ops, blocked } = planAccess(d, actualOrg(), orgOps);
    expect(blocked).toEqual([]);
    expect(ops.map((o) => [o.id, o.op, o.deps, o.op === 'CreateAccountAssignment' ? o.account : undefined])).toEqual([
      ['op-a1', 'CreatePermissionSet', [], undefined],
      ['op-a2', 'CreateAccountAssignment', ['op-a1'], { id: '111111111111' }],
      ['op-a3', 'CreateAccountAssignment', ['op-a1'], { id: '222222222222' }],
      ['op-a4', 'CreateAccountAssignment', ['op-a1', 'op-7'], { ref: 'Account/fresh' }],
    ]);
    const create = ops[0];
    expect(create.op === 'CreatePermissionSet' && create.tags).toEqual({
      'orgplane.io/managed-by': 'orgplane',
      'orgplane.io/owner': 'securecart/PermissionSet/Dev',
      'orgplane.io/deletion-policy': 'Retain',
    });
  });

  it('re-provisions only the accounts reported outdated when nothing else changed', () => {
    const d = desiredOrg();
    d.permissionSets.Dev = permissionSet('Dev', {
      inlinePolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
    });
    const a = actualOrg();
    a.access!.permissionSets.Dev = {
      arn: 'arn:ps',
      name: 'Dev',
      description: '',
      sessionDuration: 'PT60M',
      relayState: '',
      managedPolicies: [],
      customerManagedPolicies: [],
      // Same document, other key order and a one-element list: not a change.
      inlinePolicy: '{"Statement":[{"Resource":"*","Action":["s3:GetObject"],"Effect":"Allow"}],"Version":"2012-10-17"}',
      provisionedAccounts: ['111111111111', '222222222222'],
      outdatedAccounts: ['222222222222'],
      assignments: {},
    };
    const { ops, drift } = planAccess(d, a, []);
    expect(ops.map((o) => o.op === 'ProvisionPermissionSet' && [o.accounts, o.allProvisioned])).toEqual([[[{ id: '222222222222' }], undefined]]);
    expect(drift).toEqual({ 'PermissionSet/Dev': ['provisioned copy out of date in 222222222222'] });
  });

  it('blocks every permission set when Identity Center has no instance', () => {
    const d = desiredOrg();
    d.permissionSets.Dev = permissionSet('Dev');
    const a = actualOrg();
    a.access = access({ instanceArn: undefined });
    expect(planAccess(d, a, [])).toEqual({
      ops: [],
      drift: {},
      blocked: [
        {
          resource: 'PermissionSet/Dev',
          reason: 'DependencyInvalid',
          message: 'no IAM Identity Center instance found (ListInstances returned none); enable Identity Center in the management account',
        },
      ],
    });
  });

  it('puts a role in an account being created with a trust placeholder resolved at apply time', () => {
    const d = desiredOrg();
    d.accounts.cicd = account('cicd', 'sandbox');
    d.roles.DeploymentRole = role('DeploymentRole', { targetAccounts: ['dev'], trust: { accounts: ['cicd'], principalArns: [], requireMfa: true } });
    const orgOps = [
      {
        id: 'op-3',
        op: 'CreateAccount',
        resource: 'Account/cicd',
        deps: [],
        summary: '',
        name: 'cicd',
        email: 'c@x',
        parent: { id: 'ou-s' },
        tags: {},
        roleName: 'OrganizationAccountAccessRole',
      },
    ] as Op[];
    const { ops } = planAccess(d, actualOrg(), orgOps);
    expect(ops).toHaveLength(1);
    const put = ops[0];
    expect(put.deps).toEqual(['op-3']);
    expect(put.op === 'PutRole' && JSON.parse(put.role.trustPolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::{{Account/cicd}}:root' },
          Action: 'sts:AssumeRole',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
      ],
    });
  });

  it('keeps going for other accounts when one account could not be read', () => {
    const d = desiredOrg();
    d.roles.R = role('R', { targetOUs: ['workloads'], includeDescendants: false });
    const a = actualOrg();
    a.access!.roleReadErrors['111111111111'] = 'AccessDenied: not authorized';
    const { ops } = planAccess(d, a, []);
    expect(ops.map((o) => o.summary)).toEqual([
      'ensure role R in dev (111111111111) (its current state could not be read)',
      'create role R in staging (222222222222)',
    ]);
  });
});

describe('policy and duration canonical forms', () => {
  it('compares policies semantically and durations as AWS stores them', () => {
    expect(canonicalPolicy('{"b":["y","x"],"a":["z"]}')).toBe('{"a":"z","b":["x","y"]}');
    expect(canonicalPolicy('')).toBe('');
    expect([normalizeDuration(3600), normalizeDuration('PT60M'), normalizeDuration('PT1H30M'), normalizeDuration(undefined)]).toEqual([
      'PT1H',
      'PT1H',
      'PT1H30M',
      'PT1H',
    ]);
    const d = desiredOrg();
    expect(trustPolicy(role('R', { trust: { accounts: ['nope'], principalArns: [], requireMfa: false } }), d, actualOrg()).unknown).toEqual(['nope']);
  });
});

describe('validateAccess', () => {
  it('reports unknown principals, bad policy JSON and out-of-range session durations with exact messages', () => {
    const d = desiredOrg();
    d.permissionSets.Dev = permissionSet('Dev', {
      sessionDuration: 'PT13H',
      inlinePolicy: '{"Version": "2012-10-17", "Statement": [',
      assignments: [
        { principal: { type: 'GROUP', name: 'Ghosts' }, accounts: ['dev'], organizationalUnits: [], includeDescendants: false },
        { principal: { type: 'USER', name: 'nobody' }, accounts: ['dev'], organizationalUnits: [], includeDescendants: false },
        { principal: { type: 'GROUP', name: 'Developers' }, accounts: ['dev'], organizationalUnits: [], includeDescendants: false },
      ],
    });
    d.permissionSets.Short = permissionSet('Short', { sessionDuration: 'PT30M' });
    d.roles.R = role('R', { maxSessionDuration: 60, inlinePolicies: { p: '{"Version":"2012-10-17"}' } });
    const a = actualOrg();
    a.access!.missingPrincipals = ['GROUP:Ghosts', 'USER:nobody'];
    expect(validateAccess(d, { actual: a })).toEqual([
      {
        resource: 'PermissionSet/Dev',
        field: 'spec.sessionDuration',
        rule: 'session-duration',
        message: '"PT13H" is 780 minutes; a session lasts 1 to 12 hours (PT1H to PT12H)',
      },
      { resource: 'PermissionSet/Dev', field: 'spec.inlinePolicy', rule: 'policy-json', message: expect.stringMatching(/^is not valid JSON: /) },
      {
        resource: 'PermissionSet/Dev',
        field: 'spec.assignments[0].principal.name',
        rule: 'unknown-principal',
        message: 'group "Ghosts" not found in Identity Store d-1 (no group has that DisplayName)',
      },
      {
        resource: 'PermissionSet/Dev',
        field: 'spec.assignments[1].principal.name',
        rule: 'unknown-principal',
        message: 'user "nobody" not found in Identity Store d-1 (no user has that UserName)',
      },
      {
        resource: 'PermissionSet/Short',
        field: 'spec.sessionDuration',
        rule: 'session-duration',
        message: '"PT30M" is 30 minutes; a session lasts 1 to 12 hours (PT1H to PT12H)',
      },
      {
        resource: 'CrossAccountRole/R',
        field: 'spec.maxSessionDuration',
        rule: 'session-duration',
        message: '60 seconds; a role session lasts 3600 to 43200 seconds (1 to 12 hours)',
      },
      { resource: 'CrossAccountRole/R', field: 'spec.inlinePolicies.p', rule: 'policy-structure', message: 'Statement is required' },
    ]);
    // Without a snapshot, names are not known to be wrong.
    expect(validateAccess(d, {}).filter((e) => e.rule === 'unknown-principal')).toEqual([]);
  });
});

describe('accessStatus', () => {
  it('counts assignments from the snapshot plus this run, and lists per-account role results', () => {
    const d = desiredOrg();
    d.permissionSets.Dev = permissionSet('Dev');
    d.roles.R = role('R', { targetOUs: ['workloads'] });
    const a = actualOrg();
    a.access!.permissionSets.Dev = {
      arn: 'arn:ps',
      name: 'Dev',
      description: '',
      sessionDuration: 'PT1H',
      relayState: '',
      managedPolicies: [],
      customerManagedPolicies: [],
      inlinePolicy: '',
      provisionedAccounts: [],
      outdatedAccounts: [],
      assignments: { '111111111111': ['GROUP:g-1'] },
    };
    const results = [
      {
        status: 'succeeded' as const,
        op: {
          id: 'op-a1',
          op: 'CreateAccountAssignment',
          resource: 'PermissionSet/Dev',
          deps: [],
          summary: '',
          instanceArn: '',
          permissionSet: { id: 'arn:ps' },
          account: { id: '222222222222' },
          principalType: 'GROUP',
          principalId: 'g-1',
          accountName: 'staging',
          principalName: 'Developers',
        } as Op,
      },
      {
        status: 'succeeded' as const,
        outcome: { arn: 'arn:aws:iam::111111111111:role/R' },
        op: {
          id: 'op-a2',
          op: 'PutRole',
          resource: 'CrossAccountRole/R',
          deps: [],
          summary: '',
          account: { id: '111111111111' },
          accountName: 'dev',
          accessRoleName: 'OrganizationAccountAccessRole',
          role: {} as never,
          create: true,
          changes: [],
        } as Op,
      },
      {
        status: 'failed' as const,
        error: 'AccessDenied: no',
        op: {
          id: 'op-a3',
          op: 'PutRole',
          resource: 'CrossAccountRole/R',
          deps: [],
          summary: '',
          account: { id: '222222222222' },
          accountName: 'staging',
          accessRoleName: 'OrganizationAccountAccessRole',
          role: {} as never,
          create: true,
          changes: [],
        } as Op,
      },
    ];
    expect(accessStatus(d, a, results)).toEqual({
      'PermissionSet/Dev': { arn: 'arn:ps', instanceArn: 'arn:aws:sso:::instance/ssoins-1', assignedAccounts: 2, assignments: 2 },
      'CrossAccountRole/R': {
        roles: [
          { account: 'dev', accountId: '111111111111', arn: 'arn:aws:iam::111111111111:role/R' },
          { account: 'staging', accountId: '222222222222', error: 'AccessDenied: no' },
          { account: 'legacy', accountId: '333333333333' },
        ],
        ready: '1/3',
      },
    });
  });
});

describe('never deletes what an invalid or blocked resource owns', () => {
  const owned = (key: string) => ({ 'orgplane.io/managed-by': 'orgplane', 'orgplane.io/owner': `securecart/${key}`, 'orgplane.io/deletion-policy': 'Delete' });

  it('keeps a permission set whose manifest is invalid this run (e.g. its group was renamed in the IdP)', () => {
    const d = desiredOrg(); // PermissionSet/Dev was dropped from desired by validation
    const a = actualOrg();
    a.access!.permissionSets.Dev = {
      arn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1',
      name: 'Dev',
      description: '',
      sessionDuration: 'PT1H',
      relayState: '',
      managedPolicies: [],
      customerManagedPolicies: [],
      inlinePolicy: '',
      tags: owned('PermissionSet/Dev'),
      provisionedAccounts: ['111111111111'],
      outdatedAccounts: [],
      assignments: { '111111111111': ['GROUP:g-1'] },
    };
    expect(planAccess(d, a, []).ops.map((o) => o.op)).toEqual(['DeleteAccountAssignment', 'DeletePermissionSet']);
    expect(planAccess(d, a, [], { protectedKeys: new Set(['PermissionSet/Dev']) }).ops).toEqual([]);
  });

  it('keeps every copy of a role whose trust names an unknown account', () => {
    const d = desiredOrg();
    d.roles.R = role('R', { targetAccounts: ['dev'], deletionPolicy: 'Delete', trust: { accounts: ['nope'], principalArns: [], requireMfa: false } });
    const a = actualOrg();
    a.access!.roles['111111111111/R'] = {
      accountId: '111111111111',
      roleName: 'R',
      path: '/',
      arn: 'arn:aws:iam::111111111111:role/R',
      description: '',
      trustPolicy: '{}',
      managedPolicyArns: [],
      inlinePolicies: {},
      maxSessionDuration: 3600,
      tags: owned('CrossAccountRole/R'),
    };
    const p = planAccess(d, a, []);
    expect(p.blocked).toEqual([{ resource: 'CrossAccountRole/R', reason: 'InvalidSpec', message: 'trust.accounts: unknown Account "nope"' }]);
    expect(p.ops).toEqual([]);
  });
});
