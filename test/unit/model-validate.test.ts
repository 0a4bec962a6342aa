import { describe, expect, it } from 'vitest';
import { buildDesired } from '../../controller/model/build.js';
import { formatValidationError } from '../../controller/model/desired.js';
import { parseManifests } from '../../controller/model/load.js';
import { checkPolicyDocument, durationMinutes, isValidEmail, minifyPolicy, policySize } from '../../controller/model/validate.js';

const H = 'apiVersion: orgplane.io/v1alpha1';
const errorsOf = (yaml: string) => {
  const l = parseManifests(yaml, 'v.yaml');
  return [...l.errors, ...buildDesired(l.resources, { loadErrors: l.errors }).errors].map(formatValidationError);
};
const scp = (name: string, targets: string, extra = '') =>
  `${H}\nkind: ServiceControlPolicy\nmetadata: {name: ${name}}\nspec:\n  document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "${name}:*", Resource: "*"}]}\n  targets: ${targets}\n${extra}`;

describe('policy documents', () => {
  it('minifies objects and JSON text, keeps unparseable text for the checker', () => {
    expect(minifyPolicy({ Version: '2012-10-17', Statement: [] })).toBe('{"Version":"2012-10-17","Statement":[]}');
    expect(minifyPolicy('{\n  "Version" : "2012-10-17"\n}')).toBe('{"Version":"2012-10-17"}');
    expect(minifyPolicy('{oops')).toBe('{oops');
    expect(minifyPolicy(undefined)).toBe('');
  });

  it('counts characters, not bytes', () => {
    expect(policySize('{"Sid":"é😀"}')).toBe(12);
  });

  it('checks the grammar', () => {
    expect(checkPolicyDocument('{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"s3:*"}}')).toEqual([]);
    expect(checkPolicyDocument('{"Version":"2012-10-17","Statement":[]}')).toEqual([{ rule: 'policy-structure', message: 'Statement must not be empty' }]);
    expect(checkPolicyDocument('{"Version":"2012-10-17","Statement":"Allow"}')).toEqual([
      { rule: 'policy-structure', message: 'Statement must be an object or a list of objects' },
    ]);
    expect(checkPolicyDocument('{"Version":"2012-10-17","Statement":[1]}')).toEqual([{ rule: 'policy-structure', message: 'Statement[0] must be an object' }]);
    expect(checkPolicyDocument('{"Version":"2012-10-17","Statement":{"Action":"*"}}')).toEqual([
      { rule: 'policy-structure', message: 'Statement.Effect must be Allow or Deny (got nothing)' },
    ]);
    expect(checkPolicyDocument('[')[0].rule).toBe('policy-json');
  });
});

describe('small rules', () => {
  it('durations', () => {
    expect(['PT1H', 'PT12H', 'PT90M', 'PT1H30M', 'PT', '1H'].map(durationMinutes)).toEqual([60, 720, 90, 90, undefined, undefined]);
  });

  it('emails', () => {
    expect(['a@b.co', 'first.last+tag@sub.example.com', "o'brien@example.ie"].every(isValidEmail)).toBe(true);
    expect(['a@b', '@b.com', 'a@.com', 'a b@c.com', '.a@b.com', 'a.@b.com', 'a@-b.com'].some(isValidEmail)).toBe(false);
  });
});

describe('graph rules', () => {
  it('a policy target of "root" in the OU list means the root and counts once', () => {
    const l = parseManifests(scp('deny', '{root: true, organizationalUnits: [root]}'), 'v.yaml');
    expect(buildDesired(l.resources).desired.policies.deny.targets).toEqual([{ kind: 'root' }]);
  });

  it('counts FullAWSAccess exactly when a resource manages it', () => {
    const full = `${H}\nkind: ServiceControlPolicy\nmetadata: {name: full}\nspec: {awsManaged: true, name: FullAWSAccess, targets: {accounts: [a]}}`;
    const org = `${H}\nkind: Organization\nmetadata: {name: org}\nspec: {quotas: {maxPoliciesPerTarget: 2}}`;
    const ou = `${H}\nkind: OrganizationalUnit\nmetadata: {name: ou}\nspec: {parent: root}`;
    const acct = `${H}\nkind: Account\nmetadata: {name: a}\nspec: {email: a@example.com, parent: root}`;
    // Two custom SCPs on the OU fit the limit of two because FullAWSAccess is managed and not attached there.
    expect(errorsOf([org, ou, acct, full, scp('one', '{organizationalUnits: [ou]}'), scp('two', '{organizationalUnits: [ou]}')].join('\n---\n'))).toEqual([]);
    // Without the managing resource AWS's own FullAWSAccess counts, and the same two overflow.
    expect(errorsOf([org, ou, scp('one', '{organizationalUnits: [ou]}'), scp('two', '{organizationalUnits: [ou]}')].join('\n---\n'))).toEqual([
      'ServiceControlPolicy/one: spec.targets.organizationalUnits: OrganizationalUnit/ou would have 3 SCPs attached, more than the limit of 2 (quotas.maxPoliciesPerTarget): FullAWSAccess (attached by AWS), ServiceControlPolicy/one, ServiceControlPolicy/two [policy-quota] (v.yaml:11)',
      'ServiceControlPolicy/two: spec.targets.organizationalUnits: OrganizationalUnit/ou would have 3 SCPs attached, more than the limit of 2 (quotas.maxPoliciesPerTarget): FullAWSAccess (attached by AWS), ServiceControlPolicy/one, ServiceControlPolicy/two [policy-quota] (v.yaml:19)',
    ]);
  });

  it('a policy size exactly at the limit is fine, one over is not', () => {
    const content = minifyPolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'deny:*', Resource: '*' }] });
    const at = `${H}\nkind: Organization\nmetadata: {name: org}\nspec: {quotas: {maxPolicySize: ${policySize(content)}}}`;
    const under = `${H}\nkind: Organization\nmetadata: {name: org}\nspec: {quotas: {maxPolicySize: ${policySize(content) - 1}}}`;
    expect(errorsOf([at, scp('deny', '{}')].join('\n---\n'))).toEqual([]);
    expect(errorsOf([under, scp('deny', '{}')].join('\n---\n'))).toEqual([
      `ServiceControlPolicy/deny: spec.document: is ${policySize(content)} characters when minified; the limit is ${policySize(content) - 1} (quotas.maxPolicySize) [policy-size] (v.yaml:6)`,
    ]);
  });

  it('five levels below the root are allowed', () => {
    const chain = ['root', 'a', 'b', 'c', 'd', 'e'];
    const ous = chain.slice(1).map((n, i) => `${H}\nkind: OrganizationalUnit\nmetadata: {name: ${n}}\nspec: {parent: ${chain[i]}}`);
    expect(errorsOf(ous.join('\n---\n'))).toEqual([]);
  });

  it('OU names may repeat under different parents', () => {
    const ous = [
      ['a', 'root', 'Prod'],
      ['b', 'root', 'Dev'],
      ['c', 'a', 'Prod'],
      ['d', 'b', 'Prod'],
    ].map(([n, p, name]) => `${H}\nkind: OrganizationalUnit\nmetadata: {name: ${n}}\nspec: {parent: ${p}, name: ${name}}`);
    expect(errorsOf(ous.join('\n---\n'))).toEqual([]);
  });
});
