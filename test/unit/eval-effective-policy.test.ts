// Effective management policies, checked against the inheritance examples of the Organizations
// user guide, and the offline validator of management policy documents.
// Examples: https://docs.aws.amazon.com/organizations/latest/userguide/inheritance-examples.html
// (same text: awsdocs/aws-organizations-docs doc_source/orgs_manage_policies_inheritance_mgmt.md)
import { describe, expect, it } from 'vitest';
import { effectivePolicy, type Json } from '../../controller/eval/effective-policy.js';
import { validateManagementPolicy } from '../../controller/eval/management-validate.js';

const level = (target: string, ...docs: Json[]) => ({ target, policies: docs.map((document, i) => ({ name: `${target}-${i}`, document })) });

const policyA: Json = { tags: { costcenter: { tag_key: { '@@assign': 'CostCenter' }, tag_value: { '@@assign': ['Development', 'Support'] } } } };

describe('effective management policy (inheritance examples)', () => {
  it('example 1: @@assign in the OU policy overwrites the root values and adds enforced_for', () => {
    const policyB: Json = {
      tags: {
        costcenter: {
          tag_key: { '@@assign': 'CostCenter' },
          tag_value: { '@@assign': ['Sandbox'] },
          enforced_for: { '@@assign': ['redshift:*', 'dynamodb:table'] },
        },
      },
    };
    const r = effectivePolicy([level('root', policyA), level('OU1', policyB), level('111111111111')]);
    expect(r.effective).toEqual({ tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['Sandbox'], enforced_for: ['redshift:*', 'dynamodb:table'] } } });
    expect(r.ignored).toEqual([]);
  });

  const policyC: Json = {
    tags: {
      costcenter: {
        tag_key: { '@@assign': 'CostCenter' },
        tag_value: { '@@append': ['Marketing'] },
        enforced_for: { '@@append': ['redshift:*', 'dynamodb:table'] },
      },
    },
  };

  it('example 2: @@append adds to the inherited values', () => {
    const r = effectivePolicy([level('root', policyA), level('OU2', policyC), level('999999999999')]);
    expect(r.effective).toEqual({
      tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['Development', 'Support', 'Marketing'], enforced_for: ['redshift:*', 'dynamodb:table'] } },
    });
  });

  it('example 3: @@remove at the account leaves Support and no enforced_for', () => {
    // The guide nests enforced_for inside tag_value, a typo its own result contradicts; here it
    // sits next to tag_value, where it removes what policy C appended.
    const policyD: Json = {
      tags: {
        costcenter: {
          tag_key: { '@@assign': 'CostCenter' },
          tag_value: { '@@remove': ['Development', 'Marketing'] },
          enforced_for: { '@@remove': ['redshift:*', 'dynamodb:table'] },
        },
      },
    };
    const r = effectivePolicy([level('root', policyA), level('OU2', policyC), level('999999999999', policyD)]);
    expect(r.effective).toEqual({ tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['Support'] } } });
  });

  it('example 4: @@none locks the tag key, @@append still extends the values', () => {
    const policyE: Json = {
      tags: {
        project: {
          tag_key: { '@@operators_allowed_for_child_policies': ['@@none'], '@@assign': 'Project' },
          tag_value: { '@@operators_allowed_for_child_policies': ['@@append'], '@@assign': ['Maintenance', 'Escalations'] },
        },
      },
    };
    const policyF: Json = { tags: { project: { tag_key: { '@@assign': 'PROJECT' }, tag_value: { '@@append': ['Escalations - research'] } } } };
    const r = effectivePolicy([level('root', policyE), level('OU', policyF), level('account')]);
    expect(r.effective).toEqual({ tags: { project: { tag_key: 'Project', tag_value: ['Maintenance', 'Escalations', 'Escalations - research'] } } });
    expect(r.ignored).toEqual(['OU/OU-0: tags.project.tag_key: @@assign ignored: a parent policy allows only @@none']);
  });

  it('example 5: child-control operators of policies at one level intersect (append yes, remove no)', () => {
    const policyG: Json = { tags: { project: { tag_value: { '@@operators_allowed_for_child_policies': ['@@append'], '@@assign': ['Maintenance'] } } } };
    const policyH: Json = { tags: { project: { tag_value: { '@@operators_allowed_for_child_policies': ['@@append', '@@remove'] } } } };
    const child: Json = { tags: { project: { tag_value: { '@@append': ['Research'] } } } };
    const remover: Json = { tags: { project: { tag_value: { '@@remove': ['Maintenance'] } } } };
    const r = effectivePolicy([level('root', policyG, policyH), level('OU', child, remover)]);
    expect(r.effective).toEqual({ tags: { project: { tag_value: ['Maintenance', 'Research'] } } });
    expect(r.ignored).toHaveLength(1);
    expect(r.ignored[0]).toMatch(/@@remove ignored: a parent policy allows only @@append/);
  });

  it('example 6: at one level the policy attached first sets the value', () => {
    const policyJ: Json = { tags: { project: { tag_key: { '@@assign': 'PROJECT' }, tag_value: { '@@append': ['Maintenance'] } } } };
    const policyK: Json = { tags: { project: { tag_key: { '@@assign': 'project' } } } };
    const r = effectivePolicy([level('root', policyJ, policyK)]);
    expect(r.effective.tags).toMatchObject({ project: { tag_key: 'PROJECT' } });
    expect((r.effective.tags as { project: { tag_value: string[] } }).project.tag_value).toContain('Maintenance');
  });

  it('a restriction cannot be widened below: @@all in a child does not lift a parent @@none', () => {
    const root: Json = { services: { default: { opt_out_policy: { '@@operators_allowed_for_child_policies': ['@@none'], '@@assign': 'optOut' } } } };
    const ou: Json = { services: { default: { opt_out_policy: { '@@operators_allowed_for_child_policies': ['@@all'], '@@assign': 'optIn' } } } };
    const acct: Json = { services: { default: { opt_out_policy: { '@@assign': 'optIn' } } } };
    const r = effectivePolicy([level('root', root), level('OU', ou), level('acct', acct)]);
    expect(r.effective).toEqual({ services: { default: { opt_out_policy: 'optOut' } } });
    expect(r.ignored).toHaveLength(2);
  });

  it('a restriction on a parent setting binds the settings under it', () => {
    const root: Json = { plans: { '@@operators_allowed_for_child_policies': ['@@none'], daily: { regions: { '@@assign': ['us-east-1'] } } } };
    const ou: Json = { plans: { daily: { regions: { '@@append': ['eu-west-1'] } } } };
    const r = effectivePolicy([level('root', root), level('OU', ou)]);
    expect(r.effective).toEqual({ plans: { daily: { regions: ['us-east-1'] } } });
  });

  it('no policies: an empty effective policy', () => {
    expect(effectivePolicy([level('root'), level('acct')]).effective).toEqual({});
  });
});

describe('management policy validation', () => {
  it('accepts the guide examples', () => {
    expect(validateManagementPolicy('TAG_POLICY', policyA)).toEqual([]);
    expect(validateManagementPolicy('AISERVICES_OPT_OUT_POLICY', { services: { default: { opt_out_policy: { '@@assign': 'optOut' } } } })).toEqual([]);
  });

  it('names the field and the rule', () => {
    const problems = validateManagementPolicy('TAG_POLICY', {
      tags: { cc: { tag_key: 'CostCenter', tag_value: { '@@append': 'x', '@@replace': ['y'] } } },
      other: {},
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'other', rule: 'top-level-key', message: 'TAG_POLICY documents hold only "tags" at the top level' },
        { field: 'tags.cc.tag_key', rule: 'missing-operator', message: expect.stringMatching(/inheritance operator/) },
        { field: 'tags.cc.tag_value.@@append', rule: 'operator-value', message: expect.stringMatching(/JSON array/) },
        { field: 'tags.cc.tag_value.@@replace', rule: 'unknown-operator', message: 'unknown inheritance operator @@replace' },
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('checks child-control values and the AI opt-out values', () => {
    const problems = validateManagementPolicy('AISERVICES_OPT_OUT_POLICY', {
      services: { default: { opt_out_policy: { '@@operators_allowed_for_child_policies': ['@@none', '@@assign'], '@@assign': 'no' } } },
    });
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['services.default.opt_out_policy.@@operators_allowed_for_child_policies', 'child-control'],
      ['services.default.opt_out_policy.@@assign', 'opt-out-value'],
    ]);
  });

  it('enforces the per-type size quotas (AI opt-out 2,500; tag 10,000)', () => {
    const big = (n: number) => ({ tags: { cc: { tag_value: { '@@assign': Array.from({ length: n }, (_, i) => `value-${i}`) } } } });
    expect(validateManagementPolicy('TAG_POLICY', big(500)).map((p) => p.rule)).toEqual([]);
    expect(validateManagementPolicy('TAG_POLICY', big(1200))).toEqual([
      expect.objectContaining({ field: 'document', rule: 'policy-size', message: expect.stringMatching(/limited to 10000/) }),
    ]);
    const ai = { services: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`service${i}`, { opt_out_policy: { '@@assign': 'optOut' } }])) };
    expect(validateManagementPolicy('AISERVICES_OPT_OUT_POLICY', ai)).toEqual([
      expect.objectContaining({ rule: 'policy-size', message: expect.stringMatching(/limited to 2500/) }),
    ]);
  });

  it('rejects an unknown type and bad JSON', () => {
    expect(validateManagementPolicy('SNACK_POLICY', {})[0].rule).toBe('policy-type');
    expect(validateManagementPolicy('BACKUP_POLICY', '{nope')[0].rule).toBe('policy-json');
  });
});
