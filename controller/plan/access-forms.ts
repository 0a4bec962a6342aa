// Canonical forms for access planning: policy documents, durations, trust policies, and the
// bodies / change lists of permission sets and roles. Pure.
import type { ActualOrg, ActualPermissionSet, ActualRole, Tags } from '../model/actual.js';
import type { DesiredOrg, DesiredPermissionSet, DesiredRole } from '../model/desired.js';
import { matchAccount } from '../model/expand.js';
import { ownershipTags } from '../model/ownership.js';
import type { Op, PermissionSetBody, RoleBody } from './operations.js';
import { parsedDoc, samePolicy } from '../model/policy-json.js';

// ---- canonical forms ---------------------------------------------------------------------------

/** "PT1H" for 3600 / "3600" / "PT60M"; what Identity Center stores as an ISO duration. */
export function normalizeDuration(v: string | number | undefined): string {
  if (v === undefined || v === '') return 'PT1H';
  let seconds: number | undefined;
  if (typeof v === 'number' || /^[0-9]+$/.test(v)) seconds = Number(v);
  else {
    const m = /^PT(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?$/.exec(v);
    if (!m) return v;
    seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  }
  const h = Math.floor(seconds / 3600);
  const min = Math.floor((seconds % 3600) / 60);
  return `PT${h ? `${h}H` : ''}${min ? `${min}M` : ''}` || 'PT0M';
}

const sameSet = (a: string[], b: string[]): boolean => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

// ---- trust policy ------------------------------------------------------------------------------

/** Placeholder for the id of an account created in the same plan; the role writer replaces it. */
export const accountPlaceholder = (accountRef: string): string => `{{Account/${accountRef}}}`;

/**
 * The role's trust policy: the root principal of each trusted account (by id, or a placeholder
 * while the account is being created) plus explicit principal ARNs, with sts:ExternalId and MFA
 * conditions when asked.
 */
export function trustPolicy(role: DesiredRole, desired: DesiredOrg, actual: ActualOrg): { doc: string; pendingAccounts: string[]; unknown: string[] } {
  const principals: string[] = [];
  const pendingAccounts: string[] = [];
  const unknown: string[] = [];
  for (const ref of role.trust.accounts) {
    const d = desired.accounts[ref];
    if (!d) {
      unknown.push(ref);
      continue;
    }
    const a = matchAccount(d, actual, desired.namespace);
    if (a) principals.push(`arn:aws:iam::${a.id}:root`);
    else {
      principals.push(`arn:aws:iam::${accountPlaceholder(ref)}:root`);
      pendingAccounts.push(ref);
    }
  }
  for (const p of role.trust.principalArns) principals.push(/^[0-9]{12}$/.test(p) ? `arn:aws:iam::${p}:root` : p);
  const condition: Record<string, Record<string, string>> = {};
  if (role.trust.externalId) condition.StringEquals = { 'sts:ExternalId': role.trust.externalId };
  if (role.trust.requireMfa) condition.Bool = { 'aws:MultiFactorAuthPresent': 'true' };
  const uniq = [...new Set(principals)].sort();
  const statement: Record<string, unknown> = {
    Effect: 'Allow',
    Principal: { AWS: uniq.length === 1 ? uniq[0] : uniq },
    Action: 'sts:AssumeRole',
  };
  if (Object.keys(condition).length) statement.Condition = condition;
  return { doc: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), pendingAccounts, unknown };
}

export function permissionSetBody(p: DesiredPermissionSet): PermissionSetBody {
  return {
    name: p.name,
    description: p.description,
    sessionDuration: normalizeDuration(p.sessionDuration),
    relayState: p.relayState,
    managedPolicies: [...p.managedPolicies].sort(),
    customerManagedPolicies: p.customerManagedPolicies.map((c) => ({ name: c.name, path: c.path || '/' })),
    inlinePolicy: p.inlinePolicy,
    permissionsBoundary: p.permissionsBoundary,
  };
}

/** Attributes that differ between a desired body and the permission set in AWS. */
export function permissionSetChanges(body: PermissionSetBody, a: ActualPermissionSet, unsupported: string[] = []): string[] {
  const changes: string[] = [];
  if (body.description !== a.description) changes.push('description');
  if (normalizeDuration(body.sessionDuration) !== normalizeDuration(a.sessionDuration)) changes.push('sessionDuration');
  if (body.relayState !== a.relayState) changes.push('relayState');
  if (!sameSet(body.managedPolicies, a.managedPolicies)) changes.push('managedPolicies');
  const cmp = (l: { name: string; path: string }[]) => l.map((c) => `${c.path || '/'}${c.name}`);
  if (!sameSet(cmp(body.customerManagedPolicies), cmp(a.customerManagedPolicies))) changes.push('customerManagedPolicies');
  if (!samePolicy(body.inlinePolicy, a.inlinePolicy)) changes.push('inlinePolicy');
  // A boundary the endpoint cannot report is not compared (it would differ on every run).
  if (!unsupported.includes('SSOAdmin:GetPermissionsBoundaryForPermissionSet')) {
    const b = (x: PermissionSetBody['permissionsBoundary']) =>
      x ? `${x.managedPolicyArn ?? ''}|${x.customerManagedPolicy ? `${x.customerManagedPolicy.path || '/'}${x.customerManagedPolicy.name}` : ''}` : '';
    if (b(body.permissionsBoundary) !== b(a.permissionsBoundary)) changes.push('permissionsBoundary');
  }
  return changes;
}

export function tagsDiffer(want: Tags, have: Tags | undefined): boolean {
  if (!have) return false; // not readable: not compared
  const k = new Set([...Object.keys(want), ...Object.keys(have)]);
  for (const key of k) if (want[key] !== have[key]) return true;
  return false;
}

export function roleBody(role: DesiredRole, trust: string, namespace: string): RoleBody {
  return {
    roleName: role.roleName,
    path: role.path || '/',
    description: role.description,
    trustPolicy: trust,
    managedPolicyArns: [...role.managedPolicyArns].sort(),
    inlinePolicies: { ...role.inlinePolicies },
    permissionsBoundary: role.permissionsBoundary,
    maxSessionDuration: role.maxSessionDuration,
    tags: { ...role.tags, ...ownershipTags(namespace, role.key, role.deletionPolicy) },
  };
}

export function roleChanges(body: RoleBody, a: ActualRole): string[] {
  const changes: string[] = [];
  if (body.path !== a.path) changes.push('path');
  if (body.description !== a.description) changes.push('description');
  if (!samePolicy(body.trustPolicy, a.trustPolicy)) changes.push('trustPolicy');
  if (!sameSet(body.managedPolicyArns, a.managedPolicyArns)) changes.push('managedPolicyArns');
  const names = new Set([...Object.keys(body.inlinePolicies), ...Object.keys(a.inlinePolicies)]);
  for (const n of [...names].sort()) {
    if (!(n in a.inlinePolicies) || !(n in body.inlinePolicies) || !samePolicy(body.inlinePolicies[n], a.inlinePolicies[n])) {
      changes.push(`inlinePolicies.${n}`);
    }
  }
  if ((body.permissionsBoundary ?? '') !== (a.permissionsBoundary ?? '')) changes.push('permissionsBoundary');
  if (body.maxSessionDuration !== a.maxSessionDuration) changes.push('maxSessionDuration');
  if (tagsDiffer(body.tags, a.tags)) changes.push('tags');
  return changes;
}

/** Before/after documents of a role update, for the statement-level diff (Op.change). */
export function roleDocChanges(body: RoleBody, a: ActualRole, changes: string[]): Record<string, { before: unknown; after: unknown }> {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  if (changes.includes('trustPolicy')) out.trustPolicy = { before: parsedDoc(a.trustPolicy), after: parsedDoc(body.trustPolicy) };
  for (const c of changes) {
    if (!c.startsWith('inlinePolicies.')) continue;
    const name = c.slice('inlinePolicies.'.length);
    out[c] = { before: parsedDoc(a.inlinePolicies[name] ?? ''), after: parsedDoc(body.inlinePolicies[name] ?? '') };
  }
  return out;
}

/** The CreateAccount op of an account in this plan, by resource key. */
export function createAccountOp(orgOps: Op[], accountRef: string): Op | undefined {
  return orgOps.find((o) => o.op === 'CreateAccount' && o.resource === `Account/${accountRef}`);
}

export const principalKey = (type: string, id: string) => `${type}:${id}`;
