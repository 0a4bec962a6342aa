// What every plan format shows, computed once: each op's action and risk class (from the op
// table), the counts, the summary line, the sections ops are grouped in, and the detail lines
// under an op (statement-level policy diffs, the SCP path of a moved account). The text,
// Markdown and JSON renderers only lay these out.
import { ACTIONS, RISKS, actionOf, riskOf, type ResourceAction, type Risk } from './op-table.js';
import type { Op, Plan, ScpLevel } from './operations.js';
import { diffLines, diffPolicies, isEmptyDiff, type PolicyDiff } from './policy-diff.js';
import { pathNotes } from './preflight.js';

/** The planner stamps op.risk with the plan's context; an op built elsewhere gets the table's context-free class. */
export const opRisk = (op: Op): Risk => op.risk ?? riskOf(op);

export const highestRisk = (risks: Risk[]): Risk => RISKS[Math.max(0, ...risks.map((r) => RISKS.indexOf(r)))];

export function countActions(ops: Op[]): Record<ResourceAction, number> {
  const n = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<ResourceAction, number>;
  for (const op of ops) n[actionOf(op)]++;
  return n;
}

export function countRisks(ops: Op[]): Record<Risk, number> {
  const n = Object.fromEntries(RISKS.map((r) => [r, 0])) as Record<Risk, number>;
  for (const op of ops) n[opRisk(op)]++;
  return n;
}

/** Actions the summary always names (Terraform's habit); others (adopt, resume, ...) only when the plan has them. */
const ALWAYS_COUNTED: readonly ResourceAction[] = ['create', 'update', 'move', 'delete'];
export const countedActions = (n: Record<ResourceAction, number>): ResourceAction[] => ACTIONS.filter((a) => ALWAYS_COUNTED.includes(a) || n[a] > 0);

export const NO_CHANGES = 'No changes. The organization matches the manifests.';

/** "Plan: 3 to create, 1 to update, 2 to move, 0 to delete; 1 destructive, 1 org-wide." or the no-changes line. */
export function summaryLine(plan: Plan): string {
  if (plan.ops.length === 0) {
    return plan.blocked.length === 0 ? NO_CHANGES : `No changes to apply; ${plan.blocked.length} blocked (see above).`;
  }
  const n = countActions(plan.ops);
  const r = countRisks(plan.ops);
  const risky = RISKS.filter((k) => k !== 'routine').map((k) => `${r[k]} ${k}`);
  return `Plan: ${countedActions(n)
    .map((a) => `${n[a]} to ${a}`)
    .join(', ')}; ${risky.join(', ')}.`;
}

/** Risk classes that get their own list at the top of a plan, most serious first, with the heading a reviewer sees. */
export const RISK_HEADINGS: { risk: Risk; title: string; flag?: string }[] = [
  { risk: 'org-wide', title: 'Organization-wide changes', flag: '--allow-org-wide' },
  { risk: 'destructive', title: 'Destructive changes' },
];

export interface Section {
  title: string;
  /** Headline of a grouped change (an OU recreation), shown instead of a resource title. */
  grouped: boolean;
  ops: Op[];
}

/** Ops by group (recreations) or resource, in plan order of first appearance. */
export function sections(plan: Plan): Section[] {
  const byKey = new Map<string, Section>();
  for (const op of plan.ops) {
    const key = op.group !== undefined ? `group:${op.group}` : `res:${op.resource}`;
    let s = byKey.get(key);
    if (!s) {
      s =
        op.group !== undefined
          ? { title: plan.groups?.[op.group] ?? op.group, grouped: true, ops: [] }
          : { title: op.resource === '' ? 'Organization' : op.resource, grouped: false, ops: [] };
      byKey.set(key, s);
    }
    s.ops.push(op);
  }
  return [...byKey.values()];
}

/** Inside a group the headline is printed once, so each line drops the shared prefix. */
export function lineText(op: Op, s: Section): string {
  if (!s.grouped) return op.summary;
  const cut = s.title.indexOf('): ');
  const prefix = cut >= 0 ? s.title.slice(0, cut + 3) : '';
  return prefix && op.summary.startsWith(prefix) ? op.summary.slice(prefix.length) : op.summary;
}

/** A line under an op: '+' / '-' added / removed, '~' changed, '!' a warning, ' ' context. */
export interface Detail {
  sign: '+' | '-' | '~' | '!' | ' ';
  depth: number;
  text: string;
}

export interface DocumentChange {
  key: string;
  before: unknown;
  after: unknown;
  diff: PolicyDiff;
}

/** The documents an op changes (op.change), each diffed statement by statement; unchanged ones left out. */
export function documentChanges(op: Op): DocumentChange[] {
  return Object.entries(op.change ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, { before, after }]) => {
      const diff = diffPolicies(before, after);
      return isEmptyDiff(diff) ? [] : [{ key, before, after, diff }];
    });
}

function documentDetails(op: Op): Detail[] {
  return documentChanges(op).flatMap((c): Detail[] => [
    { sign: ' ', depth: 0, text: `${c.key}:` },
    ...diffLines(c.diff).map((l): Detail => ({ sign: l.sign, depth: 1 + l.depth, text: l.text })),
  ]);
}

const levelText = (l: ScpLevel): string => {
  const note = l.allowing.length === 0 ? '  (no Allow: denies every action)' : l.allowsAll ? '' : '  (allow-list)';
  return `${l.name}: ${l.policies.join(', ') || '(no SCP)'}${note}`;
};

/** The SCPs on the path root -> account before and after a move, when the move changes what shapes the account. */
function moveDetails(op: Op): Detail[] {
  if (op.op !== 'MoveAccount' || !op.path) return [];
  const notes = pathNotes(op.path);
  if (op.gained.length + op.lost.length + notes.length === 0) return [];
  const levels = (title: string, ls: ScpLevel[]): Detail[] => [
    { sign: ' ', depth: 0, text: title },
    ...ls.map((l): Detail => ({ sign: ' ', depth: 1, text: levelText(l) })),
  ];
  return [
    ...levels('SCPs from the root to the account before (an action needs an Allow at every level):', op.path.before),
    ...levels('after:', op.path.after),
    ...notes.map((n): Detail => ({ sign: '!', depth: 0, text: n })),
  ];
}

/** Everything printed under an op's own line. */
export const opDetails = (op: Op): Detail[] => [...documentDetails(op), ...moveDetails(op)];
