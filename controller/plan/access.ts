// Plans Identity Center and cross-account IAM role changes: desired permission sets, assignments
// and roles against ActualAccess. Pure: plain data in, typed AccessOps out. Assignments and role
// attachments are exclusive: what AWS has and the spec lacks is drift and is removed.
import type { ActualOrg, ActualPermissionSet, ActualRole, Tags } from '../model/actual.js';
import type { DesiredOrg, DesiredPermissionSet, DesiredRole } from '../model/desired.js';
import { expandTargets, accountTarget, matchAccount, type AccountTarget } from '../model/expand.js';
import { ownershipTags, TAG_MANAGED_BY, TAG_OWNER, TAG_DELETION_POLICY, MANAGED_BY_VALUE } from '../model/ownership.js';
import type { AccessOp, Blocked, IdRef, Op, PermissionSetBody, RoleBody } from './operations.js';
import { parsedDoc } from './documents.js';

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

function canon(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(canon);
    // IAM treats ["x"] and "x" alike and does not keep element order of principal/action lists.
    if (items.length === 1) return items[0];
    if (items.every((i) => typeof i === 'string')) return [...(items as string[])].sort();
    return items;
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** A policy document in a form two semantically equal documents share; '' stays ''. */
export function canonicalPolicy(doc: string): string {
  if (!doc.trim()) return '';
  try {
    return JSON.stringify(canon(JSON.parse(doc)));
  } catch {
    return doc;
  }
}

export const samePolicy = (a: string, b: string): boolean => canonicalPolicy(a) === canonicalPolicy(b);

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
    if (!d) { unknown.push(ref); continue; }
    const a = matchAccount(d, actual, desired.namespace);
    if (a) principals.push(`arn:aws:iam::${a.id}:root`);
    else { principals.push(`arn:aws:iam::${accountPlaceholder(ref)}:root`); pendingAccounts.push(ref); }
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

// ---- planning ----------------------------------------------------------------------------------

export interface AccessPlan {
  ops: AccessOp[];
  drift: Record<string, string[]>;
  blocked: Blocked[];
}

export interface AccessPlanOptions {
  /**
   * Access resources whose manifests are gone (controller: resources being deleted; CLI: found by
   * ownership tags on the AWS objects), with the deletion policy they had. Permission sets and
   * roles found by their orgplane tags are added automatically.
   */
  removed?: { kind: 'PermissionSet' | 'CrossAccountRole'; name: string; awsName: string; deletionPolicy: 'Retain' | 'Delete' }[];
  /**
   * Resource keys whose manifests exist but were left out (invalid spec, or a dependency is):
   * what they own in AWS is never deleted because of that.
   */
  protectedKeys?: ReadonlySet<string>;
}

const psKey = (name: string) => `PermissionSet/${name}`;
const roleKey = (name: string) => `CrossAccountRole/${name}`;

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

function tagsDiffer(want: Tags, have: Tags | undefined): boolean {
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
function createAccountOp(orgOps: Op[], accountRef: string): Op | undefined {
  return orgOps.find((o) => o.op === 'CreateAccount' && o.resource === `Account/${accountRef}`);
}

const principalKey = (type: string, id: string) => `${type}:${id}`;

export function planAccess(desired: DesiredOrg, actual: ActualOrg, orgOps: Op[], opts: AccessPlanOptions = {}): AccessPlan {
  const ops: AccessOp[] = [];
  const drift: Record<string, string[]> = {};
  const blocked: Blocked[] = [];
  let n = 0;
  const add = <T extends AccessOp>(op: Omit<T, 'id'>): T => {
    const full = { ...op, id: `op-a${++n}` } as T;
    ops.push(full);
    return full;
  };
  const note = (key: string, text: string) => { (drift[key] ??= []).push(text); };
  const access = actual.access;
  const ns = desired.namespace;

  /** Account for an op: its id, or a ref to its CreateAccount op (then a dep); undefined = unusable now. */
  const accountRef = (t: AccountTarget): { account: IdRef; deps: string[] } | undefined => {
    if (t.accountId) return { account: { id: t.accountId }, deps: [] };
    const create = t.ref ? createAccountOp(orgOps, t.ref) : undefined;
    return create ? { account: { ref: `Account/${t.ref}` }, deps: [create.id] } : undefined;
  };

  // ---- permission sets ----
  const psList = Object.values(desired.permissionSets).sort((a, b) => a.ref.localeCompare(b.ref));
  if (psList.length && !access?.instanceArn) {
    for (const p of psList) {
      blocked.push({ resource: p.key, reason: 'DependencyInvalid', message: access ? 'no IAM Identity Center instance found (ListInstances returned none); enable Identity Center in the management account' : 'Identity Center state was not read' });
    }
  }
  const instanceArn = access?.instanceArn ?? '';
  const unsupported = access?.unsupported ?? [];
  const desiredAwsNames = new Set<string>();
  for (const p of instanceArn ? psList : []) {
    desiredAwsNames.add(p.name);
    if (p.paused) { blocked.push({ resource: p.key, reason: 'Paused', message: 'orgplane.io/paused is set: changes are planned but not applied' }); continue; }
    const a = access!.permissionSets[p.name];
    // Explicit adoption: a permission set that exists without orgplane's ownership tags is left
    // alone unless the manifest opts in. An endpoint that cannot report permission set tags
    // (moto) gives no answer, and then the name is all there is to go by.
    if (a && a.tags !== undefined && a.tags[TAG_OWNER] === undefined && !p.adopt) {
      blocked.push({ resource: p.key, reason: 'AdoptionNeedsOptIn', message: `adopt (needs opt-in): permission set ${p.name} (${a.arn}) exists without orgplane's ownership tags; orgplane neither changes nor deletes it until the manifest has the annotation orgplane.io/adopt: "true"` });
      continue;
    }
    const body = permissionSetBody(p);
    const tags = { ...p.tags, ...ownershipTags(ns, p.key, p.deletionPolicy) };

    // Desired assignments: (account, principal) pairs, deduplicated.
    type Want = { target: AccountTarget; type: 'GROUP' | 'USER'; principalId: string; principalName: string };
    const wants = new Map<string, Want>();
    let unresolved = false;
    for (const asg of p.assignments) {
      const pr = asg.principal;
      const principalId = pr.id ?? (pr.name ? access!.principals[`${pr.type}:${pr.name}`] : undefined);
      const principalName = pr.name ?? pr.id ?? '';
      if (!principalId) {
        unresolved = true;
        blocked.push({ resource: p.key, reason: 'InvalidSpec', message: `${pr.type === 'GROUP' ? 'group' : 'user'} "${principalName}" not found in Identity Store ${access!.identityStoreId ?? ''}`.trimEnd() });
        continue;
      }
      for (const t of expandTargets(asg.accounts, asg.organizationalUnits, asg.includeDescendants, desired, actual)) {
        const k = `${t.accountId ?? `ref:${t.ref}`}|${principalKey(pr.type, principalId)}`;
        if (!wants.has(k)) wants.set(k, { target: t, type: pr.type, principalId, principalName });
      }
    }
    if (unresolved) continue; // an assignment set with a hole would delete what the hole covers

    let psRef: IdRef;
    let psDeps: string[] = [];
    if (!a) {
      const create = add<Extract<AccessOp, { op: 'CreatePermissionSet' }>>({
        op: 'CreatePermissionSet', deps: [], resource: p.key, instanceArn, name: p.name, spec: body, tags,
        summary: `create permission set ${p.name}`,
      });
      psRef = { ref: p.key };
      psDeps = [create.id];
    } else {
      psRef = { id: a.arn };
      const changes = permissionSetChanges(body, a, unsupported);
      const tagChange = tagsDiffer(tags, a.tags);
      if (changes.length || tagChange) {
        const all = tagChange ? [...changes, 'tags'] : changes;
        const upd = add<Extract<AccessOp, { op: 'UpdatePermissionSet' }>>({
          op: 'UpdatePermissionSet', deps: [], resource: p.key, instanceArn, permissionSetArn: a.arn, spec: body, changes: all,
          tags: tagChange ? tags : undefined,
          ...(changes.includes('inlinePolicy') ? { change: { inlinePolicy: { before: parsedDoc(a.inlinePolicy), after: parsedDoc(body.inlinePolicy) } } } : {}),
          summary: `update permission set ${p.name} (${all.join(', ')})`,
        });
        for (const c of all) note(p.key, `${c} differs from the manifest`);
        psDeps = [upd.id];
        // An account assignment provisions the set to its account, so a set with assignments is
        // provisioned even where ListAccountsForProvisionedPermissionSet does not say so (moto).
        const provisioned = new Set([...a.provisionedAccounts, ...Object.keys(a.assignments).filter((id) => a.assignments[id].length)]);
        if (changes.length && provisioned.size) {
          add<Extract<AccessOp, { op: 'ProvisionPermissionSet' }>>({
            op: 'ProvisionPermissionSet', deps: [upd.id], resource: p.key, instanceArn, permissionSet: psRef, accounts: [], allProvisioned: true, name: p.name,
            summary: `re-provision permission set ${p.name} to all ${provisioned.size} provisioned account(s)`,
          });
        }
      } else if (a.outdatedAccounts.length) {
        note(p.key, `provisioned copy out of date in ${a.outdatedAccounts.join(', ')}`);
        add<Extract<AccessOp, { op: 'ProvisionPermissionSet' }>>({
          op: 'ProvisionPermissionSet', deps: [], resource: p.key, instanceArn, permissionSet: psRef,
          accounts: a.outdatedAccounts.map((id) => ({ id })), name: p.name,
          summary: `provision permission set ${p.name} to ${a.outdatedAccounts.length} outdated account(s)`,
        });
      }
    }

    // Create missing assignments.
    const wantedKeys = new Set<string>();
    for (const w of [...wants.values()]) {
      const r = accountRef(w.target);
      if (!r) {
        blocked.push({ resource: p.key, reason: 'DependencyInvalid', message: `account ${w.target.ref ?? w.target.name} does not exist and is not being created in this plan` });
        continue;
      }
      if (w.target.accountId) {
        wantedKeys.add(`${w.target.accountId}|${principalKey(w.type, w.principalId)}`);
        const have = a?.assignments[w.target.accountId];
        if (have?.includes(principalKey(w.type, w.principalId))) continue;
        if (a) note(p.key, `assignment ${w.type} ${w.principalName} -> ${w.target.name} (${w.target.accountId}) is missing in AWS`);
      }
      add<Extract<AccessOp, { op: 'CreateAccountAssignment' }>>({
        op: 'CreateAccountAssignment', deps: [...psDeps, ...r.deps], resource: p.key, instanceArn, permissionSet: psRef, account: r.account,
        principalType: w.type, principalId: w.principalId, accountName: w.target.name, principalName: w.principalName,
        summary: `assign ${p.name} to ${w.type.toLowerCase()} ${w.principalName} in ${w.target.name}${w.target.accountId ? ` (${w.target.accountId})` : ''}`,
      });
    }
    // Delete extra assignments (exclusive management).
    if (a) {
      for (const [accountId, keys] of Object.entries(a.assignments).sort()) {
        for (const k of keys) {
          if (wantedKeys.has(`${accountId}|${k}`)) continue;
          const [type, principalId] = k.split(':') as ['GROUP' | 'USER', string];
          const principalName = Object.entries(access!.principals).find(([, id]) => id === principalId)?.[0].split(':').slice(1).join(':') ?? principalId;
          const accountName = actual.accounts[accountId]?.name ?? accountId;
          note(p.key, `assignment ${type} ${principalName} -> ${accountName} (${accountId}) is not in the manifest`);
          add<Extract<AccessOp, { op: 'DeleteAccountAssignment' }>>({
            op: 'DeleteAccountAssignment', deps: [], resource: p.key, instanceArn, permissionSetArn: a.arn, accountId,
            principalType: type, principalId, accountName, principalName,
            summary: `remove ${p.name} from ${type.toLowerCase()} ${principalName} in ${accountName} (${accountId})`,
          });
        }
      }
    }
  }

  // Permission sets whose manifests are gone.
  const removedPs = new Map<string, { name: string; deletionPolicy: string }>();
  for (const r of opts.removed ?? []) if (r.kind === 'PermissionSet') removedPs.set(r.awsName, { name: r.name, deletionPolicy: r.deletionPolicy });
  for (const a of Object.values(access?.permissionSets ?? {})) {
    const owner = a.tags?.[TAG_OWNER] ?? '';
    const prefix = `${ns}/PermissionSet/`;
    if (a.tags?.[TAG_MANAGED_BY] === MANAGED_BY_VALUE && owner.startsWith(prefix) && !removedPs.has(a.name)) {
      removedPs.set(a.name, { name: owner.slice(prefix.length), deletionPolicy: a.tags[TAG_DELETION_POLICY] ?? 'Retain' });
    }
  }
  for (const [awsName, r] of [...removedPs].sort()) {
    if (desiredAwsNames.has(awsName) || desired.permissionSets[r.name] || opts.protectedKeys?.has(psKey(r.name))) continue;
    const a = access?.permissionSets[awsName];
    if (!a || r.deletionPolicy !== 'Delete') continue; // Retain: left in AWS as it is
    const key = psKey(r.name);
    const deps: string[] = [];
    for (const [accountId, keys] of Object.entries(a.assignments).sort()) {
      for (const k of keys) {
        const [type, principalId] = k.split(':') as ['GROUP' | 'USER', string];
        const accountName = actual.accounts[accountId]?.name ?? accountId;
        deps.push(add<Extract<AccessOp, { op: 'DeleteAccountAssignment' }>>({
          op: 'DeleteAccountAssignment', deps: [], resource: key, instanceArn, permissionSetArn: a.arn, accountId,
          principalType: type, principalId, accountName, principalName: principalId,
          summary: `remove ${awsName} from ${type.toLowerCase()} ${principalId} in ${accountName} (${accountId}) before deleting it`,
        }).id);
      }
    }
    add<Extract<AccessOp, { op: 'DeletePermissionSet' }>>({
      op: 'DeletePermissionSet', deps, resource: key, instanceArn, permissionSetArn: a.arn, name: awsName,
      summary: `delete permission set ${awsName} (deletionPolicy: Delete)`,
    });
  }

  // ---- cross-account roles ----
  const roleTargets = new Map<string, Set<string>>(); // role key -> account ids covered
  // Roles not planned this run (blocked before their targets were worked out).
  const blockedRoles = new Set<string>();
  for (const role of Object.values(desired.roles).sort((a, b) => a.ref.localeCompare(b.ref))) {
    const covered = new Set<string>();
    roleTargets.set(role.key, covered);
    if (role.paused) { blocked.push({ resource: role.key, reason: 'Paused', message: 'orgplane.io/paused is set: changes are planned but not applied' }); continue; }
    if (!access) { blocked.push({ resource: role.key, reason: 'DependencyInvalid', message: 'IAM role state was not read' }); blockedRoles.add(role.key); continue; }
    const trust = trustPolicy(role, desired, actual);
    if (trust.unknown.length) {
      blocked.push({ resource: role.key, reason: 'InvalidSpec', message: `trust.accounts: unknown Account ${trust.unknown.map((u) => `"${u}"`).join(', ')}` });
      blockedRoles.add(role.key);
      continue;
    }
    const trustDeps = trust.pendingAccounts.map((ref) => createAccountOp(orgOps, ref)?.id).filter((x): x is string => !!x);
    if (trustDeps.length < trust.pendingAccounts.length) {
      blocked.push({ resource: role.key, reason: 'DependencyInvalid', message: `trusted account(s) ${trust.pendingAccounts.join(', ')} do not exist and are not being created in this plan` });
      blockedRoles.add(role.key);
      continue;
    }
    const body = roleBody(role, trust.doc, ns);
    for (const t of expandTargets(role.targetAccounts, role.targetOUs, role.includeDescendants, desired, actual)) {
      const r = accountRef(t);
      if (!r) {
        blocked.push({ resource: role.key, reason: 'DependencyInvalid', message: `account ${t.ref ?? t.name} does not exist and is not being created in this plan` });
        continue;
      }
      const deps = [...new Set([...r.deps, ...trustDeps])];
      const where = `${t.name}${t.accountId ? ` (${t.accountId})` : ''}`;
      if (t.accountId) {
        covered.add(t.accountId);
        const readError = access.roleReadErrors[t.accountId];
        const have = access.roles[`${t.accountId}/${role.roleName}`];
        if (readError) {
          add<Extract<AccessOp, { op: 'PutRole' }>>({
            op: 'PutRole', deps, resource: role.key, account: r.account, accountName: t.name, accessRoleName: t.accessRoleName, role: body,
            create: false, changes: [`unknown (read failed: ${readError})`],
            summary: `ensure role ${role.roleName} in ${where} (its current state could not be read)`,
          });
          continue;
        }
        if (have && have.tags[TAG_OWNER] === undefined && !role.adopt) {
          blocked.push({ resource: role.key, reason: 'AdoptionNeedsOptIn', message: `adopt (needs opt-in): role ${role.roleName} in ${where} exists without orgplane's ownership tags; orgplane neither changes nor deletes it until the manifest has the annotation orgplane.io/adopt: "true"` });
          continue;
        }
        if (have) {
          const changes = roleChanges(body, have);
          if (!changes.length) continue;
          for (const c of changes) note(role.key, `${where}: ${c} differs from the manifest`);
          add<Extract<AccessOp, { op: 'PutRole' }>>({
            op: 'PutRole', deps, resource: role.key, account: r.account, accountName: t.name, accessRoleName: t.accessRoleName, role: body,
            create: false, changes, change: roleDocChanges(body, have, changes),
            summary: have.tags[TAG_OWNER] === undefined
              ? `adopt role ${role.roleName} in ${where} (orgplane.io/adopt): write ownership tags and ${changes.join(', ')}`
              : `update role ${role.roleName} in ${where} (${changes.join(', ')})`,
          });
          continue;
        }
      }
      add<Extract<AccessOp, { op: 'PutRole' }>>({
        op: 'PutRole', deps, resource: role.key, account: r.account, accountName: t.name, accessRoleName: t.accessRoleName, role: body,
        create: true, changes: [], summary: `create role ${role.roleName} in ${where}`,
      });
    }
  }

  // Roles tagged as ours in accounts a role no longer covers (account left the OU, or the
  // manifest is gone): deleted with deletionPolicy Delete, otherwise left in place.
  const removedRoles = new Map<string, string>();
  for (const r of opts.removed ?? []) if (r.kind === 'CrossAccountRole') removedRoles.set(roleKey(r.name), r.deletionPolicy);
  for (const have of Object.values(access?.roles ?? {}).sort((a, b) => `${a.accountId}/${a.roleName}`.localeCompare(`${b.accountId}/${b.roleName}`))) {
    if (have.tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE) continue;
    const owner = have.tags[TAG_OWNER] ?? '';
    const prefix = `${ns}/`;
    if (!owner.startsWith(`${prefix}CrossAccountRole/`)) continue;
    const key = owner.slice(prefix.length);
    const d = Object.values(desired.roles).find((x) => x.key === key);
    // An invalid or blocked role is not planned this run: its copies stay as they are.
    if (opts.protectedKeys?.has(key) || blockedRoles.has(key)) continue;
    if (d && (roleTargets.get(key)?.has(have.accountId) || d.paused)) continue;
    const policy = d?.deletionPolicy ?? removedRoles.get(key) ?? have.tags[TAG_DELETION_POLICY] ?? 'Retain';
    const accountName = actual.accounts[have.accountId]?.name ?? have.accountId;
    if (policy !== 'Delete') {
      note(key, `role ${have.roleName} in ${accountName} (${have.accountId}) is no longer targeted; retained (deletionPolicy: Retain)`);
      continue;
    }
    const acct = Object.values(desired.accounts).find((x) => matchAccount(x, actual, ns)?.id === have.accountId);
    add<Extract<AccessOp, { op: 'DeleteRole' }>>({
      op: 'DeleteRole', deps: [], resource: key, accountId: have.accountId, accountName,
      accessRoleName: acct ? accountTarget(acct.ref, desired, actual)?.accessRoleName ?? acct.accessRoleName : 'OrganizationAccountAccessRole',
      roleName: have.roleName, summary: `delete role ${have.roleName} in ${accountName} (${have.accountId})`,
    });
  }

  return { ops, drift, blocked };
}

