// ResourceControlPolicy and ManagementPolicy offline: validation (every message names resource,
// field and rule) and the ops the planner emits, including the types moto cannot create
// (BACKUP_POLICY, DECLARATIVE_POLICY_EC2), which are therefore tested up to the wire here.
import { describe, expect, it } from 'vitest';
import { buildDesired } from '../../controller/model/build.js';
import { formatValidationError } from '../../controller/model/desired.js';
import { parseManifests } from '../../controller/model/load.js';
import { planOrg } from '../../controller/plan/diff.js';
import { applyPlan, baseActual, NS, opsOf, orderingViolations } from './plan-fixtures.js';

const H = 'apiVersion: orgplane.io/v1alpha1';
const ORG = `${H}\nkind: Organization\nmetadata: {name: org}\nspec:\n  enabledPolicyTypes: [SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, TAG_POLICY, BACKUP_POLICY, DECLARATIVE_POLICY_EC2]\n`;
const OU = `${H}\nkind: OrganizationalUnit\nmetadata: {name: prod}\nspec: {name: Prod, parent: root}\n`;
const DENY = (svc: string) =>
  `{Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: "${svc}:*", Resource: "*", Condition: {Bool: {aws:SecureTransport: "false"}}}]}`;
const rcp = (name: string, doc: string, targets = '{organizationalUnits: [prod]}') =>
  `${H}\nkind: ResourceControlPolicy\nmetadata: {name: ${name}}\nspec:\n  document: ${doc}\n  targets: ${targets}\n`;
const mgmt = (name: string, type: string, doc: string) =>
  `${H}\nkind: ManagementPolicy\nmetadata: {name: ${name}}\nspec:\n  type: ${type}\n  document: ${doc}\n  targets: {root: true}\n`;

const build = (...docs: string[]) => {
  const l = parseManifests(docs.join('---\n'), 'v.yaml');
  const b = buildDesired(l.resources, { loadErrors: l.errors, namespace: NS });
  // Source lines depend on the document order; the message, field and rule are what is tested.
  return { desired: b.desired, errors: [...l.errors, ...b.errors].map(formatValidationError).map((e) => e.replace(/ \(v\.yaml:\d+\)$/, '')) };
};

describe('ResourceControlPolicy validation', () => {
  it('accepts a Deny-only RCP and an SCP of the same name (names are unique per type)', () => {
    const scp = `${H}\nkind: ServiceControlPolicy\nmetadata: {name: tls}\nspec:\n  document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "s3:*", Resource: "*"}]}\n`;
    const r = build(ORG, OU, rcp('tls', DENY('s3')), scp);
    expect(r.errors).toEqual([]);
    expect(r.desired.policies['ResourceControlPolicy/tls']).toMatchObject({ policyType: 'RESOURCE_CONTROL_POLICY', key: 'ResourceControlPolicy/tls' });
    expect(r.desired.policies.tls.policyType).toBeUndefined();
  });

  it('rejects Allow statements, a principal other than "*", and services without RCP support', () => {
    const doc =
      '{Version: "2012-10-17", Statement: [{Sid: Open, Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:root"}, Action: ["s3:GetObject", "ec2:RunInstances"], Resource: "*"}]}';
    expect(build(ORG, OU, rcp('open', doc)).errors).toEqual([
      'ResourceControlPolicy/open: spec.document.Statement[0] (Open).Effect: RCPs support only Deny statements (besides RCPFullAWSAccess) [rcp-syntax]',
      'ResourceControlPolicy/open: spec.document.Statement[0] (Open).Principal: RCP statements must have Principal "*" [rcp-syntax]',
      'ResourceControlPolicy/open: spec.document.Statement[0] (Open).Action[1]: ec2 does not support RCPs: the entry never applies [rcp-syntax]',
    ]);
  });

  it('enforces the 5,120-character limit, 5 RCPs per target (RCPFullAWSAccess counted) and the enabled type', () => {
    const big = `{Version: "2012-10-17", Statement: [{Sid: ${'x'.repeat(5200)}, Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}]}`;
    expect(build(ORG, OU, rcp('big', big)).errors).toEqual([
      expect.stringMatching(/^ResourceControlPolicy\/big: spec.document: is 5\d{3} characters when minified; RCPs are limited to 5120 \[policy-size\]/),
    ]);
    const five = ['a', 'b', 'c', 'd', 'e'].map((n) => rcp(n, DENY('s3')));
    const errs = build(ORG, OU, ...five).errors;
    expect(errs).toHaveLength(5);
    expect(errs[0]).toBe(
      'ResourceControlPolicy/a: spec.targets: OrganizationalUnit/prod would have 6 RCPs attached (RCPFullAWSAccess included), more than the limit of 5: ResourceControlPolicy/a, ResourceControlPolicy/b, ResourceControlPolicy/c, ResourceControlPolicy/d, ResourceControlPolicy/e [policy-quota]',
    );
    const scpOnly = ORG.replace(', RESOURCE_CONTROL_POLICY', '');
    expect(build(scpOnly, OU, rcp('a', DENY('s3'))).errors).toEqual([
      'ResourceControlPolicy/a: spec.targets: RCPs cannot be attached: Organization/org spec.enabledPolicyTypes does not include RESOURCE_CONTROL_POLICY [policy-type-disabled]',
    ]);
  });
});

describe('ManagementPolicy validation', () => {
  it('validates each type with the evaluator: top-level key, operators, opt-out values', () => {
    expect(build(ORG, mgmt('cc', 'TAG_POLICY', '{tags: {cc: {tag_key: {"@@assign": CostCenter}}}}'))).toMatchObject({ errors: [] });
    expect(build(ORG, mgmt('cc', 'TAG_POLICY', '{plans: {}}')).errors).toEqual([
      'ManagementPolicy/cc: spec.document.plans: TAG_POLICY documents hold only "tags" at the top level [top-level-key]',
    ]);
    const ai = ORG.replace(']', ', AISERVICES_OPT_OUT_POLICY]');
    expect(build(ai, mgmt('ai', 'AISERVICES_OPT_OUT_POLICY', '{services: {default: {opt_out_policy: {"@@assign": maybe}}}}')).errors).toEqual([
      'ManagementPolicy/ai: spec.document.services.default.opt_out_policy.@@assign: must be "optIn" or "optOut", not "maybe" [opt-out-value]',
    ]);
    expect(build(ORG, mgmt('x', 'CHATBOT_POLICY', '{chatbot: {}}')).errors).toEqual([
      'ManagementPolicy/x: spec.targets: chatbot policies cannot be attached: Organization/org spec.enabledPolicyTypes does not include CHATBOT_POLICY [policy-type-disabled]',
    ]);
  });
});

describe('planning the types moto does not implement (up to the wire)', () => {
  const backup =
    '{plans: {daily: {regions: {"@@assign": [eu-west-1]}, rules: {d: {schedule_expression: {"@@assign": "cron(0 5 ? * * *)"}, target_backup_vault_name: {"@@assign": Default}}}, selections: {tags: {all: {iam_role_arn: {"@@assign": "arn:aws:iam::$account:role/Backup"}, tag_key: {"@@assign": backup}, tag_value: {"@@assign": [daily]}}}}}}}';
  const declarative = '{ec2_attributes: {image_block_public_access: {state: {"@@assign": block_new_sharing}}}}';

  it('enables BACKUP_POLICY and DECLARATIVE_POLICY_EC2, then creates and attaches each with its Type', () => {
    const { desired, errors } = build(ORG, mgmt('backup', 'BACKUP_POLICY', backup), mgmt('ebs', 'DECLARATIVE_POLICY_EC2', declarative));
    expect(errors).toEqual([]);
    const actual = baseActual();
    const plan = planOrg(desired, actual, { namespace: NS });
    expect(orderingViolations(plan)).toEqual([]);
    const creates = opsOf(plan, 'CreatePolicy');
    expect(creates.map((o) => [o.name, o.policyType, o.summary])).toEqual([
      ['backup', 'BACKUP_POLICY', 'create backup policy backup'],
      ['ebs', 'DECLARATIVE_POLICY_EC2', 'create declarative policy ebs'],
    ]);
    const enables = opsOf(plan, 'EnablePolicyType');
    for (const c of creates) {
      const enable = enables.find((e) => e.policyType === c.policyType);
      expect(c.deps).toContain(enable?.id);
    }
    const attaches = opsOf(plan, 'AttachPolicy');
    expect(attaches.map((o) => [o.policyName, o.policyType, o.target])).toEqual([
      ['backup', 'BACKUP_POLICY', { id: 'r-ab12' }],
      ['ebs', 'DECLARATIVE_POLICY_EC2', { id: 'r-ab12' }],
    ]);
    const after = applyPlan(actual, plan);
    expect(
      Object.values(after.policies)
        .filter((p) => !p.awsManaged)
        .map((p) => [p.name, p.type, p.targets]),
    ).toEqual([
      ['backup', 'BACKUP_POLICY', ['r-ab12']],
      ['ebs', 'DECLARATIVE_POLICY_EC2', ['r-ab12']],
    ]);
    expect(planOrg(desired, after, { namespace: NS }).ops).toEqual([]);
  });

  it('matches by name within a type: a tag policy named like an SCP is not adopted by the SCP', () => {
    const actual = baseActual();
    actual.root.enabledPolicyTypes.push('TAG_POLICY');
    const { desired } = build(ORG, mgmt('guard', 'TAG_POLICY', '{tags: {}}'));
    actual.policies['p-scpguard1'] = {
      id: 'p-scpguard1',
      arn: '',
      name: 'guard',
      description: '',
      type: 'SERVICE_CONTROL_POLICY',
      awsManaged: false,
      content: '{}',
      targets: [],
      tags: {},
    };
    const plan = planOrg(desired, actual, { namespace: NS });
    expect(opsOf(plan, 'CreatePolicy').map((o) => o.policyType)).toEqual(['TAG_POLICY']);
    expect(plan.blocked).toEqual([]);
  });
});
