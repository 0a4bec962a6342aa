// Prints a plan: terraform-like text for a terminal, Markdown for a pull-request comment, and
// stable JSON (render-json.ts) for machines. The plan object is the same one the executor runs,
// so what is printed is what is applied. Every op is marked with its risk class; org-wide and
// destructive ops are also listed first, where a reviewer cannot miss them; policy updates show
// their statement-level diff. Names from AWS or manifests are escaped for the medium
// (render-escape.ts): a name is data, never terminal control, HTML or Markdown.
import { actionOf, type ResourceAction, type Risk } from './op-table.js';
import type { Op, Plan } from './operations.js';
import { fenced, mdText, oneLine, termSafe } from './render-escape.js';
import {
  RISK_HEADINGS,
  countActions,
  countRisks,
  countedActions,
  lineText,
  opDetails,
  opRisk,
  sections,
  summaryLine,
  type Detail,
  type Section,
} from './render-model.js';
import { impactMarkdownLines, impactTextLines, lintMarkdownLines, lintTextLines, moveImpactDetails } from './render-impact.js';

export { NO_CHANGES, countActions, summaryLine } from './render-model.js';
export { renderJson, planDocument, resourceChanges, PLAN_FORMAT_VERSION } from './render-json.js';

/** @deprecated the op table decides: use actionOf from op-table.ts. */
export const changeKind = actionOf;
/** @deprecated use countActions. */
export const countChanges = (plan: Plan): Record<ResourceAction, number> => countActions(plan.ops);

const SYMBOL = { create: '+', update: '~', move: '->', adopt: '<-', resume: '>>', delete: '-' } satisfies Record<ResourceAction, string>;
// Markdown `diff` highlighting: '+' green, '-' red, '!' orange.
const DIFF_MARK = { create: '+', update: '!', move: '!', adopt: '!', resume: '!', delete: '-' } satisfies Record<ResourceAction, string>;

type Colour = ResourceAction | 'blocked' | 'bold' | 'dim' | Risk;
const COLOR: Record<Colour, string> = {
  create: '\u001b[32m',
  update: '\u001b[33m',
  move: '\u001b[36m',
  adopt: '\u001b[36m',
  resume: '\u001b[34m',
  delete: '\u001b[31m',
  blocked: '\u001b[35m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  routine: '',
  destructive: '\u001b[1;31m',
  'org-wide': '\u001b[1;35m',
};
const RESET = '\u001b[0m';

/** " [destructive]" / " [org-wide]"; nothing for routine ops. */
const riskTag = (op: Op): string => (opRisk(op) === 'routine' ? '' : ` [${opRisk(op)}]`);

// ---- text --------------------------------------------------------------------------------------

type Paint = (k: Colour, text: string) => string;

function textOpLine(op: Op, s: Section | undefined, c: Paint): string {
  const a = actionOf(op);
  const summary = termSafe(s ? lineText(op, s) : op.summary);
  const risk = opRisk(op) === 'routine' ? '' : c(opRisk(op), riskTag(op));
  return `  ${c(a, `${SYMBOL[a]} ${summary}`)}${risk}${c('dim', `  [${op.id}]`)}`;
}

const textDetail = (d: Detail): string => `      ${'  '.repeat(d.depth)}${d.sign === ' ' ? '' : `${d.sign} `}${termSafe(d.text)}`;

function textRiskLists(plan: Plan, c: Paint): string[] {
  return RISK_HEADINGS.flatMap(({ risk, title, flag }) => {
    const ops = plan.ops.filter((op) => opRisk(op) === risk);
    if (ops.length === 0) return [];
    return [c(risk, `${title}${flag ? ` (need ${flag})` : ''}:`), ...ops.map((op) => textOpLine(op, undefined, c)), ''];
  });
}

function textSections(plan: Plan, c: Paint): string[] {
  return sections(plan).flatMap((s) => [
    c('bold', termSafe(s.grouped ? `# ${s.title}` : s.title)),
    ...s.ops.flatMap((op) => [textOpLine(op, s, c), ...[...opDetails(op), ...moveImpactDetails(plan, op)].map(textDetail)]),
    '',
  ]);
}

function textTrailer(plan: Plan, c: Paint): string[] {
  const lines: string[] = [];
  const block = (title: string, items: string[]): void => {
    if (items.length > 0) lines.push(c('bold', title), ...items, '');
  };
  block(
    'Blocked:',
    plan.blocked.map((b) => `  ${c('blocked', termSafe(`! ${b.resource || 'Organization'}: ${b.reason}: ${b.message}`))}`),
  );
  block(
    'Drift:',
    Object.keys(plan.drift).flatMap((k) => plan.drift[k].map((d) => `  ${termSafe(`${k}: ${d}`)}`)),
  );
  block(
    'Unmanaged (no manifest describes them):',
    plan.unmanaged.map((u) => `  ? ${termSafe(u)}`),
  );
  for (const w of plan.warnings) lines.push(c('update', termSafe(`Warning: ${w}`)));
  if (plan.warnings.length > 0) lines.push('');
  return lines;
}

export function renderText(plan: Plan, opts: { color?: boolean } = {}): string {
  const c: Paint = (k, text) => (opts.color && COLOR[k] ? `${COLOR[k]}${text}${RESET}` : text);
  const lines = [
    ...textRiskLists(plan, c),
    ...textSections(plan, c),
    ...impactTextLines(plan),
    ...lintTextLines(plan),
    ...textTrailer(plan, c),
    c('bold', summaryLine(plan)),
  ];
  return `${lines.join('\n')}\n`;
}

// ---- Markdown ----------------------------------------------------------------------------------

/** Long plans fold their details so a PR comment stays readable. */
const FOLD_OVER = 20;

/** A PR comment holds 65,536 characters: the alerts name the first few, the diff marks them all. */
const ALERT_ITEMS = 20;

/** GitHub alerts make org-wide and destructive ops the first thing a reviewer sees. */
const ALERT: Record<Risk, string> = { 'org-wide': 'CAUTION', destructive: 'WARNING', routine: 'NOTE' };

function mdRiskLists(plan: Plan): string[] {
  return RISK_HEADINGS.flatMap(({ risk, title, flag }) => {
    const ops = plan.ops.filter((op) => opRisk(op) === risk);
    if (ops.length === 0) return [];
    return [
      `> [!${ALERT[risk]}]`,
      `> **${title} (${ops.length})${flag ? `: need \`${flag}\`` : ''}**`,
      ...ops.slice(0, ALERT_ITEMS).map((op) => `> - ${mdText(op.summary)} \`${op.id.replace(/[^\w-]/g, '')}\``),
      ...(ops.length > ALERT_ITEMS ? [`> - ... and ${ops.length - ALERT_ITEMS} more, marked ${risk} in the diff below`] : []),
      '',
    ];
  });
}

function mdCounts(plan: Plan): string[] {
  const n = countActions(plan.ops);
  const r = countRisks(plan.ops);
  return [
    '| Change | Count |',
    '|---|---:|',
    ...countedActions(n).map((a) => `| \`${SYMBOL[a]}\` ${a} | ${n[a]} |`),
    ...RISK_HEADINGS.map(({ risk }) => `| ${risk} | ${r[risk]} |`),
    '',
  ];
}

/** Inside the diff fence only line breaks need care (fenced() keeps the fence closed). */
const mdDetail = (d: Detail): string => `${d.sign === '~' ? '!' : d.sign}     ${'  '.repeat(d.depth)}${oneLine(d.text)}`;

function mdDiffBlock(plan: Plan): string[] {
  const body = sections(plan).flatMap((s) => [
    `# ${oneLine(s.title)}`,
    ...s.ops.flatMap((op) => {
      const a = actionOf(op);
      return [`${DIFF_MARK[a]} ${SYMBOL[a]} ${oneLine(lineText(op, s))}${riskTag(op)}`, ...[...opDetails(op), ...moveImpactDetails(plan, op)].map(mdDetail)];
    }),
  ]);
  const block = fenced('diff', body);
  return plan.ops.length > FOLD_OVER ? [`<details><summary>Show ${plan.ops.length} operations</summary>`, '', ...block, '', '</details>', ''] : [...block, ''];
}

function mdTrailer(plan: Plan): string[] {
  const out: string[] = [];
  if (plan.blocked.length > 0) {
    out.push('#### Blocked', '', '| Resource | Reason | Message |', '|---|---|---|');
    for (const b of plan.blocked) out.push(`| ${mdText(b.resource || 'Organization')} | ${mdText(b.reason)} | ${mdText(b.message)} |`);
    out.push('');
  }
  const folded = (title: string, items: string[]): void => {
    if (items.length > 0) out.push(`<details><summary>${title} (${items.length})</summary>`, '', ...items.map((i) => `- ${i}`), '', '</details>', '');
  };
  folded(
    'Drift',
    Object.keys(plan.drift).flatMap((k) => plan.drift[k].map((d) => `${mdText(k)}: ${mdText(d)}`)),
  );
  folded('Unmanaged', plan.unmanaged.map(mdText));
  if (plan.warnings.length > 0) out.push('#### Warnings', '', ...plan.warnings.map((w) => `- ${mdText(w)}`), '');
  return out;
}

export function renderMarkdown(plan: Plan): string {
  const out: string[] = ['### orgplane plan', '', `**${summaryLine(plan)}**`, ''];
  if (plan.ops.length > 0) out.push(...mdRiskLists(plan), ...mdCounts(plan), ...mdDiffBlock(plan));
  out.push(...impactMarkdownLines(plan), ...lintMarkdownLines(plan), ...mdTrailer(plan));
  return out.join('\n');
}
