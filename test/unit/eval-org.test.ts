// The organization as the evaluator sees it (from manifests, RCPs included) and the parsing of
// explain's flags.
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../controller/model/load.js';
import { buildDesired } from '../../controller/model/build.js';
import type { DesiredPolicy } from '../../controller/model/desired.js';
import { chainFor, orgFromDesired, orgFromActual } from '../../controller/eval/org.js';
import { evaluate } from '../../controller/eval/evaluate.js';
import { arnAccount, explainJson, parseAction, parseArn, parseContext } from '../../controller/eval/explain-format.js';
import type { ActualOrg } from '../../controller/model/actual.js';

const reference = () => buildDesired(loadManifests(['manifests/examples/reference']).resources, { namespace: 'default' }).desired;

const perimeter: DesiredPolicy = {
  key: 'ResourceControlPolicy/perimeter',
  ref: 'perimeter',
  tags: {},
  paused: false,
  name: 'DataPerimeter',
  description: '',
  content: JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OrgOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: '*',
        Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-ref' } },
      },
    ],
  }),
  awsManaged: false,
  targets: [{ kind: 'ou', ref: 'runtime' }],
  exclusiveTargets: true,
  deletionPolicy: 'Retain',
};

describe('organization for the evaluator', () => {
  it('RCPs apply once the type is enabled, with RCPFullAWSAccess at every level', () => {
    const d = reference();
    d.organization = {
      ...(d.organization ?? { key: 'Organization/reference', featureSet: 'ALL' }),
      enabledPolicyTypes: ['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY'],
    };
    const org = orgFromDesired(d, { rcps: [perimeter] });
    const chain = chainFor(org, 'dw-dev');
    if (!chain) throw new Error('no chain');
    expect(chain.levels.map((l) => l.rcps.map((p) => p.name))).toEqual([
      ['RCPFullAWSAccess'],
      ['RCPFullAWSAccess', 'DataPerimeter'],
      ['RCPFullAWSAccess'],
      ['RCPFullAWSAccess'],
    ]);
    const outsider = {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::dw-data/k',
      principal: 'arn:aws:iam::999999999999:role/x',
      context: { 'aws:PrincipalOrgID': 'o-other', 'aws:RequestedRegion': 'us-east-1' },
    };
    const r = evaluate(chain, outsider);
    expect(r.decision).toBe('ExplicitDeny');
    expect(r.levels.filter((l) => l.kind === 'RCP')[1]).toMatchObject({ target: { name: 'Runtime' }, statement: { policy: 'DataPerimeter', sid: 'OrgOnly' } });
    // The Enterprise OU has no perimeter.
    const security = chainFor(org, 'security');
    if (!security) throw new Error('no chain');
    expect(evaluate(security, outsider).decision).toBe('Allow');
  });

  it('RCP documents are ignored while the type is not enabled', () => {
    const chain = chainFor(orgFromDesired(reference(), { rcps: [perimeter] }), 'dw-dev');
    const r = evaluate(chain!, { action: 's3:GetObject', context: { 'aws:PrincipalOrgID': 'o-other', 'aws:RequestedRegion': 'us-east-1' } });
    expect(r.decision).toBe('Allow');
    expect(r.rcpExemption).toBe('RCPs are not enabled in this organization');
  });

  it('accounts are found by manifest name, AWS name or id; the management account by its id', () => {
    const actual: ActualOrg = {
      id: 'o-1',
      arn: '',
      featureSet: 'ALL',
      managementAccountId: '000000000000',
      managementAccountEmail: 'm@x',
      root: { id: 'r-1', arn: '', name: 'Root', enabledPolicyTypes: ['SERVICE_CONTROL_POLICY'] },
      ous: { 'ou-1': { id: 'ou-1', arn: '', name: 'Runtime', parentId: 'r-1' } },
      accounts: {
        '000000000000': { id: '000000000000', arn: '', name: 'Management', email: 'm@x', state: 'ACTIVE', parentId: 'r-1' },
        '111111111111': { id: '111111111111', arn: '', name: 'Dev', email: 'd@x', state: 'ACTIVE', parentId: 'ou-1' },
      },
      policies: {
        'p-FullAWSAccess': {
          id: 'p-FullAWSAccess',
          arn: '',
          name: 'FullAWSAccess',
          description: '',
          type: 'SERVICE_CONTROL_POLICY',
          awsManaged: true,
          content: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
          targets: ['r-1', 'ou-1', '111111111111', '000000000000'],
        },
        'p-deny': {
          id: 'p-deny',
          arn: '',
          name: 'DenyAll',
          description: '',
          type: 'SERVICE_CONTROL_POLICY',
          awsManaged: false,
          content: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }),
          targets: ['r-1'],
        },
      },
      trustedServices: [],
      delegatedAdmins: [],
      readAt: '',
    };
    const org = orgFromActual(actual);
    expect(evaluate(chainFor(org, 'Dev')!, { action: 'ec2:RunInstances' }).decision).toBe('ExplicitDeny');
    expect(evaluate(chainFor(org, '111111111111')!, { action: 'ec2:RunInstances' }).levels.map((l) => l.target.name)).toEqual(['Root', 'Runtime', 'Dev']);
    expect(evaluate(chainFor(org, '000000000000')!, { action: 'ec2:RunInstances' }).decision).toBe('Allow');
    expect(evaluate(chainFor(org, 'management')!, { action: 'ec2:RunInstances' }).scpExemption).toMatch(/management account/);
    expect(chainFor(org, 'nobody')).toBeUndefined();
  });
});

describe('explain flags', () => {
  it('parses actions, context and ARNs with messages that say what is expected', () => {
    expect(parseAction('ec2:RunInstances')).toEqual({ ok: true, value: 'ec2:RunInstances' });
    expect(parseAction('ec2:Run*')).toMatchObject({ ok: false, error: expect.stringMatching(/wildcards/) });
    expect(parseAction(undefined)).toMatchObject({ ok: false, error: expect.stringMatching(/--action is required/) });
    expect(parseContext(['aws:TagKeys=a', 'AWS:tagkeys=b', 'aws:SourceIp=10.0.0.1'])).toEqual({
      ok: true,
      value: { 'aws:TagKeys': ['a', 'b'], 'aws:SourceIp': ['10.0.0.1'] },
    });
    expect(parseContext(['region=eu-west-1'])).toMatchObject({ ok: false });
    expect(parseContext(['aws:x=a=b'])).toEqual({ ok: true, value: { 'aws:x': ['a=b'] } });
    expect(parseArn('arn:aws:s3:::bucket/key')).toEqual({ ok: true, value: 'arn:aws:s3:::bucket/key' });
    expect(parseArn('bucket')).toMatchObject({ ok: false });
    expect(arnAccount('arn:aws:sqs:us-east-1:123456789012:q')).toBe('123456789012');
    expect(arnAccount('arn:aws:s3:::bucket')).toBeUndefined();
  });

  it('JSON output has decision, account and one entry per level', () => {
    const chain = chainFor(orgFromDesired(reference()), 'sandbox')!;
    const j = explainJson(evaluate(chain, { action: 'organizations:LeaveOrganization' }), {});
    expect(j).toMatchObject({ decision: 'ExplicitDeny', account: { id: 'sandbox' }, scp: { decision: 'ExplicitDeny', exemption: null } });
    expect(j.levels.map((l) => [l.target.name, l.decision, l.statement?.sid ?? null])).toEqual([
      ['Root', 'ExplicitDeny', 'DenyLeaveOrganization'],
      ['Runtime', 'Allow', null],
      ['Shared Sandbox', 'Allow', null],
    ]);
  });
});

describe('request context from the principal', () => {
  it('aws:PrincipalArn and aws:PrincipalAccount come from --principal, as AWS sets them', () => {
    const chain = chainFor(orgFromDesired(reference()), 'dw-dev')!;
    // DenyRootUser (Runtime OU) tests aws:PrincipalArn: the root user is denied without a --context.
    const r = evaluate(chain, { action: 's3:ListBucket', principal: 'arn:aws:iam::222222222222:root', context: { 'aws:RequestedRegion': 'us-east-1' } });
    expect(r.decision).toBe('ExplicitDeny');
    expect(r.levels[1].statement?.sid).toBe('DenyRootUser');
    expect(
      evaluate(chain, { action: 's3:ListBucket', principal: 'arn:aws:iam::222222222222:role/App', context: { 'aws:RequestedRegion': 'us-east-1' } }).decision,
    ).toBe('Allow');
  });
});

describe('principal outside the organization', () => {
  it('SCPs do not apply to a principal of an account outside the organization', () => {
    const chain = chainFor(orgFromDesired(reference()), 'dw-dev')!;
    const r = evaluate(chain, { action: 'cloudtrail:StopLogging', principal: 'arn:aws:iam::999999999999:role/Partner' }, { principalOutsideOrg: true });
    expect(r.decision).toBe('Allow');
    expect(r.scpExemption).toBe('SCPs do not apply: the principal is outside the organization');
  });
});
