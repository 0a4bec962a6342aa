// `orgplane explain` as a user runs it: a child process, checked by exit code and output. The
// reference organization (seed 001) answers the DONE-WHEN questions of issue 9 offline from the
// manifests and --live from a real moto server the same manifests were applied to.
import { describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useMoto } from '../support/moto.js';
import { type CliRun, orgplane as cli } from '../support/cli.js';

/** Offline commands get an endpoint nothing listens on: a call to AWS would fail loudly. */
const orgplane = (args: string[], endpoint = 'http://127.0.0.1:9') => cli(args, endpoint);

const REF = 'manifests/examples/reference';
const explain = (...args: string[]) => orgplane(['explain', '-f', REF, ...args]);
interface Out {
  decision: string;
  account: { id: string };
  levels: { kind: string; target: { type: string; name: string }; decision: string; statement: { policy: string; sid?: string } | null }[];
  scp: { exemption: string | null };
}
const json = (r: CliRun) => JSON.parse(r.stdout) as Out;

describe('orgplane explain (manifests)', () => {
  it('EC2 outside the allowed regions is denied in a Runtime account, by RestrictRegions at the root', async () => {
    const r = await explain('--account', 'ecommerce-dev', '--action', 'ec2:RunInstances', '--context', 'aws:RequestedRegion=ap-southeast-2', '-o', 'json');
    expect(r.code).toBe(0);
    const o = json(r);
    expect(o.decision).toBe('ExplicitDeny');
    expect(o.levels.map((l) => [l.target.type, l.target.name, l.decision])).toEqual([
      ['root', 'Root', 'ExplicitDeny'],
      ['ou', 'Runtime', 'Allow'],
      ['ou', 'Ecommerce', 'Allow'],
      ['account', 'ecommerce-dev', 'Allow'],
    ]);
    expect(o.levels[0].statement).toMatchObject({ policy: 'RestrictRegions', sid: 'DenyUnsupportedRegions' });
  });

  it('EC2 in an allowed region is allowed; text output shows the chain', async () => {
    const r = await explain('--account', 'dw-prod', '--action', 'ec2:RunInstances', '--context', 'aws:RequestedRegion=us-west-2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Allow: ec2:RunInstances on \* in dw-prod/);
    expect(r.stdout).toMatch(/✓ OU Data Warehouse \(data-warehouse\)\s+Allow\s+Allow by FullAWSAccess/);
  });

  it('IAM is allowed in any region (NotAction), cloudtrail:StopLogging is denied', async () => {
    const iam = await explain('--account', 'sandbox', '--action', 'iam:CreateRole', '--context', 'aws:RequestedRegion=sa-east-1', '-o', 'json');
    expect(json(iam).decision).toBe('Allow');
    const stop = await explain('--account', 'security', '--action', 'cloudtrail:StopLogging', '-o', 'json');
    expect(stop.code).toBe(0);
    expect(json(stop).decision).toBe('ExplicitDeny');
    expect(json(stop).levels[0].statement).toMatchObject({ policy: 'ProtectAccount', sid: 'ProtectCloudTrail' });
  });

  it('the management account is allowed everything', async () => {
    for (const action of ['cloudtrail:StopLogging', 'organizations:LeaveOrganization', 'ec2:RunInstances']) {
      const r = await explain('--account', 'management', '--action', action, '--context', 'aws:RequestedRegion=eu-west-1', '-o', 'json');
      expect(json(r).decision).toBe('Allow');
      expect(json(r).scp.exemption).toBe('SCPs do not apply to the management account');
    }
  });

  it('exit 1 with a clear message on bad input', async () => {
    const unknown = await explain('--account', 'nobody', '--action', 'ec2:RunInstances');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown account "nobody": known accounts are security \(security\)/);
    const malformed = await explain('--account', 'sandbox', '--action', 'RunInstances');
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/--action "RunInstances" is not of the form service:Action/);
    const ctx = await explain('--account', 'sandbox', '--action', 'ec2:RunInstances', '--context', 'nokey');
    expect(ctx.code).toBe(1);
    expect(ctx.stderr).toMatch(/--context "nokey": expected KEY=VALUE/);
    const arn = await explain('--account', 'sandbox', '--action', 's3:GetObject', '--resource', 'bucket/key');
    expect(arn.code).toBe(1);
    expect(arn.stderr).toMatch(/--resource "bucket\/key" is not an ARN/);
  });

  it('--effective-policy merges the TAG_POLICY documents of the manifests; none declared is said so', async () => {
    const none = await explain('--account', 'sandbox', '--effective-policy', 'TAG_POLICY');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no TAG_POLICY policies are declared/);
    const dir = await mkdtemp(path.join(tmpdir(), 'op-explain-'));
    await cp(REF, dir, { recursive: true });
    // ManagementPolicy is a real kind now: its type must be enabled on the root like any policy type.
    const orgYaml = (await readFile(path.join(dir, 'organization.yaml'), 'utf8')).replace(
      'enabledPolicyTypes: [SERVICE_CONTROL_POLICY]',
      'enabledPolicyTypes: [SERVICE_CONTROL_POLICY, TAG_POLICY]',
    );
    await writeFile(path.join(dir, 'organization.yaml'), orgYaml);
    await writeFile(
      path.join(dir, 'tag-policies.yaml'),
      [
        'apiVersion: orgplane.io/v1alpha1\nkind: ManagementPolicy\nmetadata: {name: cost-center}\nspec:',
        '  type: TAG_POLICY\n  targets: {root: true}',
        '  document: {tags: {costcenter: {tag_key: {"@@assign": CostCenter}, tag_value: {"@@assign": [Development, Support]}}}}',
        '---\napiVersion: orgplane.io/v1alpha1\nkind: ManagementPolicy\nmetadata: {name: runtime-cost-center}\nspec:',
        '  type: TAG_POLICY\n  targets: {organizationalUnits: [runtime]}',
        '  document: {tags: {costcenter: {tag_value: {"@@append": [Marketing]}}}}',
      ].join('\n'),
    );
    const r = await orgplane(['explain', '-f', dir, '--account', 'sandbox', '--effective-policy', 'TAG_POLICY', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { effective: unknown; levels: { policies: string[] }[] };
    expect(o.effective).toEqual({ tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['Development', 'Support', 'Marketing'] } } });
    expect(o.levels.map((l) => l.policies)).toEqual([['cost-center'], ['runtime-cost-center'], []]);
    const security = await orgplane(['explain', '-f', dir, '--account', 'security', '--effective-policy', 'TAG_POLICY', '-o', 'json']);
    expect((JSON.parse(security.stdout) as { effective: unknown }).effective).toEqual({
      tags: { costcenter: { tag_key: 'CostCenter', tag_value: ['Development', 'Support'] } },
    });
  });
  it('reads ResourceControlPolicy manifests: a data perimeter on the Runtime OU denies outsiders', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'op-explain-'));
    await cp(REF, dir, { recursive: true });
    const org = (await readFile(path.join(dir, 'organization.yaml'), 'utf8')).replace(
      'enabledPolicyTypes: [SERVICE_CONTROL_POLICY]',
      'enabledPolicyTypes: [SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY]',
    );
    await writeFile(path.join(dir, 'organization.yaml'), org);
    await writeFile(
      path.join(dir, 'rcps.yaml'),
      [
        'apiVersion: orgplane.io/v1alpha1\nkind: ResourceControlPolicy\nmetadata: {name: data-perimeter}\nspec:',
        '  name: DataPerimeter\n  targets: {organizationalUnits: [runtime]}',
        '  document: {Version: "2012-10-17", Statement: [{Sid: OrgIdentitiesOnly, Effect: Deny, Principal: "*", Action: ["s3:*", "sqs:*"], Resource: "*",',
        '    Condition: {StringNotEqualsIfExists: {"aws:PrincipalOrgID": o-reference}, BoolIfExists: {"aws:PrincipalIsAWSService": "false"}}}]}',
      ].join('\n'),
    );
    const run = (account: string, orgId: string) =>
      orgplane([
        'explain',
        '-f',
        dir,
        '--account',
        account,
        '--action',
        's3:GetObject',
        '--resource',
        'arn:aws:s3:::data/k',
        '--principal',
        'arn:aws:iam::999999999999:role/Partner',
        '--context',
        `aws:PrincipalOrgID=${orgId}`,
        '-o',
        'json',
      ]);
    const outsider = await run('dw-prod', 'o-other');
    expect(outsider.stderr).toBe('');
    const o = json(outsider);
    expect(o.decision).toBe('ExplicitDeny');
    expect(o.levels.filter((l) => l.kind === 'RCP').map((l) => [l.target.name, l.decision, l.statement?.policy])).toEqual([
      ['Root', 'Allow', 'RCPFullAWSAccess'],
      ['Runtime', 'ExplicitDeny', 'DataPerimeter'],
      ['Data Warehouse', 'Allow', 'RCPFullAWSAccess'],
      ['dw-prod', 'Allow', 'RCPFullAWSAccess'],
    ]);
    expect(json(await run('dw-prod', 'o-reference')).decision).toBe('Allow');
    expect(json(await run('security', 'o-other')).decision).toBe('Allow');
  });
});

describe('orgplane explain --live (moto)', () => {
  const moto = useMoto();

  it('answers from the applied organization, by manifest name or by AWS account id', async () => {
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'op-explain-')), 'wf.json');
    const applied = await orgplane(['apply', '--auto-approve', '-f', REF, '--state', state], moto.endpoint);
    expect(applied.code).toBe(0);
    const live = (...args: string[]) => orgplane(['explain', '-f', REF, '--live', '-o', 'json', ...args], moto.endpoint);
    const denied = await live('--account', 'ecommerce-prod', '--action', 'ec2:RunInstances', '--context', 'aws:RequestedRegion=eu-west-1');
    expect(denied.stderr).toBe('');
    expect(json(denied).decision).toBe('ExplicitDeny');
    expect(json(denied).account.id).toMatch(/^\d{12}$/);
    expect(json(denied).levels[0].target.type).toBe('root');
    expect(json(denied).levels.map((l) => l.target.name)).toEqual(['Root', 'Runtime', 'Ecommerce', 'ecommerce-prod']);
    const byId = await live('--account', json(denied).account.id, '--action', 'ec2:RunInstances', '--context', 'aws:RequestedRegion=us-east-1');
    expect(json(byId).decision).toBe('Allow');
    expect(json(await live('--account', 'ecommerce-prod', '--action', 'cloudtrail:StopLogging')).decision).toBe('ExplicitDeny');
    expect(json(await live('--account', 'ecommerce-prod', '--action', 'iam:PassRole', '--context', 'aws:RequestedRegion=eu-west-1')).decision).toBe('Allow');
    // A principal from outside the organization is not subject to its SCPs (only to RCPs).
    const outsider = await live('--account', 'ecommerce-prod', '--action', 'cloudtrail:StopLogging', '--principal', 'arn:aws:iam::999999999999:role/Partner');
    expect(json(outsider)).toMatchObject({ decision: 'Allow', scp: { exemption: 'SCPs do not apply: the principal is outside the organization' } });
    const mgmt = await live('--account', 'management', '--action', 'cloudtrail:StopLogging');
    expect(json(mgmt).decision).toBe('Allow');
  }, 180_000);
});
