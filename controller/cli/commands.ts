// The CLI commands: each loads manifests, runs the engine, prints for a person (or a machine)
// and returns an exit code. File and terminal I/O live here; the engine does the rest.
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import { API_VERSION, refKey, type AnyResource } from '../api/schemas.js';
import { createAwsClients, type AwsClients } from '../aws/clients.js';
import { UNLIMITED } from '../aws/middleware.js';
import { readOrganization, readTags } from '../aws/read-org.js';
import { loadManifests } from '../model/load.js';
import { buildDesired } from '../model/build.js';
import { validateAccess } from '../model/validate-access.js';
import { formatValidationError, type ValidationError } from '../model/desired.js';
import { importOrganization } from '../model/import.js';
import { renderText, renderMarkdown, renderJson } from '../plan/render.js';
import type { LintFinding, Plan } from '../plan/operations.js';
import { parseSavedPlan, savePlan, serializeSavedPlan, verifySavedPlan, type SavedPlan } from '../plan/saved.js';
import { planAll, prepare, reconcile, indexIds, type EngineEvent } from '../engine.js';
import { exitCodeFor, interruptOnSignals, interruptedSummary } from './interrupt.js';
import { FileWorkflowStore } from '../workflows/store.js';
import { renderTree } from '../status/tree.js';
import { EXIT } from './exit.js';
import { lintOffline } from '../plan/lint.js';
import { lintLine } from '../plan/render-impact.js';

export interface CommonOptions {
  filename?: string[];
  endpoint?: string;
  region: string;
  namespace: string;
  color: boolean;
  verbose?: boolean;
}

/** The operator's guards (--max-delete-fraction, --max-closures-per-run). */
export interface GuardOptions {
  maxDeleteFraction?: number;
  maxClosuresPerRun?: number;
}
const guardsOf = (o: GuardOptions) => ({ maxDeleteFraction: o.maxDeleteFraction, maxAccountClosuresPerRun: o.maxClosuresPerRun });

const useColor = (o: CommonOptions) => o.color && process.stdout.isTTY === true && !process.env.NO_COLOR;
const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

/** A local emulator has no API quotas: pacing calls for it would only make runs slow. */
export const isLoopback = (endpoint: string | undefined): boolean =>
  !!endpoint && /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(endpoint);

function clientsFor(o: CommonOptions): AwsClients {
  const endpoint = o.endpoint ?? process.env.AWS_ENDPOINT_URL;
  return createAwsClients({ endpoint, region: o.region, rateLimits: isLoopback(endpoint) ? UNLIMITED : undefined });
}

/** Blocked resources a person must act on (a spec to fix, a deletion to confirm): exit 1. */
const mustAct = (plan: Plan) => plan.blocked.filter((b) => b.reason !== 'Paused' && b.reason !== 'QuotaGuard');
/** Blocked because the spec cannot be applied as written: like a validation error, nothing is applied. */
const specBlocked = (plan: Plan) => plan.blocked.filter((b) => b.reason === 'InvalidSpec' || b.reason === 'DependencyInvalid');

function printErrors(errors: ValidationError[]): void {
  err(`${errors.length} validation error${errors.length === 1 ? '' : 's'}:`);
  for (const e of errors) err(`  ${formatValidationError(e)}`);
}

function reportCalls(o: CommonOptions, clients: AwsClients, started: number): void {
  if (!o.verbose) return;
  const c = clients.calls;
  err(`aws: ${c.total} calls (${c.writes()} writes) in ${Date.now() - started} ms: ${JSON.stringify(c.toJSON())}`);
}

/** Loads manifests; a file that does not load stops everything, since a missing resource reads as a deletion. */
function load(o: CommonOptions): { resources: AnyResource[]; errors: ValidationError[] } {
  const r = loadManifests(o.filename ?? []);
  if (r.resources.length === 0 && r.errors.length === 0) {
    r.errors.push({ resource: (o.filename ?? []).join(','), field: '-f', rule: 'no-manifests', message: 'no orgplane manifests found (*.yaml / *.yml)' });
  }
  return r;
}

/** With load errors nothing is planned, but every error the files have is shown at once. */
function offlineErrors(loaded: { resources: AnyResource[]; errors: ValidationError[] }, o: CommonOptions): ValidationError[] {
  return [...loaded.errors, ...buildDesired(loaded.resources, { namespace: o.namespace, loadErrors: loaded.errors }).errors];
}

async function withClients<T>(o: CommonOptions, fn: (c: AwsClients) => Promise<T>): Promise<T> {
  const clients = clientsFor(o);
  const started = Date.now();
  try {
    return await fn(clients);
  } finally {
    reportCalls(o, clients, started);
    clients.destroy();
  }
}

/** Policy lint findings: warnings, or errors that fail the command under --strict. */
function printLint(lint: LintFinding[], strict: boolean | undefined): void {
  if (lint.length === 0) return;
  err(`${lint.length} policy lint ${strict ? 'error' : 'warning'}${lint.length === 1 ? '' : 's'}${strict ? ' (--strict)' : ''}:`);
  for (const f of lint) err(`  ${lintLine(f)}`);
}

export async function runValidate(o: CommonOptions & { output: string; strict?: boolean }): Promise<number> {
  const { resources, errors } = load(o);
  const built = buildDesired(resources, { namespace: o.namespace, loadErrors: errors });
  const all = [...errors, ...built.errors, ...validateAccess(built.desired, {})];
  const lint = await lintOffline(built.desired);
  const failed = all.length > 0 || (o.strict === true && lint.length > 0);
  if (o.output === 'json') {
    out(JSON.stringify({ valid: !failed, resources: resources.length, errors: all, lint }, null, 2));
  } else {
    if (all.length) printErrors(all);
    // Lint reads a graph that validates: with errors, the errors are what to fix first.
    else printLint(lint, o.strict);
    if (!failed) out(`${resources.length} resources valid.`);
  }
  return failed ? EXIT.error : EXIT.ok;
}

export interface PlanOptions extends CommonOptions, GuardOptions {
  output: 'text' | 'json' | 'markdown';
  state: string;
  /** Write the plan here for `apply --plan` (only a plan that can be applied as a whole). */
  out?: string;
  /** Policy lint findings are errors. */
  strict?: boolean;
}

export async function runPlan(o: PlanOptions): Promise<number> {
  const loaded = load(o);
  if (loaded.errors.length) {
    printErrors(offlineErrors(loaded, o));
    return EXIT.error;
  }
  return withClients(o, async (clients) => {
    // The same plan apply would show: stored workflows appear as resume ops or cancellation warnings.
    const p = await prepare(loaded.resources, { clients, namespace: o.namespace, workflowStore: new FileWorkflowStore(o.state), guards: guardsOf(o) });
    if (p.errors.length) printErrors(p.errors);
    if (o.output === 'json') out(renderJson(p.plan));
    else if (o.output === 'markdown') out(renderMarkdown(p.plan));
    else out(renderText(p.plan, { color: useColor(o) }));
    if (o.strict && p.plan.lint?.length) {
      printLint(p.plan.lint, true);
      return EXIT.error;
    }
    // Save exactly what apply would accept: apply refuses invalid or spec-blocked manifest sets.
    const appliable = p.errors.length === 0 && specBlocked(p.plan).length === 0;
    if (o.out && appliable) await writeSavedPlan(o.out, savePlan(p.plan, { resources: loaded.resources, actual: p.actual, namespace: o.namespace }));
    else if (o.out) err(`Plan not saved to ${o.out}: apply would refuse it (see the errors above).`);
    if (p.errors.length || mustAct(p.plan).length) return EXIT.error;
    return p.plan.ops.length ? EXIT.changes : EXIT.ok;
  });
}

async function writeSavedPlan(file: string, saved: SavedPlan): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, serializeSavedPlan(saved));
  err(`Saved the plan to ${file}: orgplane apply -f ... --plan ${file} applies exactly these ${saved.plan.ops.length} changes, if nothing changed meanwhile.`);
}

/** Reads and validates a plan file before any AWS call; undefined after printing why it is unusable. */
async function readSavedPlan(file: string): Promise<SavedPlan | undefined> {
  try {
    return parseSavedPlan(await readFile(file, 'utf8'), file);
  } catch (e) {
    err(`orgplane: ${e instanceof Error ? e.message : String(e)}`);
    err('Nothing was applied.');
    return undefined;
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

function eventLine(e: EngineEvent, color: boolean): string {
  const mark = e.type === 'Normal' ? '✓' : '✗';
  const paint = color ? (e.type === 'Normal' ? '\x1b[32m' : '\x1b[31m') : '';
  return `${paint}${mark}${color ? '\x1b[0m' : ''} ${e.resource || 'Organization'}: ${e.reason}: ${e.message}`;
}

export interface ApplyOptions extends CommonOptions, GuardOptions {
  /** Also apply org-wide ops (op risk 'org-wide'). */
  allowOrgWide?: boolean;
  autoApprove?: boolean;
  observeOnly?: boolean;
  approveMigration?: string[];
  concurrency: number;
  state: string;
  /** A file `orgplane plan --out` wrote: applied as is (it is the approval), or refused. */
  plan?: string;
  /** Refuse to apply when policy lint finds anything. */
  strict?: boolean;
}

export async function runApply(o: ApplyOptions): Promise<number> {
  const loaded = load(o);
  if (loaded.errors.length) {
    printErrors(offlineErrors(loaded, o));
    return EXIT.error;
  }
  const saved = o.plan ? await readSavedPlan(o.plan) : undefined;
  if (o.plan && !saved) return EXIT.error;
  const color = useColor(o);
  return withClients(o, async (clients) => {
    const workflowStore = new FileWorkflowStore(o.state);
    // Nothing runs before confirmation: stored workflows only enter the plan (as resume ops).
    const prepared = await prepare(loaded.resources, { clients, namespace: o.namespace, workflowStore, guards: guardsOf(o) });
    if (prepared.errors.length) {
      printErrors(prepared.errors);
      err('Nothing was applied: fix the errors above (orgplane applies a manifest set whole or not at all).');
      return EXIT.error;
    }
    if (saved && o.plan && !savedPlanHolds(saved, o.plan, { ...prepared, resources: loaded.resources, namespace: o.namespace })) return EXIT.error;
    out(renderText(prepared.plan, { color }));
    if (o.strict && prepared.plan.lint?.length) {
      printLint(prepared.plan.lint, true);
      err('Nothing was applied: --strict makes policy lint findings errors.');
      return EXIT.error;
    }
    if (specBlocked(prepared.plan).length) {
      err('Nothing was applied: the blocked resources above cannot be applied as written (orgplane applies a manifest set whole or not at all).');
      return EXIT.error;
    }
    // Cancelling stored workflows the plan does not ask for is a change too (to the state file), confirmed like ops.
    const nothingToDo = prepared.plan.ops.length === 0 && prepared.cancelled.length === 0;
    if (nothingToDo || o.observeOnly) {
      if (o.observeOnly && prepared.plan.ops.length) out('Observe-only: nothing was written.');
      out('');
      out(renderTree(prepared.actual, treeMarks(prepared, o.namespace), { color }));
      if (mustAct(prepared.plan).length) return EXIT.error;
      return prepared.plan.ops.length ? EXIT.changes : EXIT.ok;
    }
    warnOrgWide(prepared.plan, o.allowOrgWide === true);
    if (saved) out(`\nApplying the saved plan ${o.plan}: the manifests and the organization are as it read them.`);
    else if (!(await confirmed(o, prepared))) return process.stdin.isTTY ? EXIT.ok : EXIT.error;
    const interrupt = interruptOnSignals(err);
    let result: Awaited<ReturnType<typeof reconcile>>;
    try {
      result = await reconcile(loaded.resources, {
        clients,
        namespace: o.namespace,
        workflowStore,
        apply: true,
        concurrency: o.concurrency,
        approvedMigrations: new Set((o.approveMigration ?? []).map((n) => refKey('Account', n))),
        prepared,
        guards: guardsOf(o),
        allowOrgWide: () => o.allowOrgWide === true,
        onEvent: (e) => out(eventLine(e, color)),
        signal: interrupt.signal,
      });
    } catch (e) {
      const sig = interrupt.received();
      if (!sig) throw e;
      err(interruptedSummary(e, o.state));
      return exitCodeFor(sig);
    } finally {
      interrupt.dispose();
    }
    return reportApplied(result, o.namespace, color);
  });
}

/** Org-wide ops need --allow-org-wide: say so before asking, so nobody confirms them by mistake. */
function warnOrgWide(plan: Plan, allowed: boolean): void {
  const orgWide = plan.ops.filter((op) => op.risk === 'org-wide');
  if (!orgWide.length || allowed) return;
  err(`${orgWide.length} org-wide change(s) will not be applied without --allow-org-wide (they and what depends on them are reported as blocked):`);
  for (const op of orgWide) err(`  ! ${op.summary}`);
}

/** A saved plan applies only to the inputs it was made from; otherwise say what differs, write nothing. */
function savedPlanHolds(saved: SavedPlan, file: string, now: Parameters<typeof verifySavedPlan>[1]): boolean {
  const problems = verifySavedPlan(saved, now);
  if (problems.length === 0) return true;
  err(`Refusing to apply ${file}:`);
  for (const p of problems) err(`  ${p}`);
  err('Nothing was applied: plan again (orgplane plan --out) and review the new plan.');
  return false;
}

/** Asks a person (unless --auto-approve); without a terminal there is nobody to ask. */
async function confirmed(o: ApplyOptions, p: { plan: Plan; cancelled: readonly unknown[] }): Promise<boolean> {
  if (o.autoApprove) return true;
  if (!process.stdin.isTTY) {
    err('apply needs confirmation: stdin is not a terminal, pass --auto-approve to apply without asking (or --plan FILE to apply a saved plan)');
    return false;
  }
  const cancels = p.cancelled.length ? ` and cancel ${p.cancelled.length} stored workflow(s)` : '';
  if (await confirm(`\nApply these ${p.plan.ops.length} changes${cancels}? Only 'yes' will be accepted: `)) return true;
  out('Apply cancelled.');
  return false;
}

function reportApplied(result: Awaited<ReturnType<typeof reconcile>>, namespace: string, color: boolean): number {
  const failed = result.applied.filter((r) => r.status === 'failed').length;
  const skipped = result.applied.filter((r) => r.status === 'skipped').length;
  const ok = result.applied.filter((r) => r.status === 'succeeded').length;
  out('');
  out(`Apply ${failed ? 'finished with errors' : 'complete'}: ${ok} succeeded, ${failed} failed, ${skipped} skipped.`);
  if (result.pending.ops.length) {
    out('Still pending (the next apply retries these):');
    out(renderText(result.pending, { color }));
  }
  out('');
  out(renderTree(result.actual, treeMarks({ ...result, plan: result.pending }, namespace), { color }));
  if (failed || mustAct(result.pending).length) return EXIT.error;
  return result.pending.ops.length ? EXIT.changes : EXIT.ok;
}

function treeMarks(
  p: { desired: Parameters<typeof indexIds>[0]; actual: Parameters<typeof indexIds>[1]; plan: { drift: Record<string, string[]> } },
  namespace: string,
) {
  const ids = indexIds(p.desired, p.actual, namespace);
  const managed = new Map<string, string>();
  const drift = new Map<string, string[]>();
  for (const [key, id] of Object.entries(ids)) {
    managed.set(id, key);
    if (p.plan.drift[key]?.length) drift.set(id, p.plan.drift[key]);
  }
  return { managed, drift };
}

export async function runStatus(o: CommonOptions): Promise<number> {
  const loaded = load(o);
  if (loaded.errors.length) {
    printErrors(offlineErrors(loaded, o));
    return EXIT.error;
  }
  return withClients(o, async (clients) => {
    const p = await planAll(loaded.resources, clients, o.namespace);
    if (p.errors.length) printErrors(p.errors);
    out(renderTree(p.actual, treeMarks(p, o.namespace), { color: useColor(o) }));
    const pending = p.plan.ops.length;
    out('');
    out(pending ? `${pending} change(s) pending: run orgplane plan for details.` : 'In sync: the organization matches the manifests.');
    if (p.plan.unmanaged.length) out(`${p.plan.unmanaged.length} unmanaged object(s): ${p.plan.unmanaged.join(', ')}`);
    if (p.errors.length || mustAct(p.plan).length) return EXIT.error;
    return pending ? EXIT.changes : EXIT.ok;
  });
}

const exists = (f: string) =>
  access(f).then(
    () => true,
    () => false,
  );

export async function runImport(o: CommonOptions & { outputDir: string; force?: boolean }): Promise<number> {
  return withClients(o, async (clients) => {
    const actual = await readOrganization(clients);
    // Import is a one-off: read every account's tags so they land in the manifests.
    const tags = await readTags(clients, Object.keys(actual.accounts));
    for (const [id, t] of Object.entries(tags)) actual.accounts[id].tags = t;
    const resources = importOrganization(actual, { namespace: o.namespace === 'default' ? undefined : o.namespace });
    const files: Record<string, AnyResource[]> = { 'organization.yaml': [], 'ous.yaml': [], 'accounts.yaml': [], 'scps.yaml': [] };
    // rcps.yaml and management-policies.yaml only when the organization has such policies.
    const fileOf: Record<string, string> = {
      Organization: 'organization.yaml',
      OrganizationalUnit: 'ous.yaml',
      Account: 'accounts.yaml',
      ServiceControlPolicy: 'scps.yaml',
      ResourceControlPolicy: 'rcps.yaml',
      ManagementPolicy: 'management-policies.yaml',
    };
    for (const r of resources) (files[fileOf[r.kind]] ??= []).push(r);
    await mkdir(o.outputDir, { recursive: true });
    for (const name of Object.keys(files)) {
      const f = path.join(o.outputDir, name);
      if (!o.force && (await exists(f))) {
        err(`${f} exists: pass --force to overwrite`);
        return EXIT.error;
      }
    }
    const header =
      `# Imported by orgplane from organization ${actual.id} on ${new Date().toISOString().slice(0, 10)}.\n` +
      '# Every object is adopted by its AWS id (deletionPolicy Retain): applying these changes nothing.\n';
    for (const [name, list] of Object.entries(files)) {
      const body = list.map((r) => stringify({ apiVersion: API_VERSION, kind: r.kind, metadata: r.metadata, spec: r.spec }, { lineWidth: 0 })).join('---\n');
      await writeFile(path.join(o.outputDir, name), header + body);
    }
    out(
      `Wrote ${resources.length} resources to ${o.outputDir}: ` +
        Object.entries(files)
          .map(([n, l]) => `${n} (${l.length})`)
          .join(', '),
    );
    out(`Next: orgplane plan -f ${o.outputDir}   # expect "No changes"`);
    return EXIT.ok;
  });
}
