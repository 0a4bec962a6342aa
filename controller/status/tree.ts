// The organization as a tree, for `orgplane status` and the end of `orgplane apply`: every OU and
// account with its id, the SCPs attached directly, and whether a manifest manages it / it drifted.
import { isScp, RCP_TYPE } from '../model/policy-types.js';
import type { ActualOrg } from '../model/actual.js';

export interface TreeMarks {
  /** AWS id -> resource key managing it ("Account/dev"). */
  managed: Map<string, string>;
  /** AWS id -> drift lines. */
  drift: Map<string, string[]>;
}

const PALETTE = { dim: '\x1b[2m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', reset: '\x1b[0m' };

export function renderTree(actual: ActualOrg, marks: TreeMarks, opts: { color?: boolean } = {}): string {
  const c = (code: keyof typeof PALETTE, s: string) => (opts.color ? `${PALETTE[code]}${s}${PALETTE.reset}` : s);
  const policiesOn = new Map<string, string[]>();
  const rcpsOn = new Map<string, string[]>();
  for (const p of Object.values(actual.policies)) {
    // SCPs and RCPs (the guardrails) are shown; management policies would crowd the tree.
    const on = isScp(p) ? policiesOn : p.type === RCP_TYPE && !p.awsManaged ? rcpsOn : undefined;
    for (const t of on ? (p.targets ?? []) : []) on?.set(t, [...(on.get(t) ?? []), p.name]);
  }
  const children = new Map<string, { kind: 'ou' | 'account'; id: string; name: string }[]>();
  const add = (parent: string, e: { kind: 'ou' | 'account'; id: string; name: string }) => {
    const l = children.get(parent) ?? [];
    l.push(e);
    children.set(parent, l);
  };
  for (const ou of Object.values(actual.ous)) add(ou.parentId, { kind: 'ou', id: ou.id, name: ou.name });
  for (const a of Object.values(actual.accounts)) add(a.parentId, { kind: 'account', id: a.id, name: a.name });

  const label = (id: string): string => {
    const parts: string[] = [];
    const scps = (policiesOn.get(id) ?? []).sort();
    if (scps.length) parts.push(c('dim', `SCPs: ${scps.join(', ')}`));
    const rcps = (rcpsOn.get(id) ?? []).sort();
    if (rcps.length) parts.push(c('dim', `RCPs: ${rcps.join(', ')}`));
    const owner = marks.managed.get(id);
    const drift = marks.drift.get(id);
    if (drift?.length) parts.push(c('yellow', `drifted (${owner}): ${drift.join('; ')}`));
    else if (owner) parts.push(c('green', `managed by ${owner}`));
    else if (id !== actual.root.id && id !== actual.managementAccountId) parts.push(c('yellow', 'unmanaged'));
    return parts.length ? `  ${parts.join('  ')}` : '';
  };

  const lines = [`${c('bold', 'Root')} ${actual.root.id}${label(actual.root.id)}`];
  const walk = (parentId: string, prefix: string) => {
    const list = (children.get(parentId) ?? []).sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'ou' ? -1 : 1));
    list.forEach((e, i) => {
      const last = i === list.length - 1;
      const branch = `${prefix}${last ? '└── ' : '├── '}`;
      if (e.kind === 'ou') {
        lines.push(`${branch}${c('bold', e.name)} ${e.id}${label(e.id)}`);
        walk(e.id, `${prefix}${last ? '    ' : '│   '}`);
      } else {
        const a = actual.accounts[e.id];
        const mgmt = e.id === actual.managementAccountId ? ' (management)' : '';
        const state = a.state === 'ACTIVE' ? '' : ` ${a.state}`;
        lines.push(`${branch}${e.name} ${e.id}${mgmt}${state}${label(e.id)}`);
      }
    });
  };
  walk(actual.root.id, '');
  return lines.join('\n');
}
