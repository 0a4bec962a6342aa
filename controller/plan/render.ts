// Prints a plan: terraform-like text for a terminal, Markdown for a pull-request comment, and
// stable JSON (sorted keys) for machines and git diffs. The plan object is the same one the
// executor runs, so what is printed is what is applied.
import type { Op, Plan } from './operations.js';

export type ChangeKind = 'create' | 'update' | 'move' | 'delete';

/** How an op counts in the summary line (and which symbol it gets). */
export function changeKind(op: Op): ChangeKind {
  switch (op.op) {
    case 'CreateOU': case 'CreateAccount': case 'CreatePolicy': case 'CreatePermissionSet': case 'CreateAccountAssignment':
      return 'create';
    case 'PutRole':
      return op.create ? 'create' : 'update';
    case 'MoveAccount':
      return 'move';
    case 'DeleteOU': case 'DeletePolicy': case 'CloseAccount': case 'RemoveAccount':
    case 'DeletePermissionSet': case 'DeleteAccountAssignment': case 'DeleteRole':
      return 'delete';
    default:
      return 'update';
  }
}

const SYMBOL: Record<ChangeKind, string> = { create: '+', update: '~', move: '->', delete: '-' };
const COLOR: Record<ChangeKind | 'blocked' | 'bold' | 'dim', string> = {
  create: '\u001b[32m', update: '\u001b[33m', move: '\u001b[36m', delete: '\u001b[31m', blocked: '\u001b[35m', bold: '\u001b[1m', dim: '\u001b[2m',
};
const RESET = '\u001b[0m';

export function countChanges(plan: Plan): Record<ChangeKind, number> {
  const n: Record<ChangeKind, number> = { create: 0, update: 0, move: 0, delete: 0 };
  for (const op of plan.ops) n[changeKind(op)]++;
  return n;
}

export const NO_CHANGES = 'No changes. The organization matches the manifests.';

/** "Plan: 3 to create, 1 to update, 2 to move, 0 to delete." or the no-changes line. */
export function summaryLine(plan: Plan): string {
  if (plan.ops.length === 0) {
    return plan.blocked.length === 0 ? NO_CHANGES : `No changes to apply; ${plan.blocked.length} blocked (see above).`;
  }
  const n = countChanges(plan);
  return `Plan: ${n.create} to create, ${n.update} to update, ${n.move} to move, ${n.delete} to delete.`;
}

interface Section {
  title: string;
  /** Headline of a grouped change (an OU recreation), shown instead of a resource title. */
  grouped: boolean;
  ops: Op[];
}

/** Ops by group (recreations) or resource, in plan order of first appearance. */
function sections(plan: Plan): Section[] {
  const byKey = new Map<string, Section>();
  for (const op of plan.ops) {
    const key = op.group !== undefined ? `group:${op.group}` : `res:${op.resource}`;
    let s = byKey.get(key);
    if (!s) {
      s = op.group !== undefined
        ? { title: plan.groups?.[op.group] ?? op.group, grouped: true, ops: [] }
        : { title: op.resource === '' ? 'Organization' : op.resource, grouped: false, ops: [] };
      byKey.set(key, s);
    }
    s.ops.push(op);
  }
  return [...byKey.values()];
}

/** Inside a group the headline is printed once, so each line drops the shared prefix. */
function lineText(op: Op, s: Section): string {
  if (!s.grouped) return op.summary;
  const cut = s.title.indexOf('): ');
  const prefix = cut >= 0 ? s.title.slice(0, cut + 3) : '';
  return prefix && op.summary.startsWith(prefix) ? op.summary.slice(prefix.length) : op.summary;
}

export function renderText(plan: Plan, opts: { color?: boolean } = {}): string {
  const c = (k: keyof typeof COLOR, text: string): string => (opts.color ? `${COLOR[k]}${text}${RESET}` : text);
  const lines: string[] = [];
  for (const s of sections(plan)) {
    lines.push(c('bold', s.grouped ? `# ${s.title}` : s.title));
    for (const op of s.ops) {
      const k = changeKind(op);
      lines.push(`  ${c(k, `${SYMBOL[k]} ${lineText(op, s)}`)}${c('dim', `  [${op.id}]`)}`);
    }
    lines.push('');
  }
  if (plan.blocked.length > 0) {
    lines.push(c('bold', 'Blocked:'));
    for (const b of plan.blocked) lines.push(`  ${c('blocked', `! ${b.resource || 'Organization'}: ${b.reason}: ${b.message}`)}`);
    lines.push('');
  }
  const driftKeys = Object.keys(plan.drift);
  if (driftKeys.length > 0) {
    lines.push(c('bold', 'Drift:'));
    for (const k of driftKeys) for (const d of plan.drift[k]) lines.push(`  ${k}: ${d}`);
    lines.push('');
  }
  if (plan.unmanaged.length > 0) {
    lines.push(c('bold', 'Unmanaged (no manifest describes them):'));
    for (const u of plan.unmanaged) lines.push(`  ? ${u}`);
    lines.push('');
  }
  for (const w of plan.warnings) lines.push(c('update', `Warning: ${w}`));
  if (plan.warnings.length > 0) lines.push('');
  lines.push(c('bold', summaryLine(plan)));
  return `${lines.join('\n')}\n`;
}

/** Long plans fold their details so a PR comment stays readable. */
const FOLD_OVER = 20;

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(plan: Plan): string {
  const n = countChanges(plan);
  const out: string[] = ['### orgplane plan', '', `**${summaryLine(plan)}**`, ''];
  if (plan.ops.length > 0) {
    out.push('| Change | Count |', '|---|---:|');
    for (const k of ['create', 'update', 'move', 'delete'] as const) out.push(`| \`${SYMBOL[k]}\` ${k} | ${n[k]} |`);
    out.push('');
    const body: string[] = ['```diff'];
    for (const s of sections(plan)) {
      body.push(`# ${s.title}`);
      for (const op of s.ops) {
        const k = changeKind(op);
        // diff highlighting: '+' green, '-' red, '!' orange; moves and updates use '!'.
        const mark = k === 'create' ? '+' : k === 'delete' ? '-' : '!';
        body.push(`${mark} ${SYMBOL[k]} ${lineText(op, s)}`);
      }
    }
    body.push('```');
    if (plan.ops.length > FOLD_OVER) out.push(`<details><summary>Show ${plan.ops.length} operations</summary>`, '', ...body, '', '</details>');
    else out.push(...body);
    out.push('');
  }
  if (plan.blocked.length > 0) {
    out.push('#### Blocked', '', '| Resource | Reason | Message |', '|---|---|---|');
    for (const b of plan.blocked) out.push(`| ${cell(b.resource || 'Organization')} | ${b.reason} | ${cell(b.message)} |`);
    out.push('');
  }
  const driftKeys = Object.keys(plan.drift);
  if (driftKeys.length > 0) {
    const lines = driftKeys.flatMap((k) => plan.drift[k].map((d) => `- \`${k}\`: ${d}`));
    out.push(`<details><summary>Drift (${lines.length})</summary>`, '', ...lines, '', '</details>', '');
  }
  if (plan.unmanaged.length > 0) {
    out.push(`<details><summary>Unmanaged (${plan.unmanaged.length})</summary>`, '', ...plan.unmanaged.map((u) => `- ${u}`), '', '</details>', '');
  }
  if (plan.warnings.length > 0) {
    out.push('#### Warnings', '', ...plan.warnings.map((w) => `- ${w}`), '');
  }
  return out.join('\n');
}

/** Stable JSON: object keys sorted at every level, arrays in plan order. */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(sortKeys(plan), null, 2)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
    return out;
  }
  return v;
}
