// Renderers on plain-data plans: risk classes marked, counted and listed first; statement diffs
// under policy updates; and names chosen by an attacker (an OU, account or policy anyone with
// manifest or AWS access can name) rendered as inert text in a terminal and in a PR comment.
import { describe, expect, it } from 'vitest';
import type { Op, Plan } from '../../controller/plan/operations.js';
import { renderJson, renderMarkdown, renderText } from '../../controller/plan/render.js';
import { fenced, mdText, oneLine, termSafe } from '../../controller/plan/render-escape.js';

const ROOT = 'r-ab12';
const IMG = '<img src=x onerror=alert(1)>';
const FENCE_BREAK = '```\n</details><script>alert(1)</script>\n# Approved';
const MENTION = '@octo-org/admins **pwned** | col';
const ANSI = '\u001b[31mred\u001b[0m\u202eevil';

const base = { deps: [] as string[] };
function hostilePlan(): Plan {
  const ops: Op[] = [
    {
      ...base,
      id: 'op-1',
      resource: 'OrganizationalUnit/evil',
      op: 'CreateOU',
      name: IMG,
      parent: { id: ROOT },
      tags: {},
      summary: `create OU ${IMG} under Root`,
    },
    {
      ...base,
      id: 'op-2',
      resource: 'Account/mention',
      op: 'CreateAccount',
      name: MENTION,
      email: 'a@example.com',
      parent: { id: ROOT },
      tags: {},
      roleName: 'OrganizationAccountAccessRole',
      summary: `create account ${MENTION} <a@example.com> in Root`,
    },
    {
      ...base,
      id: 'op-3',
      resource: 'OrganizationalUnit/old',
      op: 'DeleteOU',
      ouId: 'ou-ab12-old00000',
      name: FENCE_BREAK,
      summary: `delete OU ${FENCE_BREAK} (ou-ab12-old00000)`,
    },
    {
      ...base,
      id: 'op-4',
      resource: 'ServiceControlPolicy/full',
      op: 'DetachPolicy',
      policyId: 'p-FullAWSAccess',
      targetId: 'ou-ab12-sandbox0',
      policyName: 'FullAWSAccess',
      targetName: '[click](javascript:alert(1))',
      summary: 'detach SCP FullAWSAccess from [click](javascript:alert(1))',
    },
    {
      ...base,
      id: 'op-5',
      resource: 'Organization/org',
      op: 'DisablePolicyType',
      rootId: ROOT,
      policyType: 'SERVICE_CONTROL_POLICY',
      summary: 'disable policy type SERVICE_CONTROL_POLICY on the root',
    },
    {
      ...base,
      id: 'op-6',
      resource: 'ServiceControlPolicy/guard',
      op: 'UpdatePolicy',
      policyId: 'p-guard0001',
      content: '{}',
      summary: `update SCP ${ANSI} (p-guard0001): content`,
      // Stamped by the planner: this document now denies everything and is attached to the root.
      risk: 'org-wide',
      change: {
        content: {
          before: { Version: '2012-10-17', Statement: [{ Sid: 'Guard', Effect: 'Deny', Action: ['s3:DeleteBucket'], Resource: '*' }] },
          after: {
            Version: '2012-10-17',
            Statement: [{ Sid: 'Guard', Effect: 'Deny', Action: ['s3:DeleteBucket', '*'], Resource: `arn:aws:s3:::${FENCE_BREAK}` }],
          },
        },
      },
    },
  ];
  return {
    ops,
    blocked: [{ resource: `Account/${IMG}`, reason: 'InvalidSpec', message: `bad | name ${IMG}\n# heading` }],
    unmanaged: [`OrganizationalUnit <script>x</script> (ou-ab12-zzzzzzzz)`],
    warnings: ['@everyone look', MENTION],
    drift: { 'OrganizationalUnit/evil': [`name is "${IMG}"`] },
  };
}

/** Splits Markdown into the lines inside the diff fence and those outside, checking that the fence closes where it should. */
function splitFence(md: string): { inside: string[]; outside: string[] } {
  const lines = md.split('\n');
  const open = lines.findIndex((l) => /^`{3,}diff$/.test(l));
  expect(open).toBeGreaterThanOrEqual(0);
  const fence = lines[open].slice(0, -'diff'.length);
  const close = lines.indexOf(fence, open + 1);
  expect(close).toBeGreaterThan(open);
  return { inside: lines.slice(open + 1, close), outside: [...lines.slice(0, open), ...lines.slice(close + 1)] };
}

describe('risk classes', () => {
  const p = hostilePlan();

  it('counts them in the summary line', () => {
    expect(renderText(p).trimEnd().split('\n').pop()).toBe('Plan: 2 to create, 3 to update, 0 to move, 1 to delete; 1 destructive, 3 org-wide.');
  });

  it('lists org-wide and destructive ops first in the text plan, and marks every such op', () => {
    const lines = renderText(p).split('\n');
    expect(lines[0]).toBe('Organization-wide changes (need --allow-org-wide):');
    expect(lines.slice(1, 4).map((l) => l.replace(/ {2}\[op-\d\]$/, ''))).toEqual([
      '  ~ detach SCP FullAWSAccess from [click](javascript:alert(1)) [org-wide]',
      '  ~ disable policy type SERVICE_CONTROL_POLICY on the root [org-wide]',
      '  ~ update SCP \\u001b[31mred\\u001b[0m\\u202eevil (p-guard0001): content [org-wide]',
    ]);
    expect(lines[5]).toBe('Destructive changes:');
    expect(lines[6]).toMatch(/^ {2}- delete OU .* \[destructive\] {2}\[op-3\]$/);
    expect(lines.filter((l) => l.includes('[org-wide]'))).toHaveLength(6);
  });

  it('puts them in GitHub alerts above the diff in Markdown, with counts in the table', () => {
    const md = renderMarkdown(p);
    expect(md.indexOf('> [!CAUTION]')).toBeLessThan(md.indexOf('> [!WARNING]'));
    expect(md.indexOf('> [!WARNING]')).toBeLessThan(md.indexOf('```diff'));
    expect(md).toContain('> **Organization-wide changes (3): need `--allow-org-wide`**');
    expect(md).toContain('| org-wide | 3 |');
    expect(md).toContain('| destructive | 1 |');
    expect(md).toContain('! ~ disable policy type SERVICE_CONTROL_POLICY on the root [org-wide]');
  });

  it('names at most 20 ops per alert in Markdown, and all of them in the diff', () => {
    const deletes: Op[] = Array.from({ length: 25 }, (_, i) => ({
      ...base,
      id: `op-${i + 1}`,
      resource: `OrganizationalUnit/o${i}`,
      op: 'DeleteOU',
      ouId: `ou-ab12-o${i}`,
      name: `O${i}`,
      summary: `delete OU O${i}`,
    }));
    const md = renderMarkdown({ ops: deletes, blocked: [], unmanaged: [], warnings: [], drift: {} });
    expect(md.split('\n').filter((l) => l.startsWith('> - delete OU'))).toHaveLength(20);
    expect(md).toContain('> - ... and 5 more, marked destructive in the diff below');
    expect(md.split('\n').filter((l) => /^- - delete OU O\d+ \[destructive\]$/.test(l))).toHaveLength(25);
  });

  it('takes the planner-stamped class over the table', () => {
    const doc = JSON.parse(renderJson(p)) as { ops: { id: string; risk: string }[]; resourceChanges: { address: string; risk: string }[] };
    expect(doc.ops.map((o) => o.risk)).toEqual(['routine', 'routine', 'destructive', 'org-wide', 'org-wide', 'org-wide']);
    expect(doc.resourceChanges.find((r) => r.address === 'ServiceControlPolicy/guard')?.risk).toBe('org-wide');
  });
});

describe('policy updates show their statement diff', () => {
  it('in text, indented under the op', () => {
    const text = renderText(hostilePlan());
    expect(text).toContain(
      [
        '      content:',
        '        ~ Statement "Guard"',
        '          + Action: *',
        '          - Resource: *',
        '          + Resource: "arn:aws:s3:::```\\n</details><script>alert(1)</script>\\n# Approved"',
      ].join('\n'),
    );
  });

  it('in Markdown, with the sign in the first column for diff highlighting', () => {
    const { inside } = splitFence(renderMarkdown(hostilePlan()));
    const at = inside.indexOf('!       ~ Statement "Guard"'.replace('~ ', ''));
    expect(at).toBeGreaterThan(0);
    expect(inside[at - 1]).toBe('      content:');
    expect(inside[at + 1]).toBe('+         Action: *');
    expect(inside[at + 2]).toBe('-         Resource: *');
    expect(inside[at + 3]).toBe('+         Resource: "arn:aws:s3:::```\\n</details><script>alert(1)</script>\\n# Approved"');
  });
});

describe('access policy updates show their statement diff under each document', () => {
  const trust = (account: string) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
  });
  const role: Op = {
    ...base,
    id: 'op-1',
    resource: 'CrossAccountRole/deploy',
    op: 'PutRole',
    account: { id: '222222222222' },
    accountName: 'Shop',
    accessRoleName: 'OrganizationAccountAccessRole',
    create: false,
    changes: ['trustPolicy', 'inlinePolicies.ci'],
    summary: 'update role deploy in Shop (222222222222): trustPolicy, inlinePolicies.ci',
    role: { roleName: 'deploy', path: '/', description: '', trustPolicy: '{}', managedPolicyArns: [], inlinePolicies: {}, maxSessionDuration: 3600, tags: {} },
    change: {
      trustPolicy: { before: trust('111111111111'), after: trust('999999999999') },
      // A new inline policy: nothing before.
      'inlinePolicies.ci': {
        before: null,
        after: { Version: '2012-10-17', Statement: [{ Sid: 'Artifacts', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::ci/*' }] },
      },
    },
  };

  it('in text', () => {
    const text = renderText({ ops: [role], blocked: [], unmanaged: [], warnings: [], drift: {} });
    expect(text).toContain(
      [
        '      inlinePolicies.ci:',
        '        + Version: 2012-10-17',
        '        + Statement "Artifacts"',
        '          + Effect: Allow',
        '          + Action: s3:GetObject',
        '          + Resource: arn:aws:s3:::ci/*',
        '      trustPolicy:',
        '        ~ Statement #1',
        '          - Principal: AWS = arn:aws:iam::111111111111:root',
        '          + Principal: AWS = arn:aws:iam::999999999999:root',
      ].join('\n'),
    );
  });

  it('in JSON, as before / after per document', () => {
    const [rc] = (
      JSON.parse(renderJson({ ops: [role], blocked: [], unmanaged: [], warnings: [], drift: {} })) as {
        resourceChanges: { before: Record<string, unknown>; after: Record<string, unknown> }[];
      }
    ).resourceChanges;
    expect(rc.before).toEqual({ 'inlinePolicies.ci': null, trustPolicy: trust('111111111111') });
    expect(Object.keys(rc.after)).toEqual(['inlinePolicies.ci', 'trustPolicy']);
  });
});

describe('hostile names', () => {
  it('Markdown: no HTML, headings, mentions or table cells from names outside the fence', () => {
    const md = renderMarkdown(hostilePlan());
    const { outside } = splitFence(md);
    const text = outside.join('\n');
    const tags = [...text.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]);
    expect(new Set(tags)).toEqual(new Set(['details', 'summary']));
    expect(text).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(outside.filter((l) => l.startsWith('#'))).toEqual(['### orgplane plan', '#### Blocked', '#### Warnings']);
    expect(text).not.toMatch(/@(?!\u2060)/);
    expect(text).toContain('- @\u2060octo\\-org/admins \\*\\*pwned\\*\\* \\| col');
    expect(text).toContain('- @\u2060everyone look');
    expect(text).not.toContain('[click](');
    const blockedRow = outside.find((l) => l.startsWith('| Account/'));
    expect(blockedRow?.match(/(?<!\\)\|/g)).toHaveLength(4);
  });

  it('Markdown: names cannot close the diff fence or add lines to it', () => {
    const { inside } = splitFence(renderMarkdown(hostilePlan()));
    for (const l of inside) expect(l).toMatch(/^[#+\-! ]/);
    expect(inside.filter((l) => l.startsWith('# '))).toHaveLength(6);
    expect(inside.some((l) => l.startsWith('- - delete OU ``` </details><script>alert(1)</script> # Approved (ou-ab12-old00000) [destructive]'))).toBe(true);
  });

  it('text: control characters from names are shown, never sent to the terminal', () => {
    const text = renderText(hostilePlan());
    expect(text).not.toMatch(/[\u001b\u202e]/);
    expect(text).toContain('\\u001b[31mred\\u001b[0m\\u202eevil');
    expect(text).toContain('delete OU ```\\u000a</details>');
  });

  it('the escaping helpers', () => {
    expect(mdText('a_b*c`d|e<f>&g')).toBe('a\\_b\\*c\\`d\\|e&lt;f&gt;&amp;g');
    expect(mdText('line\n# heading')).toBe('line \\# heading');
    expect(mdText('mail me@example.com, cc @team')).toBe('mail me@\u2060example\\.com, cc @\u2060team');
    expect(oneLine('a\r\nb\u2028c\u0007')).toBe('a b c\\u0007');
    expect(termSafe('ok\u001b[2J')).toBe('ok\\u001b[2J');
    expect(fenced('diff', ['x ```` y'])).toEqual(['`````diff', 'x ```` y', '`````']);
    expect(fenced('', ['plain'])).toEqual(['```', 'plain', '```']);
  });
});
