// `make bench` part: the plan's permission-impact step at 1,000 accounts with 10 changed SCPs,
// through the function the engine calls (computePlanImpact: simulate the plan on the snapshot,
// find changed chains, evaluate the catalogue in every region the policies name, group the
// accounts) and the renderers. Pure CPU, no moto: the live snapshot is built from the same
// synthetic organization as bench/run.ts, as if it had been applied.
//
//   npx tsx bench/plan-impact.ts [--accounts 1000] [--changed 10] [--seed 1] [--out FILE]
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ActualOrg } from '../controller/model/actual.js';
import { loadCatalog } from '../controller/eval/catalog.js';
import { changedChains, computePlanImpact, planChains } from '../controller/plan/impact.js';
import { lintLastAllow } from '../controller/plan/lint.js';
import type { Op, Plan } from '../controller/plan/operations.js';
import { renderJson, renderMarkdown, renderText } from '../controller/plan/render.js';
import { generateSyntheticOrg, SCP_TYPE, type SyntheticOrg } from '../test/support/synthetic-org.js';

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000' },
    changed: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});

const ROOT = 'r-bench';
const FULL = 'p-FullAWSAccess';
const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

/** The synthetic organization as read from AWS after a cold apply (FullAWSAccess on every target). */
function actualOf(org: SyntheticOrg): ActualOrg {
  const idOf = (ref: string) => (ref === 'root' ? ROOT : ref);
  const a: ActualOrg = {
    id: 'o-bench',
    arn: '',
    featureSet: 'ALL',
    managementAccountId: '100000000000',
    managementAccountEmail: 'mgmt@example.com',
    root: { id: ROOT, arn: '', name: 'Root', enabledPolicyTypes: [SCP_TYPE] },
    ous: {},
    accounts: {},
    policies: {},
    trustedServices: [],
    delegatedAdmins: [],
    readAt: new Date(0).toISOString(),
  };
  for (const ou of org.ous) a.ous[ou.ref] = { id: ou.ref, arn: '', name: ou.name, parentId: idOf(ou.parent) };
  org.accounts.forEach((acc, i) => {
    const id = String(200000000000 + i);
    a.accounts[id] = { id, arn: '', name: acc.name, email: acc.email, state: 'ACTIVE', parentId: idOf(acc.parent) };
  });
  const accountId = new Map(org.accounts.map((acc, i) => [acc.ref, String(200000000000 + i)]));
  a.policies[FULL] = {
    id: FULL,
    arn: '',
    name: 'FullAWSAccess',
    description: '',
    type: SCP_TYPE,
    awsManaged: true,
    content: ALLOW_ALL,
    targets: [ROOT, ...Object.keys(a.ous), ...Object.keys(a.accounts)],
  };
  for (const p of org.policies) {
    const targets = [...(p.targets.root ? [ROOT] : []), ...p.targets.organizationalUnits, ...p.targets.accounts.map((r) => accountId.get(r) ?? r)];
    a.policies[`p-${p.ref}`] = {
      id: `p-${p.ref}`,
      arn: '',
      name: p.name,
      description: p.description,
      type: SCP_TYPE,
      awsManaged: false,
      content: JSON.stringify(p.document),
      targets,
    };
  }
  return a;
}

/** The plan's ops for `n` edited guardrails (the two root guardrails first: the worst case, every account changes). */
function updates(org: SyntheticOrg, n: number): Op[] {
  return org.policies.slice(0, n).map((p, i): Op => {
    const doc = structuredClone(p.document);
    doc.Statement[0].Action = ['ec2:*', 's3:Delete*'];
    return {
      id: `op-${i + 1}`,
      deps: [],
      resource: `ServiceControlPolicy/${p.ref}`,
      summary: `update SCP ${p.name}: content`,
      op: 'UpdatePolicy',
      policyId: `p-${p.ref}`,
      content: JSON.stringify(doc),
    };
  });
}

const time = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const r = fn();
  return [r, Math.round(performance.now() - t)];
};
const cpu = <T>(fn: () => T): [T, number] => {
  const c = process.cpuUsage();
  const r = fn();
  const d = process.cpuUsage(c);
  return [r, Math.round((d.user + d.system) / 1000)];
};

async function main(): Promise<void> {
  const org = generateSyntheticOrg({ accounts: Number(args.accounts), seed: Number(args.seed) });
  const actual = actualOf(org);
  const ops = updates(org, Number(args.changed));
  const t0 = performance.now();
  const catalog = await loadCatalog();
  const catalogMs = Math.round(performance.now() - t0);
  const [chains, chainsMs] = time(() => planChains(actual, ops));
  const [changed, changedMs] = time(() => changedChains(chains.before, chains.after));
  const [impact, impactMs] = time(() => computePlanImpact(actual, ops, catalog));
  const [, impactCpuMs] = cpu(() => computePlanImpact(actual, ops, catalog));
  const [lint, lintMs] = time(() => lintLastAllow(actual, ops));
  const plan: Plan = { ops, blocked: [], unmanaged: [], warnings: [], drift: {}, impact, lint };
  const [text, textMs] = time(() => renderText(plan));
  const [md, mdMs] = time(() => renderMarkdown(plan));
  const [json, jsonMs] = time(() => renderJson(plan));
  const result = {
    accounts: Object.keys(actual.accounts).length,
    ous: org.ous.length,
    scps: org.policies.length + 1,
    changedPolicies: ops.length,
    actions: catalog.actions.length,
    changedAccounts: changed.after.length,
    // Accounts with the same policies at every level decide alike: the evaluator works per distinct chain.
    distinctChangedChains: new Set(changed.after.map((c) => c.levels.map((l) => l.scps.map((p) => p.id).join(',')).join('/'))).size,
    regionsEvaluated: impact?.evaluated.regions,
    groups: impact?.groups.length,
    accountsAffected: impact?.groups.reduce((n, g) => n + g.accounts.length, 0),
    lintFindings: lint.length,
    ms: {
      catalogLoadOncePerProcess: catalogMs,
      simulateAndChains: chainsMs,
      changedChains: changedMs,
      computePlanImpact: impactMs,
      computePlanImpactCpu: impactCpuMs,
      lintLastAllow: lintMs,
      renderText: textMs,
      renderMarkdown: mdMs,
      renderJson: jsonMs,
    },
    outputChars: { text: text.length, markdown: md.length, json: json.length },
    example: impact?.groups[0]
      ? {
          accounts: impact.groups[0].accounts.length,
          causes: impact.groups[0].causes,
          changes: impact.groups[0].changes.map((c) => ({ regions: c.regions, newlyDenied: c.newlyDenied.slice(0, 6), counts: c.counts })),
        }
      : null,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
    loadAverage: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(1))),
  };
  const out = JSON.stringify(result, null, 2);
  console.log(out);
  if (args.out) writeFileSync(args.out, `${out}\n`);
}

await main();
