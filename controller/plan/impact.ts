// Permission impact of a plan: for every account whose SCP/RCP chain the plan changes (policy
// document update, attach/detach, account move, OU re-creation), which of the catalogue's actions
// become denied or allowed, per service ("ec2:*" when a whole service flips). "Before" is the
// live snapshot, "after" is the snapshot with the plan applied (simulate.ts), so the lines say
// what `apply` would do. Cost: only changed chains are evaluated (evaluateBatch shares levels and
// identical chains), once per region a changed policy names; accounts with the same outcome are
// reported together so a 1,000-account change stays a few lines.
import type { ActualOrg } from '../model/actual.js';
import { sameData } from '../model/json-data.js';
import { loadCatalog, type Catalog } from '../eval/catalog.js';
import { allChains, orgFromActual, type Chain } from '../eval/org.js';
import { chainSignature, collapse, serviceCounts } from '../eval/impact.js';
import { ALLOW, evaluateBatch } from '../eval/batch.js';
import { serviceOf } from '../eval/exemptions.js';
import type { ImpactChange, ImpactGroup, Op, PlanImpact } from './operations.js';
import { changesChains, simulatePlan } from './simulate.js';

/** Stands for every region no policy names (a StringNotEquals region list denies it). */
export const OTHER_REGION = 'other-regions';
const OTHER_REGION_VALUE = 'zz-orgplane-other-1';
/** More regions than this in conditions: evaluate the first ones and "other" (cost grows per region). */
const MAX_REGIONS = 8;

export interface PlanImpactOptions {
  /** The region requests are assumed to come from when no policy names one (the CLI's --region). */
  region?: string;
  /** Extra request context (e.g. aws:PrincipalArn of the deploying role). */
  context?: Record<string, string[]>;
}

/** The accounts whose chain differs, as pairs (accounts only in one side are new or gone: nothing to compare). */
export function changedChains(before: Chain[], after: Chain[]): { before: Chain[]; after: Chain[] } {
  const old = new Map(before.map((c) => [c.account.id, c]));
  const pairs = after.flatMap((c) => {
    const b = old.get(c.account.id);
    return b && chainSignature(b) !== chainSignature(c) ? [[b, c] as const] : [];
  });
  return { before: pairs.map((p) => p[0]), after: pairs.map((p) => p[1]) };
}

/** Regions named by aws:RequestedRegion conditions in these chains: the places where decisions can differ. */
export function regionsNamed(chains: Chain[]): string[] {
  const seen = new Set<object>();
  const regions = new Set<string>();
  for (const c of chains)
    for (const l of c.levels)
      for (const p of [...l.scps, ...l.rcps]) {
        if (seen.has(p.policy)) continue;
        seen.add(p.policy);
        for (const s of p.policy.statements)
          for (const t of s.conditions) {
            if (t.key.toLowerCase() === 'aws:requestedregion') for (const v of t.values) if (!/[*?$]/.test(v)) regions.add(v);
          }
      }
  return [...regions].sort();
}

/** The region contexts to evaluate: the named ones (or the default region) and "every other region". */
export function regionContexts(chains: Chain[], region: string): string[] {
  const named = regionsNamed(chains);
  return named.length === 0 ? [region] : [...named.slice(0, MAX_REGIONS), OTHER_REGION];
}

type PerRegion = Map<string, Map<string, ImpactChange>>; // account id -> region -> change

/** Lists longer than this are given as "every action except ..." when that is shorter. */
const COMPLEMENT_OVER = 24;

/**
 * A region lost reads as hundreds of "service:*" entries; "*" except the few services still
 * allowed (the NotAction list, actions denied already) says the same in one line.
 */
export function complementOf(collapsed: string[], catalog: Catalog, perService: Map<string, number>): string[] | undefined {
  if (collapsed.length <= COMPLEMENT_OVER) return undefined;
  const flipped = new Set<string>();
  for (const a of collapsed) {
    if (a.endsWith(':*')) for (const x of catalog.byService.get(serviceOf(a)) ?? []) flipped.add(x);
    else flipped.add(a);
  }
  const rest = collapse(
    catalog.actions.filter((a) => !flipped.has(a)),
    perService,
  );
  return rest.length < collapsed.length ? rest : undefined;
}

function compact(c: ImpactChange, catalog: Catalog, perService: Map<string, number>): ImpactChange {
  const deniedExcept = complementOf(c.newlyDenied, catalog, perService);
  const allowedExcept = complementOf(c.newlyAllowed, catalog, perService);
  return {
    ...c,
    ...(deniedExcept ? { newlyDenied: ['*'], newlyDeniedExcept: deniedExcept } : {}),
    ...(allowedExcept ? { newlyAllowed: ['*'], newlyAllowedExcept: allowedExcept } : {}),
  };
}

/** What flips between two decision rows (computeImpact's diff, for rows evaluateBatch already computed). */
function diffRows(was: Uint8Array, now: Uint8Array, actions: string[], catalog: Catalog, perService: Map<string, number>): ImpactChange | undefined {
  const denied: string[] = [];
  const allowed: string[] = [];
  for (let j = 0; j < actions.length; j++) {
    if (was[j] === now[j]) continue;
    if (was[j] === ALLOW) denied.push(actions[j]);
    else if (now[j] === ALLOW) allowed.push(actions[j]);
  }
  if (!denied.length && !allowed.length) return undefined;
  const change = {
    newlyDenied: collapse(denied, perService),
    newlyAllowed: collapse(allowed, perService),
    counts: { denied: denied.length, allowed: allowed.length },
  };
  return compact(change, catalog, perService);
}

/**
 * One region context for every changed account. evaluateBatch hands accounts with equal chains the
 * same decision row, so the diff is computed once per distinct (before, after) pair of rows: a root
 * policy change over 1,000 accounts costs as many diffs as there are distinct chains.
 */
function evaluateRegion(changed: { before: Chain[]; after: Chain[] }, region: string, catalog: Catalog, opts: PlanImpactOptions, out: PerRegion): void {
  const context = { ...opts.context, 'aws:RequestedRegion': [region === OTHER_REGION ? OTHER_REGION_VALUE : region] };
  const batch = { request: { context }, rcpServices: catalog.rcpServices };
  const was = evaluateBatch(changed.before, catalog.actions, batch).decisions;
  const now = evaluateBatch(changed.after, catalog.actions, batch).decisions;
  const perService = serviceCounts(catalog.actions);
  const memo = new Map<Uint8Array, Map<Uint8Array, ImpactChange | undefined>>();
  changed.after.forEach((c, i) => {
    const row = memo.get(was[i]) ?? new Map<Uint8Array, ImpactChange | undefined>();
    memo.set(was[i], row);
    if (!row.has(now[i])) row.set(now[i], diffRows(was[i], now[i], catalog.actions, catalog, perService));
    const change = row.get(now[i]);
    if (!change) return;
    const m = out.get(c.account.id) ?? new Map<string, ImpactChange>();
    m.set(region, change);
    out.set(c.account.id, m);
  });
}

function evaluateRegions(changed: { before: Chain[]; after: Chain[] }, regions: string[], catalog: Catalog, opts: PlanImpactOptions): PerRegion {
  const out: PerRegion = new Map();
  for (const r of regions) evaluateRegion(changed, r, catalog, opts, out);
  return out;
}

/** One account's changes: regions with the same outcome merged; no region list when all regions agree. */
function mergeRegions(perRegion: Map<string, ImpactChange>, regions: string[]): ImpactChange[] {
  const byOutcome = new Map<string, { change: ImpactChange; regions: string[] }>();
  for (const r of regions) {
    const c = perRegion.get(r);
    if (!c) continue;
    const key = JSON.stringify([c.newlyDenied, c.newlyAllowed]);
    const entry = byOutcome.get(key) ?? { change: c, regions: [] };
    entry.regions.push(r);
    byOutcome.set(key, entry);
  }
  return [...byOutcome.values()].map(({ change, regions: rs }) =>
    (rs.length === regions.length && regions.length > 1) || regions.length === 1 ? change : { ...change, regions: rs },
  );
}

/** What differs in an account's chain: the policies added, removed or changed on its path, and a move. */
export function causesOf(before: Chain, after: Chain): string[] {
  const policies = (c: Chain) => new Map(c.levels.flatMap((l) => [...l.scps, ...l.rcps].map((p) => [`${l.target.id}/${p.id}`, p] as const)));
  const was = policies(before);
  const now = policies(after);
  const causes = new Set<string>();
  for (const [k, p] of now) {
    const old = was.get(k);
    if (!old) causes.add(`${p.name} added to the path`);
    else if (!sameData(old.policy, p.policy)) causes.add(`${p.name} updated`);
  }
  for (const [k, p] of was) if (!now.has(k)) causes.add(`${p.name} removed from the path`);
  const path = (c: Chain) =>
    c.levels
      .slice(0, -1)
      .map((l) => l.target.name)
      .join(' / ');
  if (path(before) !== path(after)) causes.add(`moved ${path(before)} -> ${path(after)}`);
  return [...causes].sort();
}

/** Accounts with identical changes and causes become one group (a root policy change is one line, not 1,000). */
function groupAccounts(changed: { before: Chain[]; after: Chain[] }, perRegion: PerRegion, regions: string[]): ImpactGroup[] {
  const groups = new Map<string, ImpactGroup>();
  changed.after.forEach((c, i) => {
    const m = perRegion.get(c.account.id);
    if (!m) return;
    const changes = mergeRegions(m, regions);
    const causes = causesOf(changed.before[i], c);
    const key = JSON.stringify([changes, causes]);
    const g = groups.get(key) ?? { accounts: [], causes, changes };
    g.accounts.push({ id: c.account.id, name: c.account.name });
    groups.set(key, g);
  });
  for (const g of groups.values()) g.accounts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...groups.values()];
}

/** The chains before (live) and after (the plan applied); the management account is exempt and left out. */
export function planChains(actual: ActualOrg, ops: Op[]): { before: Chain[]; after: Chain[] } {
  const notManagement = (c: Chain) => !c.management;
  return {
    before: allChains(orgFromActual(actual)).filter(notManagement),
    after: allChains(orgFromActual(simulatePlan(actual, ops))).filter(notManagement),
  };
}

/** The impact of a plan's ops; undefined when no op touches a chain (then nothing is evaluated). */
export function computePlanImpact(actual: ActualOrg, ops: Op[], catalog: Catalog, opts: PlanImpactOptions = {}): PlanImpact | undefined {
  if (!changesChains(ops)) return undefined;
  const chains = planChains(actual, ops);
  const changed = changedChains(chains.before, chains.after);
  const regions = regionContexts([...changed.before, ...changed.after], opts.region ?? 'us-east-1');
  const perRegion = changed.after.length ? evaluateRegions(changed, regions, catalog, opts) : new Map();
  return {
    evaluated: { accounts: changed.after.length, actions: catalog.actions.length, regions },
    groups: groupAccounts(changed, perRegion, regions),
  };
}

/** The engine's hook: loads the catalogue only when the plan touches a chain (it costs ~0.3 s once per process). */
export async function planImpact(actual: ActualOrg, ops: Op[], opts: PlanImpactOptions = {}): Promise<PlanImpact | undefined> {
  return changesChains(ops) ? computePlanImpact(actual, ops, await loadCatalog(), opts) : undefined;
}
