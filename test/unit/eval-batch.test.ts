// evaluateBatch is evaluate() made fast for the plan's impact lines: it must give the same
// decision for every (account, action) pair, on the whole corpus and on the reference org.
import { describe, expect, it } from 'vitest';
import { corpus } from '../fixtures/eval/index.js';
import { chainOf } from '../fixtures/eval/chain.js';
import { evaluate } from '../../controller/eval/evaluate.js';
import { DECISIONS, evaluateBatch } from '../../controller/eval/batch.js';
import { allChains, orgFromDesired } from '../../controller/eval/org.js';
import { loadCatalog, expandAction, actionExists, unknownActionReason } from '../../controller/eval/catalog.js';
import { loadManifests } from '../../controller/model/load.js';
import { buildDesired } from '../../controller/model/build.js';
import { computeImpact } from '../../controller/eval/impact.js';
import { lintPolicyActions, rcpProblems } from '../../controller/eval/lint.js';
import { mustParse } from '../../controller/eval/policy.js';

describe('evaluateBatch agrees with evaluate', () => {
  it('on every corpus case (same request, exact resource)', () => {
    let compared = 0;
    for (const c of Object.values(corpus).flat()) {
      if (c.resourceOutsideOrg) continue; // the batch takes resources to be in the caller's account
      const { action, ...request } = c.request;
      const batch = evaluateBatch([chainOf(c)], [action], { request, anyResource: false });
      expect(DECISIONS[batch.decisions[0][0]], c.name).toBe(evaluate(chainOf(c), c.request).decision);
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('on the reference organization, every account x 3,000 catalogue actions x 2 regions', async () => {
    const catalog = await loadCatalog();
    const built = buildDesired(loadManifests(['manifests/examples/reference']).resources, { namespace: 'default' });
    const chains = allChains(orgFromDesired(built.desired));
    const actions = [
      ...expandAction(catalog, 'ec2:*'),
      ...expandAction(catalog, 'iam:*'),
      ...expandAction(catalog, 'cloudtrail:*'),
      ...catalog.actions.filter((_, i) => i % 20 === 0),
    ].slice(0, 3000);
    for (const region of ['eu-west-1', 'us-east-1']) {
      const request = { context: { 'aws:RequestedRegion': region } };
      const batch = evaluateBatch(chains, actions, { request, rcpServices: catalog.rcpServices });
      chains.forEach((chain, i) => {
        actions.forEach((action, j) => {
          const single = evaluate(chain, { action, ...request }, { rcpServices: catalog.rcpServices }).decision;
          if (DECISIONS[batch.decisions[i][j]] !== single)
            expect.fail(`${chain.account.name} ${action} ${region}: batch ${DECISIONS[batch.decisions[i][j]]}, evaluate ${single}`);
        });
      });
      const prod = chains.findIndex((c) => c.account.name === 'ecommerce-prod');
      const at = (a: string) => DECISIONS[batch.decisions[prod][actions.indexOf(a)]];
      expect(at('ec2:RunInstances')).toBe(region === 'us-east-1' ? 'Allow' : 'ExplicitDeny');
      expect(at('iam:CreateRole')).toBe('Allow');
      expect(at('cloudtrail:StopLogging')).toBe('ExplicitDeny');
    }
  });

  it('anyResource: a deny on specific ARNs counts as "denied on some resource"', () => {
    const c = corpus.Resource.find((x) => x.name === 'exact bucket ARN');
    if (!c) throw new Error('corpus case missing');
    const some = evaluateBatch([chainOf(c)], ['s3:ListBucket', 'ec2:RunInstances']);
    expect(Array.from(some.decisions[0], (d) => DECISIONS[d])).toEqual(['ExplicitDeny', 'Allow']);
  });
});

describe('catalogue', () => {
  it('expands wildcards and knows which actions exist', async () => {
    const catalog = await loadCatalog();
    expect(catalog.actions.length).toBeGreaterThan(15_000);
    expect(expandAction(catalog, 'cloudtrail:Stop*')).toEqual(
      ['cloudtrail:StopEventDataStoreIngestion', 'cloudtrail:StopImport', 'cloudtrail:StopLogging'].filter((a) => actionExists(catalog, a)),
    );
    expect(expandAction(catalog, 'CloudTrail:stoplogging')).toEqual(['cloudtrail:StopLogging']);
    expect(actionExists(catalog, 'ec2:RunInstances')).toBe(true);
    expect(actionExists(catalog, 'ec2:RunInstancez')).toBe(false);
    expect(unknownActionReason(catalog, 'ec2:RunInstancez')).toBe('no ec2 action matches "ec2:RunInstancez"');
    expect(unknownActionReason(catalog, 'nosuchservice:Get*')).toBe('unknown service "nosuchservice"');
    expect(unknownActionReason(catalog, 'ec2:Describe*')).toBeUndefined();
    expect(catalog.rcpServices.has('s3')).toBe(true);
  });
});

describe('permission impact and action lint', () => {
  const reference = () => buildDesired(loadManifests(['manifests/examples/reference']).resources, { namespace: 'default' }).desired;

  it('detaching ProtectProductionData from dw-prod newly allows database deletion there, nowhere else', async () => {
    const catalog = await loadCatalog();
    const before = reference();
    const after = reference();
    after.policies['protect-production-data'].targets = [{ kind: 'account', ref: 'ecommerce-prod' }];
    const request = { context: { 'aws:RequestedRegion': 'us-east-1' } };
    const lines = computeImpact(allChains(orgFromDesired(before)), allChains(orgFromDesired(after)), catalog.actions, {
      request,
      rcpServices: catalog.rcpServices,
    });
    expect(lines.map((l) => l.account.name)).toEqual(['dw-prod']);
    expect(lines[0].newlyAllowed).toEqual(['dynamodb:DeleteTable', 'rds:DeleteDBCluster', 'rds:DeleteDBInstance', 'redshift:DeleteCluster']);
    expect(lines[0].newlyDenied).toEqual([]);
  });

  it('a deny of a whole service collapses back to "service:*"', async () => {
    const catalog = await loadCatalog();
    const before = reference();
    const after = reference();
    after.policies['protect-account'].content = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: ['kms:*', 'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail'], Resource: '*' }],
    });
    const lines = computeImpact(allChains(orgFromDesired(before)), allChains(orgFromDesired(after)), catalog.actions, {
      request: { context: { 'aws:RequestedRegion': 'us-east-1' } },
    });
    expect(lines).toHaveLength(10);
    expect(lines[0].newlyDenied).toEqual(['kms:*']);
    expect(lines[0].counts.denied).toBe(catalog.byService.get('kms')?.length);
    // ProtectAccount no longer denies leaving the organization or stopping Config.
    expect(lines[0].newlyAllowed).toEqual([
      'config:DeleteConfigurationRecorder',
      'config:DeleteDeliveryChannel',
      'config:StopConfigurationRecorder',
      'organizations:LeaveOrganization',
    ]);
  });

  it('lint: an Action entry that names no action, and a statement that can never match', async () => {
    const catalog = await loadCatalog();
    const policy = mustParse({
      Statement: [
        { Sid: 'Typos', Effect: 'Deny', Action: ['cloudtrail:StopLoging', 'nosuch:Thing'], Resource: '*' },
        { Sid: 'Fine', Effect: 'Deny', Action: ['ec2:Describe*', 's3:GetObjekt'], Resource: '*' },
        { Effect: 'Deny', NotAction: ['iam:Nope'], Resource: '*' },
      ],
    });
    expect(lintPolicyActions(policy, catalog)).toEqual([
      {
        field: 'Statement[0] (Typos).Action[0]',
        rule: 'unknown-action',
        message: 'no cloudtrail action matches "cloudtrail:StopLoging": this entry matches no action',
      },
      { field: 'Statement[0] (Typos).Action[1]', rule: 'unknown-action', message: 'unknown service "nosuch": this entry matches no action' },
      {
        field: 'Statement[0] (Typos).Action',
        rule: 'statement-never-matches',
        message: 'no entry of Action names an existing action: the statement can never match',
      },
      { field: 'Statement[1] (Fine).Action[1]', rule: 'unknown-action', message: 'no s3 action matches "s3:GetObjekt": this entry matches no action' },
    ]);
  });
});

describe('RCP syntax rules', () => {
  it('accepts RCPFullAWSAccess and Deny statements with Principal "*"', async () => {
    const catalog = await loadCatalog();
    expect(rcpProblems(mustParse({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }), catalog.rcpServices)).toEqual([]);
    expect(
      rcpProblems(mustParse({ Statement: [{ Effect: 'Deny', Principal: '*', Action: ['s3:*', 'kms:Decrypt'], Resource: '*' }] }), catalog.rcpServices),
    ).toEqual([]);
  });

  it('reports Allow statements, other principals and services without RCP support', async () => {
    const catalog = await loadCatalog();
    const p = mustParse({
      Statement: [
        { Sid: 'A', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' },
        { Sid: 'B', Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'ec2:RunInstances', Resource: '*' },
      ],
    });
    expect(rcpProblems(p, catalog.rcpServices).map((f) => [f.field, f.message])).toEqual([
      ['Statement[0] (A).Effect', 'RCPs support only Deny statements (besides RCPFullAWSAccess)'],
      ['Statement[1] (B).Principal', 'RCP statements must have Principal "*"'],
      ['Statement[1] (B).Action[0]', 'ec2 does not support RCPs: the entry never applies'],
    ]);
  });
});
