import { describe, expect, it } from 'vitest';
import { buildDesired } from '../../controller/model/build.js';
import { DEFAULT_QUOTAS, formatValidationError } from '../../controller/model/desired.js';
import { parseManifests } from '../../controller/model/load.js';
import { CORPUS_ACTUAL } from '../support/corpus.js';

const build = (yaml: string, ctx: Parameters<typeof buildDesired>[1] = {}) => {
  const loaded = parseManifests(yaml, 't.yaml');
  expect(loaded.errors).toEqual([]);
  return buildDesired(loaded.resources, ctx);
};
const H = 'apiVersion: orgplane.io/v1alpha1';

describe('buildDesired', () => {
  it('fills defaults and normalises every kind', () => {
    const { desired, errors, invalid } = build(`
${H}
kind: Organization
metadata: {name: org, namespace: platform}
spec:
  quotas: {maxPolicySize: 5120}
  deletion: {pruneUnmanaged: true}
---
${H}
kind: OrganizationalUnit
metadata: {name: workloads, annotations: {orgplane.io/paused: "true"}}
spec: {parent: root, tags: {team: a}}
---
${H}
kind: Account
metadata: {name: app}
spec: {email: app@example.com, parent: workloads}
---
${H}
kind: ServiceControlPolicy
metadata: {name: deny}
spec:
  document: '{ "Version": "2012-10-17",  "Statement": [ {"Effect": "Deny", "Action": "*", "Resource": "*"} ] }'
  targets: {root: true, organizationalUnits: [workloads, root, workloads], accounts: [app]}
---
${H}
kind: PermissionSet
metadata: {name: admin}
spec:
  inlinePolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
  customerManagedPolicies: [{name: boundary}]
  assignments: [{principal: {type: GROUP, name: Ops}, targets: {organizationalUnits: [workloads]}}]
---
${H}
kind: CrossAccountRole
metadata: {name: deploy}
spec:
  targets: {accounts: [app]}
  trust: {principalArns: ["111122223333"]}
`);
    expect(errors).toEqual([]);
    expect(invalid.size).toBe(0);
    expect(desired.namespace).toBe('platform');
    expect(desired.quotas).toEqual({ ...DEFAULT_QUOTAS, maxPolicySize: 5120, pruneUnmanaged: true });
    expect(desired.organization).toEqual({ key: 'Organization/org', featureSet: 'ALL' });
    expect(desired.ous.workloads).toEqual({
      key: 'OrganizationalUnit/workloads',
      ref: 'workloads',
      paused: true,
      name: 'workloads',
      parent: 'root',
      tags: { team: 'a' },
      deletionPolicy: 'Retain',
    });
    expect(desired.accounts.app).toEqual({
      key: 'Account/app',
      ref: 'app',
      paused: false,
      name: 'app',
      email: 'app@example.com',
      parent: 'workloads',
      accessRoleName: 'OrganizationAccountAccessRole',
      tags: {},
      deletionPolicy: 'Retain',
    });
    expect(desired.policies.deny).toMatchObject({
      name: 'deny',
      description: '',
      awsManaged: false,
      deletionPolicy: 'Retain',
      content: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}',
      targets: [{ kind: 'root' }, { kind: 'ou', ref: 'workloads' }, { kind: 'account', ref: 'app' }],
    });
    expect(desired.permissionSets.admin).toMatchObject({
      name: 'admin',
      sessionDuration: 'PT1H',
      relayState: '',
      managedPolicies: [],
      inlinePolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
      customerManagedPolicies: [{ name: 'boundary', path: '/' }],
      assignments: [{ principal: { type: 'GROUP', name: 'Ops' }, accounts: [], organizationalUnits: ['workloads'], includeDescendants: false }],
    });
    expect(desired.roles.deploy).toMatchObject({
      roleName: 'deploy',
      path: '/',
      description: '',
      includeDescendants: true,
      maxSessionDuration: 3600,
      targetAccounts: ['app'],
      targetOUs: [],
      trust: { accounts: [], principalArns: ['111122223333'], requireMfa: false },
      managedPolicyArns: [],
      inlinePolicies: {},
    });
  });

  it('ctx.namespace wins; default namespace is "default"', () => {
    expect(build(`${H}\nkind: OrganizationalUnit\nmetadata: {name: a, namespace: x}\nspec: {parent: root}`, { namespace: 'ns1' }).desired.namespace).toBe(
      'ns1',
    );
    expect(build(`${H}\nkind: OrganizationalUnit\nmetadata: {name: a}\nspec: {parent: root}`).desired.namespace).toBe('default');
  });

  it('leaves invalid resources and their dependents out, and still builds the rest', () => {
    const { desired, errors, invalid } = build(`
${H}
kind: OrganizationalUnit
metadata: {name: good}
spec: {parent: root}
---
${H}
kind: OrganizationalUnit
metadata: {name: bad}
spec: {parent: root, name: ""}
---
${H}
kind: OrganizationalUnit
metadata: {name: child}
spec: {parent: bad}
---
${H}
kind: Account
metadata: {name: a1}
spec: {email: a1@example.com, parent: child}
---
${H}
kind: Account
metadata: {name: a2}
spec: {email: a2@example.com, parent: good}
`);
    expect(errors.map(formatValidationError)).toEqual([
      'OrganizationalUnit/bad: spec.name: must be at least 1 characters long (got 0) [schema] (t.yaml:7)',
      'OrganizationalUnit/child: spec.parent: depends on OrganizationalUnit/bad, which is invalid [dependency-invalid] (t.yaml:12)',
      'Account/a1: spec.parent: depends on OrganizationalUnit/child, which is invalid [dependency-invalid] (t.yaml:17)',
    ]);
    expect([...invalid].sort()).toEqual(['Account/a1', 'OrganizationalUnit/bad', 'OrganizationalUnit/child']);
    expect(Object.keys(desired.ous)).toEqual(['good']);
    expect(Object.keys(desired.accounts)).toEqual(['a2']);
  });

  it('treats resources named by load errors as present but invalid', () => {
    const loaded = parseManifests(
      `${H}\nkind: OrganizationalUnit\nmetadata: {name: a}\nspec: {parent: root}\n---\n${H}\nkind: OrganizationalUnit\nmetadata: {name: a}\nspec: {parent: root}\n---\n${H}\nkind: Account\nmetadata: {name: x}\nspec: {email: x@example.com, parent: a}`,
      't.yaml',
    );
    const built = buildDesired(loaded.resources, { loadErrors: loaded.errors });
    expect(built.errors.map(formatValidationError)).toEqual([
      'Account/x: spec.parent: depends on OrganizationalUnit/a, which is invalid [dependency-invalid] (t.yaml:11)',
    ]);
    expect([...built.invalid].sort()).toEqual(['Account/x', 'OrganizationalUnit/a']);
    expect(built.desired.ous).toEqual({});
  });

  it('quotas fall back to the defaults when the Organization is missing or ambiguous', () => {
    expect(build(`${H}\nkind: OrganizationalUnit\nmetadata: {name: a}\nspec: {parent: root}`).desired.quotas).toEqual(DEFAULT_QUOTAS);
    const two = build(
      `${H}\nkind: Organization\nmetadata: {name: a}\nspec: {quotas: {maxPolicySize: 1}}\n---\n${H}\nkind: Organization\nmetadata: {name: b}\nspec: {}`,
    );
    expect(two.desired.quotas).toEqual(DEFAULT_QUOTAS);
    expect(two.desired.organization).toBeUndefined();
  });

  it('applies the management-account rules only when the actual organization is known', () => {
    const yaml = `${H}\nkind: Account\nmetadata: {name: mgmt}\nspec: {email: master@example.com, parent: root, deletionPolicy: Remove}`;
    expect(build(yaml).errors).toEqual([]);
    expect(build(yaml, { actual: CORPUS_ACTUAL }).errors.map(formatValidationError)).toEqual([
      'Account/mgmt: spec.deletionPolicy: is the management account (123456789012), which orgplane never closes or removes: deletionPolicy must be Retain, not Remove [management-account] (t.yaml:1)',
    ]);
  });
});
