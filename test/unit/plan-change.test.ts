import { describe, expect, it } from 'vitest';
import { planOrg } from '../../controller/plan/diff.js';
import { roleDocChanges } from '../../controller/plan/access.js';
import type { ActualRole } from '../../controller/model/actual.js';
import type { RoleBody } from '../../controller/plan/operations.js';
import { ALLOW_ALL, DENY_ROOT, NS, ROOT_ID, addPolicy, baseActual, dPolicy, desiredOrg, own } from './plan-fixtures.js';

describe('Op.change: before/after documents of updates', () => {
  it('UpdatePolicy carries the parsed content before and after', () => {
    const a = baseActual();
    addPolicy(a, 'p-guard', 'guard', ALLOW_ALL, [ROOT_ID], own('ServiceControlPolicy/guard'));
    const p = planOrg(desiredOrg({ policies: [dPolicy('guard', DENY_ROOT, [{ kind: 'root' }], { name: 'guard' })] }), a, { namespace: NS });
    expect(p.ops).toHaveLength(1);
    expect(p.ops[0].change).toEqual({ content: { before: JSON.parse(ALLOW_ALL), after: JSON.parse(DENY_ROOT) } });
  });

  it('a role update carries trustPolicy and each changed inline policy', () => {
    const body: RoleBody = {
      roleName: 'R',
      path: '/',
      description: '',
      trustPolicy: '{"Statement":[{"Effect":"Allow"}]}',
      managedPolicyArns: [],
      inlinePolicies: { s3: '{"a":2}' },
      maxSessionDuration: 3600,
      tags: {},
    };
    const have: ActualRole = {
      accountId: '222222222222',
      roleName: 'R',
      path: '/',
      arn: '',
      description: '',
      trustPolicy: '{"Statement":[]}',
      managedPolicyArns: [],
      inlinePolicies: { s3: '{"a":1}', old: '{"b":1}' },
      maxSessionDuration: 3600,
      tags: {},
    };
    expect(roleDocChanges(body, have, ['trustPolicy', 'inlinePolicies.old', 'inlinePolicies.s3'])).toEqual({
      trustPolicy: { before: { Statement: [] }, after: { Statement: [{ Effect: 'Allow' }] } },
      'inlinePolicies.old': { before: { b: 1 }, after: null },
      'inlinePolicies.s3': { before: { a: 1 }, after: { a: 2 } },
    });
  });
});
