import { describe, expect, it } from 'vitest';
import { deniesAll, stampRisk } from '../../controller/plan/risk.js';
import { planOrg } from '../../controller/plan/diff.js';
import { ALLOW_ALL, DENY_ROOT, FULL, NS, ROOT_ID, addOU, addPolicy, baseActual, dPolicy, desiredOrg, dOU, own } from './plan-fixtures.js';

const DENY_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}';
const DENY_LIST = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["s3:*","*"]}]}';

describe('deniesAll', () => {
  it('is true only for an unconditional Deny of every action on every resource', () => {
    expect(deniesAll(DENY_ALL)).toBe(true);
    expect(deniesAll(DENY_LIST)).toBe(true);
    expect(deniesAll(DENY_ROOT)).toBe(false); // a Condition limits it to the root user
    expect(deniesAll(ALLOW_ALL)).toBe(false);
    expect(deniesAll('{"Statement":{"Effect":"Deny","NotAction":"iam:*","Action":"*"}}')).toBe(false);
    expect(deniesAll('{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}')).toBe(false);
    expect(deniesAll('not json')).toBe(false);
  });
});

describe('stampRisk: every op carries its risk class', () => {
  const plan = (d: ReturnType<typeof desiredOrg>, a: ReturnType<typeof baseActual>) => {
    const p = planOrg(d, a, { namespace: NS });
    stampRisk(p.ops, a);
    return p;
  };

  it('attaching a new deny-everything SCP to the root is org-wide; to an OU it is routine', () => {
    const p = plan(
      desiredOrg({
        ous: [dOU('w', 'root', { name: 'W' })],
        policies: [dPolicy('stop', DENY_ALL, [{ kind: 'root' }]), dPolicy('stop-w', DENY_ALL, [{ kind: 'ou', ref: 'w' }])],
      }),
      baseActual(),
    );
    const risks = Object.fromEntries(p.ops.map((o) => [`${o.op} ${o.resource}`, o.risk]));
    expect(risks).toEqual({
      'CreateOU OrganizationalUnit/w': 'routine',
      'CreatePolicy ServiceControlPolicy/stop': 'routine',
      'CreatePolicy ServiceControlPolicy/stop-w': 'routine',
      'AttachPolicy ServiceControlPolicy/stop': 'org-wide',
      'AttachPolicy ServiceControlPolicy/stop-w': 'routine',
    });
  });

  it('updating a policy on the root into a deny-everything document is org-wide; a conditional deny is routine', () => {
    const a = baseActual();
    addPolicy(a, 'p-guard', 'guard', DENY_ROOT, [ROOT_ID], own('ServiceControlPolicy/guard'));
    const toDenyAll = plan(desiredOrg({ policies: [dPolicy('guard', DENY_ALL, [{ kind: 'root' }], { name: 'guard' })] }), a);
    expect(toDenyAll.ops.map((o) => [o.op, o.risk])).toEqual([['UpdatePolicy', 'org-wide']]);
    const a2 = baseActual();
    addPolicy(a2, 'p-guard', 'guard', DENY_ALL, [ROOT_ID], own('ServiceControlPolicy/guard'));
    const toConditional = plan(desiredOrg({ policies: [dPolicy('guard', DENY_ROOT, [{ kind: 'root' }], { name: 'guard' })] }), a2);
    expect(toConditional.ops.map((o) => [o.op, o.risk])).toEqual([['UpdatePolicy', 'routine']]);
  });

  it('detaching FullAWSAccess from the root or an OU is org-wide', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-aaaaaaaa', 'A', ROOT_ID, own('OrganizationalUnit/a'));
    a.policies[FULL].targets = [ROOT_ID, 'ou-ab12-aaaaaaaa'];
    const p = plan(
      desiredOrg({
        ous: [dOU('a', 'root', { name: 'A' })],
        policies: [dPolicy('full', ALLOW_ALL, [], { name: 'FullAWSAccess', awsManaged: true, exclusiveTargets: true })],
      }),
      a,
    );
    const risks = p.ops.map((o) => `${o.op} ${o.risk}`).sort();
    expect(risks).toEqual(['DetachPolicy org-wide', 'DetachPolicy org-wide']);
  });
});
