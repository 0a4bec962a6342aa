// The permission-impact and policy-lint parts of a plan, as lines for the text and Markdown
// renderers (JSON carries plan.impact and plan.lint as they are). Lists are cut to a readable
// length with the rest counted, since a root policy change can touch every account and a PR
// comment is limited to 65,536 characters; the JSON keeps everything.
import type { ImpactChange, ImpactGroup, LintFinding, Op, Plan } from './operations.js';
import type { Detail } from './render-model.js';
import { mdText, termSafe } from './render-escape.js';
import { OTHER_REGION } from './impact.js';

/** Actions named per line, accounts named per group, before "... and N more". */
const ACTIONS_SHOWN = 12;
const ACCOUNTS_SHOWN = 10;
/** Markdown folds the impact section when it has more groups than this. */
const MD_FOLD_GROUPS = 5;

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function cut(items: string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} ... and ${items.length - max} more`;
}

const regionText = (rs: string[]): string => rs.map((r) => (r === OTHER_REGION ? 'any other region' : r)).join(', ');

export const accountsText = (g: ImpactGroup): string =>
  cut(
    g.accounts.map((a) => (a.name === a.id ? a.id : `${a.name} (${a.id})`)),
    ACCOUNTS_SHOWN,
  );

/** "newly denied: ec2:*, s3:DeleteBucket (1,234 actions)" per direction, prefixed with the regions when they differ. */
export function changeLines(c: ImpactChange): string[] {
  const where = c.regions ? `in ${regionText(c.regions)}: ` : '';
  const line = (label: string, list: string[], n: number, except?: string[]): string[] => {
    if (!list.length) return [];
    const what = except ? `every action except ${cut(except, ACTIONS_SHOWN)}` : cut(list, ACTIONS_SHOWN);
    return [`${where}${label}: ${what}${except || n > list.length || list.length > ACTIONS_SHOWN ? ` (${plural(n, 'action')})` : ''}`];
  };
  return [
    ...line('newly denied', c.newlyDenied, c.counts.denied, c.newlyDeniedExcept),
    ...line('newly allowed', c.newlyAllowed, c.counts.allowed, c.newlyAllowedExcept),
  ];
}

export function impactHeading(plan: Plan): string | undefined {
  const i = plan.impact;
  if (!i) return undefined;
  const accounts = i.groups.reduce((n, g) => n + g.accounts.length, 0);
  return (
    `Permission impact (${plural(i.evaluated.accounts, 'account')} with a changed SCP/RCP path evaluated against ${plural(i.evaluated.actions, 'action')}` +
    ` in ${regionText(i.evaluated.regions)}; ${plural(accounts, 'account')} affected):`
  );
}

export function impactTextLines(plan: Plan): string[] {
  const heading = impactHeading(plan);
  if (!heading || !plan.impact) return [];
  const body = plan.impact.groups.flatMap((g) => [
    `  ${termSafe(accountsText(g))}${g.causes.length ? `  (${termSafe(g.causes.join('; '))})` : ''}`,
    ...g.changes.flatMap(changeLines).map((l) => `      ${termSafe(l)}`),
  ]);
  return [heading, ...(body.length ? body : ['  no action changes its decision for any account']), ''];
}

export function impactMarkdownLines(plan: Plan): string[] {
  const heading = impactHeading(plan);
  if (!heading || !plan.impact) return [];
  const groups = plan.impact.groups;
  const items = groups.flatMap((g) => [
    `- **${mdText(accountsText(g))}**${g.causes.length ? ` (${mdText(g.causes.join('; '))})` : ''}`,
    ...g.changes.flatMap(changeLines).map((l) => `  - ${mdText(l)}`),
  ]);
  const body = items.length ? items : ['- no action changes its decision for any account'];
  const title = `#### ${mdText(heading.replace(/:$/, ''))}`;
  return groups.length > MD_FOLD_GROUPS
    ? [title, '', `<details><summary>Show ${groups.length} groups of accounts</summary>`, '', ...body, '', '</details>', '']
    : [title, '', ...body, ''];
}

export const lintLine = (f: LintFinding): string => `${f.resource}: ${f.field}: ${f.message} [${f.rule}]`;

export function lintTextLines(plan: Plan): string[] {
  const lint = plan.lint ?? [];
  return lint.length ? [`Policy lint (${plural(lint.length, 'warning')}; errors with --strict):`, ...lint.map((f) => `  ! ${termSafe(lintLine(f))}`), ''] : [];
}

export function lintMarkdownLines(plan: Plan): string[] {
  const lint = plan.lint ?? [];
  return lint.length ? [`#### Policy lint (${plural(lint.length, 'warning')})`, '', ...lint.map((f) => `- ${mdText(lintLine(f))}`), ''] : [];
}

/**
 * Under a moved account's op: what the move changes in its permissions, where the SCP path alone
 * (gains / loses) cannot say it. The path lines stay; these follow them.
 */
export function moveImpactDetails(plan: Plan, op: Op): Detail[] {
  if (op.op !== 'MoveAccount' || !plan.impact) return [];
  const g = plan.impact.groups.find((x) => x.accounts.some((a) => a.id === op.accountId));
  const lines = g ? g.changes.flatMap(changeLines) : ['no action changes its decision'];
  return [
    { sign: ' ', depth: 0, text: 'permission impact of the move (catalogue actions evaluated before and after):' },
    ...lines.map((text): Detail => ({ sign: '!', depth: 1, text })),
  ];
}
