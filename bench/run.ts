// `make bench`: API calls, wall time and memory of orgplane's reconcile on synthetic organizations
// of several sizes, side by side with a per-resource baseline, against a moto it starts itself.
//
//   npx tsx bench/run.ts [--sizes 100,1000] [--seed 1] [--cold-max 1000] [--tps 0] [--out FILE]
//
// For each size: (a) cold reconcile from an empty organization (plan + apply of every manifest);
// (b) no-op reconcile of the result (read + plan, nothing to write), cold and as a long-running
// controller with its tag cache warm; (c) two one-line changes (an
// account moved to another OU, one SCP statement changed); and the baseline: one describe per
// object the way per-resource controllers and plan-time refreshes read. Sizes above --cold-max
// are loaded into moto with the SDK directly instead of a cold reconcile (moto itself slows down
// quadratically with the number of accounts; see bench/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AnyResource } from '../controller/api/schemas.js';
import { createAwsClients, type AwsClients } from '../controller/aws/clients.js';
import { reconcile, type ReconcileResult } from '../controller/engine.js';
import type { ActualOrg } from '../controller/model/actual.js';
import { MemoryWorkflowStore } from '../controller/workflows/store.js';
import { startMoto, createOrganization, TEST_CREDENTIALS, TEST_REGION } from '../test/support/moto.js';
import { generateSyntheticOrg, loadIntoMoto, oneLineChange, syntheticManifests } from '../test/support/synthetic-org.js';
import { perResourceRefresh, type KnownIds } from './baseline.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000' },
    seed: { type: 'string', default: '1' },
    'cold-max': { type: 'string', default: '1000' },
    tps: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
});
const sizes = args.sizes
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const seed = Number(args.seed);
const coldMax = Number(args['cold-max']);
const tps = Number(args.tps);
const concurrency = Number(args.concurrency);
const NAMESPACE = 'bench';
/** orgplane's default client-side Organizations limit (aws/middleware.ts): what real AWS paces reads at. */
const ORG_TPS_DEFAULT = 5;

interface Phase {
  name: string;
  calls: number;
  writes: number;
  byOperation: Record<string, number>;
  wallMs: number;
  peakRssMb: number;
  /** Plan ops found, and ops still pending after the run. */
  ops?: number;
  pending?: number;
  failed?: number;
  note?: string;
}

interface SizeResult {
  accounts: number;
  ous: number;
  policies: number;
  manifests: number;
  load?: { wallMs: number; calls: Record<string, number> };
  phases: Phase[];
  ratios: Record<string, number>;
}

/** Samples RSS while fn runs; returns its peak in MB. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakRssMb: Math.round(peak / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

function newClients(endpoint: string, tagCacheTtlMs?: number): AwsClients {
  // tps 0 = no client-side pacing: wall time is then moto's speed, and the time at AWS's pace is
  // derived from the call count (calls / 5 per second for Organizations).
  const limit = tps > 0 ? { tps, burst: tps, maxConcurrent: 10 } : { tps: 0, burst: 0, maxConcurrent: 10 };
  return createAwsClients({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    rateLimits: { Organizations: limit, IAM: limit, SSOAdmin: limit, STS: limit, Identitystore: limit },
    tagCacheTtlMs,
  });
}

async function measure(
  name: string,
  endpoint: string,
  fn: (c: AwsClients) => Promise<Partial<Phase> | void>,
  opts: { tagCacheTtlMs?: number; warm?: (c: AwsClients) => Promise<unknown> } = {},
): Promise<Phase> {
  const clients = newClients(endpoint, opts.tagCacheTtlMs);
  // A long-running controller's state before the measured run (not counted).
  if (opts.warm) {
    await opts.warm(clients);
    clients.calls.reset();
  }
  const t0 = Date.now();
  try {
    const { value, peakRssMb } = await withPeakRss(() => fn(clients));
    return {
      name,
      calls: clients.calls.total,
      writes: clients.calls.writes(),
      byOperation: clients.calls.toJSON(),
      wallMs: Date.now() - t0,
      peakRssMb,
      ...(value ?? {}),
    };
  } finally {
    clients.destroy();
  }
}

async function runReconcile(clients: AwsClients, resources: AnyResource[]): Promise<{ r: ReconcileResult; phase: Partial<Phase> }> {
  const r = await reconcile(resources, { clients, namespace: NAMESPACE, workflowStore: new MemoryWorkflowStore(), apply: true, concurrency });
  if (r.errors.length)
    throw new Error(
      `manifests invalid: ${r.errors
        .slice(0, 3)
        .map((e) => `${e.resource} ${e.field} ${e.message}`)
        .join('; ')}`,
    );
  return {
    r,
    phase: { ops: r.plan.ops.length, pending: r.pending.ops.length, failed: r.applied.filter((a) => a.status === 'failed').length },
  };
}

/** What a per-resource tool would hold in its state for a fully managed org: every object's id. */
function knownIds(actual: ActualOrg): KnownIds {
  return {
    ous: Object.keys(actual.ous),
    accounts: Object.keys(actual.accounts).filter((id) => id !== actual.managementAccountId),
    policies: Object.values(actual.policies)
      .filter((p) => !p.awsManaged)
      .map((p) => p.id),
  };
}

async function benchSize(endpoint: string, accounts: number): Promise<SizeResult> {
  await createOrganization(endpoint);
  const org = generateSyntheticOrg({ accounts, seed, namespace: NAMESPACE });
  const resources = syntheticManifests(org);
  const result: SizeResult = { accounts, ous: org.ous.length, policies: org.policies.length, manifests: resources.length, phases: [], ratios: {} };
  const log = (s: string) => process.stderr.write(`[${accounts}] ${s}\n`);

  if (accounts <= coldMax) {
    log('cold reconcile from an empty organization...');
    result.phases.push(await measure('cold reconcile (plan + apply)', endpoint, async (c) => (await runReconcile(c, resources)).phase));
  } else {
    log('loading into moto with the SDK (cold reconcile skipped above --cold-max)...');
    const t0 = Date.now();
    const loaded = await loadIntoMoto(org, endpoint, { concurrency, onProgress: log });
    result.load = { wallMs: Date.now() - t0, calls: loaded.calls };
  }

  log('no-op reconcile...');
  let actual: ActualOrg | undefined;
  result.phases.push(
    await measure('no-op reconcile (read + plan)', endpoint, async (c) => {
      const { r, phase } = await runReconcile(c, resources);
      actual = r.actual;
      if (r.plan.ops.length)
        phase.note = `not a no-op: ${r.plan.ops
          .slice(0, 3)
          .map((o) => o.summary)
          .join('; ')}`;
      return phase;
    }),
  );

  log('controller no-op (tag cache warm)...');
  result.phases.push(
    await measure('controller no-op (tag cache warm)', endpoint, async (c) => (await runReconcile(c, resources)).phase, {
      tagCacheTtlMs: 30 * 60_000,
      warm: (c) => runReconcile(c, resources),
    }),
  );

  log('baseline: per-resource refresh...');
  if (!actual) throw new Error('no snapshot from the no-op reconcile');
  const known = knownIds(actual);
  result.phases.push(
    await measure('baseline: per-resource refresh', endpoint, async (c) => {
      await perResourceRefresh(c, known);
      return { note: `${known.ous.length} OUs, ${known.accounts.length} accounts, ${known.policies.length} SCPs` };
    }),
  );

  log('one-line change: move an account...');
  const move = oneLineChange(org, 'move-account');
  result.phases.push(
    await measure('one-line change: move account', endpoint, async (c) => ({
      ...(await runReconcile(c, move.resources)).phase,
      note: `${move.resource} ${move.description}`,
    })),
  );
  log('one-line change: SCP statement...');
  const scp = oneLineChange(org, 'scp-statement', move.resources);
  result.phases.push(
    await measure('one-line change: SCP statement', endpoint, async (c) => ({
      ...(await runReconcile(c, scp.resources)).phase,
      note: `${scp.resource} ${scp.description}`,
    })),
  );

  const by = (n: string) => result.phases.find((p) => p.name.startsWith(n));
  const noop = by('no-op');
  const base = by('baseline');
  if (noop && base && noop.calls) {
    result.ratios['baseline calls / no-op calls'] = round(base.calls / noop.calls);
    result.ratios['baseline wall / no-op wall'] = round(base.wallMs / Math.max(1, noop.wallMs));
  }
  return result;
}

const round = (x: number) => Math.round(x * 10) / 10;
const pad = (s: string | number, w: number, right = false) => (right ? String(s).padEnd(w) : String(s).padStart(w));

function table(results: SizeResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push('');
    lines.push(`## ${r.accounts} accounts, ${r.ous} OUs (5 levels), ${r.policies} SCPs (${r.manifests} manifests)`);
    if (r.load)
      lines.push(`loaded into moto with the SDK in ${(r.load.wallMs / 1000).toFixed(1)} s (${Object.values(r.load.calls).reduce((s, x) => s + x, 0)} calls)`);
    lines.push(
      `${pad('phase', 34, true)} ${pad('calls', 7)} ${pad('writes', 7)} ${pad('wall s', 8)} ${pad(`@${ORG_TPS_DEFAULT}tps s`, 9)} ${pad('rss MB', 7)} ${pad('ops', 6)} ${pad('pending', 7)}`,
    );
    for (const p of r.phases) {
      lines.push(
        `${pad(p.name, 34, true)} ${pad(p.calls, 7)} ${pad(p.writes, 7)} ${pad((p.wallMs / 1000).toFixed(1), 8)} ${pad((p.calls / ORG_TPS_DEFAULT).toFixed(0), 9)} ${pad(p.peakRssMb, 7)} ${pad(p.ops ?? '-', 6)} ${pad(p.pending ?? '-', 7)}`,
      );
    }
    for (const p of r.phases) {
      lines.push(
        `  ${p.name}: ${Object.entries(p.byOperation)
          .map(([k, v]) => `${k.replace(/^Organizations:/, '')}=${v}`)
          .join(' ')}${p.note ? `  [${p.note}]` : ''}`,
      );
    }
    for (const [k, v] of Object.entries(r.ratios)) lines.push(`  ratio ${k}: ${v}x`);
  }
  return lines.join('\n');
}

const results: SizeResult[] = [];
const report = {
  date: new Date().toISOString(),
  node: process.version,
  seed,
  clientRateLimitTps: tps || 'unlimited',
  concurrency,
  results,
};
const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
const out = args.out ?? path.join(outDir, `${report.date.slice(0, 10)}.json`);
for (const n of sizes) {
  // A fresh moto per size: resetting one that holds thousands of accounts' backends is slower
  // than starting a new one.
  const moto = await startMoto();
  try {
    const r = await benchSize(moto.endpoint, n);
    results.push(r);
    process.stdout.write(`${table([r])}\n`);
  } finally {
    await moto.stop();
  }
  // Written after every size, so a long run that is stopped keeps what it measured.
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
}
process.stdout.write(`\nresults: ${path.relative(process.cwd(), out)}\n`);
