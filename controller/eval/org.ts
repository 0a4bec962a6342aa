// The organization as the evaluator sees it: root -> OUs -> accounts, each with the SCPs and RCPs
// attached to it. Built from the manifests (DesiredOrg) or from AWS (ActualOrg); pure data.
import type { DesiredOrg, DesiredPolicy, TargetRef } from '../model/desired.js';
import { ROOT } from '../model/desired.js';
import type { ActualOrg } from '../model/actual.js';
import type { AttachedPolicy, PolicyKind, TargetInfo } from './types.js';
import { FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS, mustParse } from './policy.js';

export const SCP_TYPE = 'SERVICE_CONTROL_POLICY';
export const RCP_TYPE = 'RESOURCE_CONTROL_POLICY';

export interface EvalNode extends TargetInfo {
  parentId?: string;
  scps: AttachedPolicy[];
  rcps: AttachedPolicy[];
}

export interface EvalOrg {
  managementAccountId?: string;
  scpEnabled: boolean;
  rcpEnabled: boolean;
  root: EvalNode;
  ous: Record<string, EvalNode>;
  accounts: Record<string, EvalNode>;
  /** Other names an account answers to (manifest metadata.name) -> account id. */
  aliases: Record<string, string>;
}

export interface ChainLevel {
  target: TargetInfo;
  scps: AttachedPolicy[];
  rcps: AttachedPolicy[];
}

/** Everything the evaluator needs about one account: its levels from the root down. */
export interface Chain {
  account: TargetInfo;
  management: boolean;
  scpEnabled: boolean;
  rcpEnabled: boolean;
  levels: ChainLevel[];
}

/** The name explain accepts for the management account when the manifests do not describe it. */
export const MANAGEMENT_ALIAS = 'management';

const node = (type: TargetInfo['type'], id: string, name: string, parentId?: string): EvalNode => ({ type, id, name, parentId, scps: [], rcps: [] });

export function findAccount(org: EvalOrg, ref: string): EvalNode | undefined {
  const id = org.aliases[ref] ?? ref;
  return org.accounts[id] ?? Object.values(org.accounts).find((a) => a.name === ref);
}

/** The chain of an account (by id, AWS name or manifest name); undefined when there is none. */
export function chainFor(org: EvalOrg, ref: string): Chain | undefined {
  let account = findAccount(org, ref);
  if (!account && (ref === MANAGEMENT_ALIAS || (org.managementAccountId && ref === org.managementAccountId))) {
    account = node('account', org.managementAccountId ?? MANAGEMENT_ALIAS, 'management account', org.root.id);
  }
  if (!account) return undefined;
  const path: EvalNode[] = [account];
  for (let p = account.parentId; p && p !== org.root.id; p = org.ous[p]?.parentId) {
    const ou = org.ous[p];
    if (!ou || path.includes(ou)) break;
    path.unshift(ou);
  }
  path.unshift(org.root);
  const management = account.id === MANAGEMENT_ALIAS || account.id === org.managementAccountId;
  return {
    account: { type: 'account', id: account.id, name: account.name },
    management,
    scpEnabled: org.scpEnabled,
    rcpEnabled: org.rcpEnabled,
    levels: path.map((n) => ({ target: { type: n.type, id: n.id, name: n.name }, scps: n.scps, rcps: n.rcps })),
  };
}

export const allChains = (org: EvalOrg): Chain[] =>
  Object.keys(org.accounts)
    .map((id) => chainFor(org, id))
    .filter((c): c is Chain => c !== undefined);

function attach(org: EvalOrg, targetId: string, kind: PolicyKind, p: AttachedPolicy): void {
  const n = targetId === org.root.id ? org.root : (org.ous[targetId] ?? org.accounts[targetId]);
  if (!n) return;
  const list = kind === 'SCP' ? n.scps : n.rcps;
  if (!list.some((x) => x.id === p.id)) list.push(p);
}

/** RCPFullAWSAccess is attached by AWS to every target and cannot be detached. */
function attachRcpFullAccess(org: EvalOrg): void {
  const p: AttachedPolicy = { id: 'p-RCPFullAWSAccess', name: 'RCPFullAWSAccess', policy: mustParse(RCP_FULL_AWS_ACCESS) };
  for (const n of [org.root, ...Object.values(org.ous), ...Object.values(org.accounts)]) {
    if (!n.rcps.some((x) => x.name === p.name)) n.rcps.unshift(p);
  }
}

// ---- from manifests ---------------------------------------------------------------------------

function desiredDocument(p: DesiredPolicy, kind: PolicyKind): AttachedPolicy {
  const doc = p.content ? p.content : kind === 'RCP' ? RCP_FULL_AWS_ACCESS : FULL_AWS_ACCESS;
  return { id: p.id ?? p.ref, name: p.name, policy: mustParse(doc) };
}

function desiredTargetIds(org: EvalOrg, d: DesiredOrg, targets: TargetRef[]): string[] {
  return targets.map((t) => {
    if (t.kind === 'root') return org.root.id;
    if (t.kind === 'ou') return d.ous[t.ref]?.id ?? t.ref;
    return d.accounts[t.ref]?.id ?? t.ref;
  });
}

export interface FromDesiredOptions {
  /** RCP resources, once they exist as a kind (same shape as SCPs). */
  rcps?: DesiredPolicy[];
  managementAccountId?: string;
}

export function orgFromDesired(d: DesiredOrg, opts: FromDesiredOptions = {}): EvalOrg {
  const types = d.organization?.enabledPolicyTypes;
  const rcps = opts.rcps ?? [];
  const org: EvalOrg = {
    managementAccountId: opts.managementAccountId,
    scpEnabled: types ? types.includes(SCP_TYPE) : Object.values(d.policies).some((p) => p.policyType === undefined),
    rcpEnabled: types ? types.includes(RCP_TYPE) : rcps.length > 0 || Object.values(d.policies).some((p) => p.policyType === RCP_TYPE),
    root: node('root', ROOT, 'Root'),
    ous: {},
    accounts: {},
    aliases: {},
  };
  const idOf = (ref: string, map: Record<string, { id?: string }>) => (ref === ROOT ? ROOT : (map[ref]?.id ?? ref));
  for (const ou of Object.values(d.ous)) org.ous[ou.id ?? ou.ref] = node('ou', ou.id ?? ou.ref, ou.name, idOf(ou.parent, d.ous));
  for (const a of Object.values(d.accounts)) {
    const id = a.id ?? a.ref;
    org.accounts[id] = node('account', id, a.name, idOf(a.parent, d.ous));
    org.aliases[a.ref] = id;
  }
  const add = (p: DesiredPolicy, kind: PolicyKind) => {
    const attached = desiredDocument(p, kind);
    for (const id of desiredTargetIds(org, d, p.targets)) attach(org, id, kind, attached);
    // AWS attaches FullAWSAccess to every new OU and account; without exclusiveTargets the
    // manifest's targets are only a minimum, so the evaluator assumes it is everywhere.
    if (p.awsManaged && !p.exclusiveTargets) {
      for (const id of [...Object.keys(org.ous), ...Object.keys(org.accounts)]) attach(org, id, kind, attached);
    }
  };
  for (const p of Object.values(d.policies)) {
    if (p.policyType === undefined) add(p, 'SCP');
    else if (p.policyType === RCP_TYPE) add(p, 'RCP');
  }
  for (const p of rcps) add(p, 'RCP');
  if (org.rcpEnabled) attachRcpFullAccess(org);
  return org;
}

// ---- from AWS ---------------------------------------------------------------------------------

export function orgFromActual(a: ActualOrg): EvalOrg {
  const types = a.root.enabledPolicyTypes;
  const org: EvalOrg = {
    managementAccountId: a.managementAccountId,
    scpEnabled: types.includes(SCP_TYPE),
    rcpEnabled: types.includes(RCP_TYPE),
    root: node('root', a.root.id, a.root.name || 'Root'),
    ous: {},
    accounts: {},
    aliases: {},
  };
  for (const ou of Object.values(a.ous)) org.ous[ou.id] = node('ou', ou.id, ou.name, ou.parentId);
  for (const acct of Object.values(a.accounts)) org.accounts[acct.id] = node('account', acct.id, acct.name, acct.parentId);
  for (const p of Object.values(a.policies)) {
    const kind: PolicyKind | undefined = p.type === RCP_TYPE ? 'RCP' : p.type === SCP_TYPE || !p.type ? 'SCP' : undefined;
    if (!kind || !p.content) continue;
    const attached: AttachedPolicy = { id: p.id, name: p.name, policy: mustParse(p.content) };
    for (const id of p.targets ?? []) attach(org, id, kind, attached);
  }
  if (org.rcpEnabled) attachRcpFullAccess(org);
  return org;
}
