// Saved plans on plain data: fingerprints name what changed, the file is validated as untrusted
// input, and a plan applies only to the inputs it was made from.
import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../../controller/api/schemas.js';
import type { ActualOrg } from '../../controller/model/actual.js';
import { describeDifferences, manifestFingerprint, organizationFingerprint } from '../../controller/plan/fingerprint.js';
import { parseSavedPlan, savePlan, serializeSavedPlan, verifySavedPlan } from '../../controller/plan/saved.js';
import type { Op } from '../../controller/plan/operations.js';
import { planOf } from '../support/workflows.js';

const actual = (): ActualOrg => ({
  id: 'o-1',
  arn: 'arn:o',
  featureSet: 'ALL',
  managementAccountId: '123456789012',
  managementAccountEmail: 'm@example.com',
  root: { id: 'r-1', arn: 'arn:r', name: 'Root', enabledPolicyTypes: ['SERVICE_CONTROL_POLICY'] },
  ous: { 'ou-a': { id: 'ou-a', arn: 'arn:a', name: 'A', parentId: 'r-1' }, 'ou-b': { id: 'ou-b', arn: 'arn:b', name: 'B', parentId: 'r-1' } },
  accounts: { '111111111111': { id: '111111111111', arn: 'arn:1', name: 'dev', email: 'dev@example.com', state: 'ACTIVE', parentId: 'ou-a' } },
  policies: {
    'p-1': {
      id: 'p-1',
      arn: 'arn:p',
      name: 'deny-root',
      description: '',
      type: 'SERVICE_CONTROL_POLICY',
      awsManaged: false,
      content: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } } }],
      }),
      targets: ['ou-a', 'ou-b'],
    },
  },
  trustedServices: [],
  delegatedAdmins: [],
  readAt: '2026-12-01T00:00:00Z',
});
const resources: AnyResource[] = [
  {
    apiVersion: 'orgplane.io/v1alpha1',
    kind: 'Account',
    metadata: { name: 'dev' },
    spec: { name: 'dev', email: 'dev@example.com', parent: 'a' },
  } as AnyResource,
];
const op: Op = { id: 'op-1', deps: [], op: 'RenameOU', resource: 'OrganizationalUnit/a', summary: 'rename OU A to Apps', ouId: 'ou-a', from: 'A', to: 'Apps' };

describe('fingerprints', () => {
  it('ignore the read time and the order AWS lists sets in', () => {
    const b = actual();
    b.readAt = '2027-01-01T00:00:00Z';
    b.policies['p-1'].targets = ['ou-b', 'ou-a'];
    expect(organizationFingerprint(b).hash).toBe(organizationFingerprint(actual()).hash);
  });

  it('name what changed in the organization: a move, a policy document, a new object', () => {
    const b = actual();
    b.accounts['111111111111'].parentId = 'ou-b';
    b.policies['p-1'].content = '{"Version":"2012-10-17","Statement":[]}';
    b.ous['ou-c'] = { id: 'ou-c', arn: 'arn:c', name: 'C', parentId: 'r-1' };
    expect(describeDifferences(organizationFingerprint(actual()), organizationFingerprint(b))).toEqual([
      'account 111111111111 (dev): moved from ou-a to ou-b',
      'SCP deny-root (p-1): content changed',
      'OU C (ou-c) is new',
    ]);
  });

  it('name the manifest and the part of it that changed', () => {
    const edited = structuredClone(resources);
    (edited[0].spec as { parent: string }).parent = 'b';
    expect(describeDifferences(manifestFingerprint(resources), manifestFingerprint(edited))).toEqual(['Account/dev: spec changed']);
    expect(describeDifferences(manifestFingerprint(resources), manifestFingerprint([]))).toEqual(['Account/dev is gone']);
  });
});

describe('saved plan file', () => {
  const saved = () => savePlan(planOf([op]), { resources, actual: actual(), namespace: 'default', now: new Date(0) });

  it('round-trips and verifies against the same inputs', () => {
    const back = parseSavedPlan(serializeSavedPlan(saved()), 'plan.json');
    expect(back.formatVersion).toBe(1);
    expect(verifySavedPlan(back, { resources, actual: actual(), namespace: 'default', plan: planOf([op]) })).toEqual([]);
  });

  it.each([
    ['not JSON', 'nope', 'plan.json is not a saved orgplane plan: not JSON'],
    ['some other JSON', '{"ops":[]}', 'plan.json is not a saved orgplane plan (write one with orgplane plan --out plan.json)'],
    [
      'a newer format',
      JSON.stringify({ ...saved(), formatVersion: 2 }),
      'plan.json: plan formatVersion 2 is not supported (this orgplane reads 1); plan again',
    ],
    [
      'an op without deps',
      JSON.stringify({ ...saved(), plan: { ...saved().plan, ops: [{ ...op, deps: undefined }] } }),
      'plan.json: invalid saved plan at /plan/ops/0',
    ],
    [
      'an unknown op kind',
      JSON.stringify({ ...saved(), plan: { ...saved().plan, ops: [{ ...op, op: 'RunShell' }] } }),
      'plan.json: invalid saved plan: op-1 has unknown op kind "RunShell"',
    ],
    ['a bad fingerprint', JSON.stringify({ ...saved(), organization: { hash: 'x', objects: {} } }), 'plan.json: invalid saved plan at /organization/hash'],
  ])('refuses %s with a clear message', (_what, text, message) => {
    expect(() => parseSavedPlan(text, 'plan.json')).toThrow(message);
  });

  it('refuses when the inputs changed or the ops are not what those inputs plan', () => {
    const s = saved();
    const moved = actual();
    moved.accounts['111111111111'].parentId = 'ou-b';
    expect(verifySavedPlan(s, { resources, actual: moved, namespace: 'default', plan: planOf([op]) })).toEqual([
      'organization changed since the plan: account 111111111111 (dev): moved from ou-a to ou-b',
    ]);
    expect(verifySavedPlan(s, { resources, actual: actual(), namespace: 'team', plan: planOf([op]) })).toEqual([
      'the plan was made for namespace default, not team',
    ]);
    const other: Op = { ...op, to: 'Platform' };
    expect(verifySavedPlan(s, { resources, actual: actual(), namespace: 'default', plan: planOf([other]) })[0]).toMatch(
      /^the saved ops are not the ops of a plan made from the same inputs: op-1 \(rename OU A to Apps\) differs/,
    );
  });

  it('refuses when the stored workflows it cancels changed (its warnings differ)', () => {
    const s = saved();
    const now = {
      ...planOf([op]),
      warnings: ['stored migrate workflow of Account/x (phase Moving) is not resumed: the plan has no MoveAccount for Account/x; apply cancels it'],
    };
    expect(verifySavedPlan(s, { resources, actual: actual(), namespace: 'default', plan: now })).toEqual([
      `the plan's warnings differ (did the workflow state file change?): now: ${now.warnings[0]}`,
    ]);
  });
});
