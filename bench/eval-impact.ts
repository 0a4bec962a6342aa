// Micro-benchmark of the evaluator for the plan's permission-impact step: a synthetic
// organization (1,000 accounts, ~100 OUs in 5 levels, 50 guardrail SCPs + FullAWSAccess), 10 SCPs
// changed, every account evaluated against every action of the catalogue before and after.
// Pure CPU, no AWS: `npx tsx bench/eval-impact.ts [--accounts 1000] [--changed 10] [--seed 1]`.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { API_VERSION, type AnyResource } from '../controller/api/schemas.js';
import { buildDesired } from '../controller/model/build.js';
import { allChains, orgFromDesired, type Chain } from '../controller/eval/org.js';
import { evaluateBatch, ALLOW, type BatchResult } from '../controller/eval/batch.js';
import { evaluate } from '../controller/eval/evaluate.js';
import { computeImpact } from '../controller/eval/impact.js';
import { loadCatalog } from '../controller/eval/catalog.js';
import { generateSyntheticOrg, syntheticManifests } from '../test/support/synthetic-org.js';

const { values: args } = parseArgs({
  options: { accounts: { type: 'string', default: '1000' }, changed: { type: 'string', default: '10' }, seed: { type: 'string', default: '1' } },
});
const REQUEST = { context: { 'aws:RequestedRegion': 'us-east-1', 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/Deployer' } };

const time = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
};
/** CPU time (user + system) of fn: on a shared machine wall time mostly measures the neighbours. */
const cpu = <T>(fn: () => T): [T, number] => {
  const c = process.cpuUsage();
  const r = fn();
  const d = process.cpuUsage(c);
  return [r, (d.user + d.system) / 1000];
};
const fullAccess: AnyResource = {
  apiVersion: API_VERSION,
  kind: 'ServiceControlPolicy',
  metadata: { name: 'full-aws-access' },
  spec: { name: 'FullAWSAccess', id: 'p-FullAWSAccess', awsManaged: true, targets: { root: true } },
};

function chainsOf(resources: AnyResource[]): Chain[] {
  const built = buildDesired(resources, { namespace: 'default' });
  if (built.errors.length) throw new Error(built.errors.map((e) => e.message).join('; '));
  return allChains(orgFromDesired(built.desired));
}

/** The same manifests with `n` guardrails changed: their first Deny now covers all of EC2 and S3 deletes. */
function changePolicies(resources: AnyResource[], n: number): AnyResource[] {
  const copy = structuredClone(resources);
  const scps = copy.filter((r) => r.kind === 'ServiceControlPolicy' && r.metadata.name !== 'full-aws-access');
  for (const r of scps.slice(0, n)) {
    const doc = (r.spec as { document: { Statement: Record<string, unknown>[] } }).document;
    doc.Statement[0].Action = ['ec2:*', 's3:Delete*'];
  }
  return copy;
}

function diff(before: BatchResult, after: BatchResult): { accounts: number; newlyDenied: number; newlyAllowed: number } {
  let accounts = 0,
    newlyDenied = 0,
    newlyAllowed = 0;
  before.decisions.forEach((b, i) => {
    const a = after.decisions[i];
    let changed = false;
    for (let j = 0; j < b.length; j++) {
      if (b[j] === a[j]) continue;
      changed = true;
      if (a[j] === ALLOW) newlyAllowed++;
      else if (b[j] === ALLOW) newlyDenied++;
    }
    if (changed) accounts++;
  });
  return { accounts, newlyDenied, newlyAllowed };
}

async function main(): Promise<void> {
  const org = generateSyntheticOrg({ accounts: Number(args.accounts), seed: Number(args.seed) });
  const base = [...syntheticManifests(org), fullAccess];
  const [catalog, catalogMs] = await (async () => {
    const t = performance.now();
    const c = await loadCatalog();
    return [c, performance.now() - t] as const;
  })();
  const [[beforeChains, afterChains], buildMs] = time(() => [chainsOf(base), chainsOf(changePolicies(base, Number(args.changed)))]);
  const actions = catalog.actions;
  const [before, beforeMs] = time(() => evaluateBatch(beforeChains, actions, { request: REQUEST, rcpServices: catalog.rcpServices }));
  const [after, afterMs] = time(() => evaluateBatch(afterChains, actions, { request: REQUEST, rcpServices: catalog.rcpServices }));
  const [impact, diffMs] = time(() => diff(before, after));
  // What the plan step will call: only accounts whose chain changed are evaluated, then summarised.
  const [lines, impactMs] = time(() => computeImpact(beforeChains, afterChains, actions, { request: REQUEST, rcpServices: catalog.rcpServices }));
  const [, impactCpuMs] = cpu(() => computeImpact(beforeChains, afterChains, actions, { request: REQUEST, rcpServices: catalog.rcpServices }));
  // The one-request path, for comparison: evaluate() for every account on a sample of actions.
  const sample = actions.slice(0, 200);
  const [, singleMs] = time(() => {
    for (const c of beforeChains) for (const action of sample) evaluate(c, { action, ...REQUEST });
  });
  const uniqueChains = new Set(beforeChains.map((c) => c.levels.map((l) => l.scps.map((p) => p.id).join(',')).join(';'))).size;
  const result = {
    accounts: beforeChains.length,
    ous: org.ous.length,
    scps: org.policies.length + 1,
    changedPolicies: Number(args.changed),
    actions: actions.length,
    pairsPerSide: beforeChains.length * actions.length,
    uniqueChains,
    ms: {
      catalogLoad: Math.round(catalogMs),
      buildOrgs: Math.round(buildMs),
      batchBefore: Math.round(beforeMs),
      batchAfter: Math.round(afterMs),
      diff: Math.round(diffMs),
      fullBeforeAfterDiff: Math.round(beforeMs + afterMs + diffMs),
      computeImpact: Math.round(impactMs),
      computeImpactCpu: Math.round(impactCpuMs),
      singleEvaluatePerRequestUs: Number(((singleMs * 1000) / (beforeChains.length * sample.length)).toFixed(2)),
      singleEvaluateExtrapolatedFull: Math.round((singleMs / sample.length) * actions.length),
    },
    impact,
    computeImpact: {
      accountsReported: lines.length,
      example: lines[0]
        ? {
            account: lines[0].account.name,
            newlyDenied: lines[0].newlyDenied.slice(0, 5),
            newlyAllowed: lines[0].newlyAllowed.slice(0, 5),
            counts: lines[0].counts,
          }
        : null,
    },
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  };
  console.log(JSON.stringify(result, null, 2));
}

await main();
