// DONE-WHEN of issue 9 on the reference organization (seed 001, manifests/examples/reference):
// region restriction by NotAction + StringNotEquals, CloudTrail protection, the management
// account's exemption, evaluated from the manifests exactly as explain does.
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../controller/model/load.js';
import { buildDesired } from '../../controller/model/build.js';
import { chainFor, orgFromDesired, type Chain } from '../../controller/eval/org.js';
import { evaluate } from '../../controller/eval/evaluate.js';

function referenceChain(account: string): Chain {
  const loaded = loadManifests(['manifests/examples/reference']);
  const built = buildDesired(loaded.resources, { namespace: 'default' });
  expect(built.errors).toEqual([]);
  const chain = chainFor(orgFromDesired(built.desired), account);
  if (!chain) throw new Error(`no account ${account}`);
  return chain;
}

describe('reference organization (seed 001)', () => {
  const prod = referenceChain('ecommerce-prod');
  const region = (r: string) => ({ 'aws:RequestedRegion': r, 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/Developer' });

  it('walks root -> Runtime -> Ecommerce -> the account', () => {
    expect(prod.levels.map((l) => l.target.name)).toEqual(['Root', 'Runtime', 'Ecommerce', 'ecommerce-prod']);
  });

  it('denies EC2 outside the allowed regions, by DenyUnsupportedRegions at the root', () => {
    const r = evaluate(prod, { action: 'ec2:RunInstances', context: region('eu-west-1') });
    expect(r.decision).toBe('ExplicitDeny');
    expect(r.levels[0]).toMatchObject({
      target: { type: 'root' },
      decision: 'ExplicitDeny',
      statement: { policy: 'RestrictRegions', sid: 'DenyUnsupportedRegions' },
    });
  });

  it('allows EC2 in an allowed region: FullAWSAccess at every level, no deny', () => {
    const r = evaluate(prod, { action: 'ec2:RunInstances', context: region('us-west-2') });
    expect(r.decision).toBe('Allow');
    expect(r.levels.map((l) => [l.decision, l.statement?.policy])).toEqual([
      ['Allow', 'FullAWSAccess'],
      ['Allow', 'FullAWSAccess'],
      ['Allow', 'FullAWSAccess'],
      ['Allow', 'FullAWSAccess'],
    ]);
  });

  it('allows IAM in any region: NotAction excludes iam:*', () => {
    for (const reg of ['eu-west-1', 'ap-southeast-2', 'us-east-1']) {
      expect(evaluate(prod, { action: 'iam:CreateRole', context: region(reg) }).decision).toBe('Allow');
    }
  });

  it('denies cloudtrail:StopLogging even in an allowed region', () => {
    const r = evaluate(prod, { action: 'cloudtrail:StopLogging', context: region('us-east-1') });
    expect(r.decision).toBe('ExplicitDeny');
    expect(r.levels[0].statement).toMatchObject({ policy: 'ProtectAccount', sid: 'ProtectCloudTrail' });
  });

  it('exempts the management account from every SCP', () => {
    const mgmt = referenceChain('management');
    for (const action of ['cloudtrail:StopLogging', 'ec2:RunInstances', 'organizations:LeaveOrganization']) {
      const r = evaluate(mgmt, { action, context: region('eu-west-1') });
      expect(r.decision).toBe('Allow');
      expect(r.scpExemption).toMatch(/management account/);
    }
  });

  it('denies database deletion in prod but not in dev', () => {
    expect(evaluate(prod, { action: 'rds:DeleteDBCluster', context: region('us-east-1') }).decision).toBe('ExplicitDeny');
    expect(evaluate(referenceChain('ecommerce-dev'), { action: 'rds:DeleteDBCluster', context: region('us-east-1') }).decision).toBe('Allow');
  });

  it('denies the root user of a Runtime account, by the OU-level DenyRootUser', () => {
    const r = evaluate(prod, {
      action: 's3:ListBucket',
      context: { 'aws:RequestedRegion': 'us-east-1', 'aws:PrincipalArn': 'arn:aws:iam::222222222222:root' },
    });
    expect(r.decision).toBe('ExplicitDeny');
    expect(r.levels[1]).toMatchObject({ target: { name: 'Runtime' }, statement: { sid: 'DenyRootUser' } });
  });
});
