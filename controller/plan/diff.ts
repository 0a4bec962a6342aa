// planOrg: the Organizations part of the plan (OUs, accounts, SCPs, attachments, org settings).
// Pure: DesiredOrg + ActualOrg in, Plan out; no AWS calls. Matching lives in match.ts, deletion
// rules in safety.ts, SCP preflight in preflight.ts, dependencies and op ids in order.ts.
import type { ActualOrg, ActualOU, Tags } from '../model/actual.js';
import type { DesiredOrg, TargetRef } from '../model/desired.js';
import { RESERVED_TAG_PREFIX, TAG_DELETION_POLICY, TAG_OWNER, ownershipTags } from '../model/ownership.js';
import type { Blocked, OrgOp, Plan } from './operations.js';
import { isNewNode, matchOrg, newNode, nodeRef, refNode, type NodeKey, type OUMatch } from './match.js';
import { orderDrafts, type Draft } from './order.js';
import { ScpView, scpDelta } from './preflight.js';
import { circuitBreaker, closureQuota, planDeletions, refuseNonEmptyDeletes, targetName, type DeletionGroup } from './safety.js';

export interface PlanOptions {
  namespace: string;
  observeOnly?: boolean;
  /** Resource keys left out by validation: never delete what they describe. */
  invalid?: Set<string>;
  /** Blocked entries from earlier stages (validation); carried into the plan, and their resources are protected like `invalid`. */
  blocked?: Blocked[];
  /** Access deletions (permission sets, assignments, role copies) and managed access objects, for the one circuit breaker. */
  accessDeletions?: { units: { resource: string; label: string }[]; managed: number };
}

const FULL_ACCESS_ID = 'p-FullAWSAccess';

export function planOrg(desired: DesiredOrg, actual: ActualOrg, opts: PlanOptions): Plan {
  const ns = opts.namespace;
  const protectedKeys = new Set<string>([...(opts.invalid ?? []), ...(opts.blocked ?? []).map((b) => b.resource)]);
  const m = matchOrg(desired, actual, { namespace: ns, protectedKeys });
  const drafts: Draft[] = [];
  const blocked: Blocked[] = [...(opts.blocked ?? []), ...m.blocked];
  const warnings: string[] = [...m.warnings];
  const drift = new Map<string, string[]>();
  const noteDrift = (key: string, text: string): void => {
    const list = drift.get(key);
    if (list) list.push(text);
    else drift.set(key, [text]);
  };
  const mgmt = actual.managementAccountId;

  // ---- indexes over the live org (one pass each: the planner must stay linear) ----
  const ouChildren = new Map<string, ActualOU[]>();
  for (const ou of Object.values(actual.ous)) push(ouChildren, ou.parentId, ou);
  const accountsIn = new Map<string, string[]>();
  for (const acc of Object.values(actual.accounts)) push(accountsIn, acc.parentId, acc.id);
  const policiesOn = new Map<string, string[]>();
  for (const p of Object.values(actual.policies)) for (const t of p.targets ?? []) push(policiesOn, t, p.id);
  const depthMemo = new Map<string, number>();
  const ouDepth = (id: string): number => {
    const hit = depthMemo.get(id);
    if (hit !== undefined) return hit;
    depthMemo.set(id, 0);
    const ou = actual.ous[id];
    const d = ou ? ouDepth(ou.parentId) + 1 : 0;
    depthMemo.set(id, d);
    return d;
  };
  const managedPolicyIds = new Set<string>();
  for (const pm of m.policies.values()) if (pm.actual) managedPolicyIds.add(pm.actual.id);
  const matchedAccountIds = new Set<string>();
  for (const am of m.accounts.values()) if (am.actual) matchedAccountIds.add(am.actual.id);

  // Display names for nodes (existing ids and objects this plan creates).
  const newNames = new Map<NodeKey, string>();
  for (const om of m.ous.values()) if (isNewNode(om.node)) newNames.set(om.node, om.desired.name);
  for (const am of m.accounts.values()) if (isNewNode(am.node)) newNames.set(am.node, am.desired.name);
  for (const pm of m.policies.values()) if (isNewNode(pm.node)) newNames.set(pm.node, pm.desired.name);
  const nodeName = (n: NodeKey): string => (isNewNode(n) ? `${newNames.get(n) ?? n.slice(4)} (new)` : targetName(actual, n));

  // ---- organization settings (only the lists a manifest sets) ----
  const org = desired.organization;
  if (org) {
    const res = org.key;
    if (org.featureSet !== actual.featureSet) noteDrift(res, `feature set is ${actual.featureSet}, manifest says ${org.featureSet} (not changed by orgplane)`);
    if (org.enabledPolicyTypes) {
      const have = new Set(actual.root.enabledPolicyTypes);
      const want = new Set(org.enabledPolicyTypes);
      for (const t of [...want].sort()) if (!have.has(t)) drafts.push({ body: { op: 'EnablePolicyType', resource: res, rootId: actual.root.id, policyType: t, summary: `enable policy type ${t} on the root` } });
      for (const t of [...have].sort()) {
        if (want.has(t)) continue;
        noteDrift(res, `policy type ${t} is enabled but not in spec.enabledPolicyTypes`);
        drafts.push({ body: { op: 'DisablePolicyType', resource: res, rootId: actual.root.id, policyType: t, summary: `disable policy type ${t} on the root` } });
      }
    }
    if (org.trustedServices) {
      const have = new Set(actual.trustedServices);
      const want = new Set(org.trustedServices);
      for (const s of [...want].sort()) if (!have.has(s)) drafts.push({ body: { op: 'EnableServiceAccess', resource: res, servicePrincipal: s, summary: `enable trusted access for ${s}` } });
      for (const s of [...have].sort()) {
        if (want.has(s)) continue;
        noteDrift(res, `trusted access for ${s} is enabled but not in spec.trustedServices`);
        drafts.push({ body: { op: 'DisableServiceAccess', resource: res, servicePrincipal: s, summary: `disable trusted access for ${s}` } });
      }
    }
    if (org.delegatedAdministrators) {
      const have = new Set(actual.delegatedAdmins.map((d) => `${d.accountId}|${d.servicePrincipal}`));
      const want = new Set<string>();
      for (const da of org.delegatedAdministrators) {
        const am = m.accounts.get(da.account);
        if (!am) {
          warnings.push(`${res}: delegated administrator Account/${da.account} is not planned; ${da.servicePrincipal} left as is`);
          // Keep whatever AWS has for that service rather than deregistering it.
          for (const d of actual.delegatedAdmins) if (d.servicePrincipal === da.servicePrincipal) want.add(`${d.accountId}|${d.servicePrincipal}`);
          continue;
        }
        if (am.node === mgmt) {
          blocked.push({ resource: res, reason: 'ManagementAccount', message: `Account/${da.account} is the management account, which cannot be a delegated administrator (${da.servicePrincipal})` });
          continue;
        }
        want.add(`${am.node}|${da.servicePrincipal}`);
        if (!have.has(`${am.node}|${da.servicePrincipal}`)) {
          drafts.push({ body: { op: 'RegisterDelegatedAdmin', resource: res, account: nodeRef(am.node), servicePrincipal: da.servicePrincipal, summary: `register ${nodeName(am.node)} as delegated administrator for ${da.servicePrincipal}` } });
        }
      }
      for (const d of actual.delegatedAdmins) {
        if (want.has(`${d.accountId}|${d.servicePrincipal}`)) continue;
        noteDrift(res, `${targetName(actual, d.accountId)} is delegated administrator for ${d.servicePrincipal}, not in spec.delegatedAdministrators`);
        drafts.push({ body: { op: 'DeregisterDelegatedAdmin', resource: res, accountId: d.accountId, servicePrincipal: d.servicePrincipal, summary: `deregister ${targetName(actual, d.accountId)} as delegated administrator for ${d.servicePrincipal}` } });
      }
    }
  }

  // ---- tags: exactly spec tags + ownership tags; other tags are drift only ----
  const planTags = (key: string, target: string, lbl: string, spec: Tags, ownWanted: Tags, have: Tags | undefined, adoptedById = false): void => {
    // Tags not read (accounts, where reading costs a call per account): nothing is known, so
    // nothing is planned. The engine reads them wherever an answer matters (spec tags, a
    // deletion policy to record, accounts no manifest names).
    if (have === undefined) return;
    // An object adopted by AWS id with deletionPolicy Retain needs no ownership record: losing
    // its manifest only means orgplane stops managing it. So `orgplane import` re-plans to zero.
    const own = adoptedById && have[TAG_OWNER] === undefined && ownWanted[TAG_DELETION_POLICY] === 'Retain' ? {} : ownWanted;
    const want: Tags = { ...spec, ...own };
    const set: Tags = {};
    for (const k of Object.keys(want).sort()) {
      if (have[k] === want[k]) continue;
      set[k] = want[k];
      if (!k.startsWith(RESERVED_TAG_PREFIX)) noteDrift(key, have[k] === undefined ? `tag ${k} is missing` : `tag ${k} is "${have[k]}", manifest says "${want[k]}"`);
    }
    const remove = Object.keys(have).filter((k) => k.startsWith(RESERVED_TAG_PREFIX) && !(k in want)).sort();
    for (const k of Object.keys(have).sort()) {
      if (!k.startsWith(RESERVED_TAG_PREFIX) && !(k in want)) noteDrift(key, `tag ${k}=${have[k]} is not in the manifest (left as is)`);
    }
    if (Object.keys(set).length > 0 && have[TAG_OWNER] === undefined && own[TAG_OWNER] !== undefined) {
      // Taking over an object orgplane did not create (the manifest opted in: match.ts refuses
      // otherwise) is an op of its own, so the plan says "adopt", not "tag".
      const what = Object.keys(set).filter((k) => !k.startsWith(RESERVED_TAG_PREFIX)).map((k) => `${k}=${set[k]}`);
      drafts.push({
        body: {
          op: 'AdoptResource', resource: key, target: { id: target }, objectKind: objectKindOf(key), name: lbl, tags: set,
          summary: `adopt ${lbl}: write orgplane's ownership tags${what.length ? ` and ${what.join(', ')}` : ''}`,
        },
      });
    } else if (Object.keys(set).length > 0) {
      const adopting = have[TAG_OWNER] !== own[TAG_OWNER];
      const what = Object.keys(set).filter((k) => !k.startsWith(RESERVED_TAG_PREFIX)).map((k) => `${k}=${set[k]}`);
      const summary = adopting
        ? `adopt ${lbl}: add ownership tags${what.length ? ` and ${what.join(', ')}` : ''}`
        : `tag ${lbl}: ${Object.keys(set).map((k) => `${k}=${set[k]}`).join(', ')}`;
      drafts.push({ body: { op: 'TagResource', resource: key, target: { id: target }, tags: set, summary } });
    }
    if (remove.length > 0) drafts.push({ body: { op: 'UntagResource', resource: key, target: { id: target }, tagKeys: remove, summary: `untag ${lbl}: ${remove.join(', ')}` } });
  };

  // ---- OUs ----
  const groupOfNode = new Map<NodeKey, string>();
  const groupHead = new Map<string, OUMatch>();
  const shadowParent = new Map<NodeKey, NodeKey>();
  const evacuated = new Set<string>();
  const moveDest = new Map<string, NodeKey>();
  /** Unmanaged policies re-attached to a recreated OU: new node -> policy names. */
  const reattached = new Map<NodeKey, string[]>();
  const oldOUs = new Set<string>();
  const movers: Draft[] = [];

  const planMove = (accId: string, to: NodeKey, resource: string, why: string): void => {
    const acc = actual.accounts[accId];
    const d: Draft = {
      body: {
        op: 'MoveAccount', resource, accountId: accId, fromId: acc.parentId, to: nodeRef(to), gained: [], lost: [],
        summary: `move account ${acc.name} (${accId}) from ${nodeName(acc.parentId)} to ${nodeName(to)}${why}`,
      },
    };
    moveDest.set(accId, to);
    movers.push(d);
    drafts.push(d);
  };

  /** Empties an OU that AWS cannot move into its replacement `into`, then deletes it (bottom-up). */
  const evacuate = (old: ActualOU, into: NodeKey, intoDepth: number, resource: string, group: string): void => {
    oldOUs.add(old.id);
    groupOfNode.set(old.id, group);
    groupOfNode.set(into, group);
    for (const child of ouChildren.get(old.id) ?? []) {
      if (m.claimed.has(child.id)) continue; // a manifest describes it: its own match recreates it
      const shadowKey = `OrganizationalUnit/~${child.id}`;
      const shadow = newNode(shadowKey);
      newNames.set(shadow, child.name);
      shadowParent.set(shadow, into);
      evacuated.add(child.id);
      drafts.push({
        depth: intoDepth + 1,
        body: { op: 'CreateOU', resource: shadowKey, name: child.name, parent: nodeRef(into), tags: child.tags ?? {}, summary: `create OU ${child.name} under ${nodeName(into)} (copy of unmanaged ${child.id})` },
      });
      evacuate(child, shadow, intoDepth + 1, shadowKey, group);
    }
    for (const accId of accountsIn.get(old.id) ?? []) {
      if (matchedAccountIds.has(accId)) continue; // its manifest decides where it goes
      if (accId === mgmt) continue; // never moved; refuseNonEmptyDeletes reports the OU
      evacuated.add(accId);
      planMove(accId, into, resource, '');
    }
    const names: string[] = [];
    for (const pid of policiesOn.get(old.id) ?? []) {
      if (managedPolicyIds.has(pid)) continue; // a manifest lists its targets
      const p = actual.policies[pid];
      names.push(p.name);
      drafts.push({
        body: {
          op: 'AttachPolicy', resource, policy: { id: pid }, target: nodeRef(into), policyName: p.name, targetName: nodeName(into),
          summary: `re-attach SCP ${p.name} to ${nodeName(into)} (was on ${old.id})`,
        },
      });
    }
    if (names.length > 0) reattached.set(into, [...(reattached.get(into) ?? []), ...names]);
    drafts.push({
      deletion: true, parentNode: old.parentId, depth: ouDepth(old.id),
      body: { op: 'DeleteOU', resource, ouId: old.id, name: old.name, summary: `delete old OU ${old.name} (${old.id})` },
    });
  };

  for (const om of m.ous.values()) {
    const d = om.desired;
    const own = ownershipTags(ns, d.key, d.deletionPolicy);
    if (!om.current) {
      drafts.push({
        depth: om.depth,
        body: { op: 'CreateOU', resource: d.key, name: d.name, parent: nodeRef(om.parentNode), tags: { ...d.tags, ...own }, summary: `create OU ${d.name} under ${nodeName(om.parentNode)}` },
      });
    } else {
      const cur = om.current;
      if (cur.name !== d.name) {
        noteDrift(d.key, `name is "${cur.name}", manifest says "${d.name}"`);
        drafts.push({ body: { op: 'RenameOU', resource: d.key, ouId: cur.id, from: cur.name, to: d.name, summary: `rename OU ${cur.name} (${cur.id}) to ${d.name}` } });
      }
      planTags(d.key, cur.id, `OU ${d.name} (${cur.id})`, d.tags, own, cur.tags, om.how === 'id');
    }
    if (om.olds.length > 0) {
      const parentGroup = d.parent === 'root' ? undefined : groupOfNode.get(m.ous.get(d.parent)?.node ?? '');
      const group = parentGroup ?? `recreate:${d.key}`;
      if (!parentGroup) groupHead.set(group, om);
      for (const old of om.olds) {
        noteDrift(d.key, `OU ${old.name} (${old.id}) is under ${nodeName(old.parentId)}, manifest says ${nodeName(om.parentNode)}: AWS cannot move OUs, so it is recreated`);
        evacuate(old, om.node, om.depth, d.key, group);
      }
    }
  }

  // ---- accounts ----
  for (const am of m.accounts.values()) {
    const d = am.desired;
    const own = ownershipTags(ns, d.key, d.deletionPolicy);
    const a = am.actual;
    if (!a) {
      drafts.push({
        body: {
          op: 'CreateAccount', resource: d.key, name: d.name, email: d.email, parent: nodeRef(am.parentNode), tags: { ...d.tags, ...own },
          roleName: d.accessRoleName, ...(d.iamUserAccessToBilling ? { iamUserAccessToBilling: d.iamUserAccessToBilling } : {}),
          summary: `create account ${d.name} <${d.email}> in ${nodeName(am.parentNode)}`,
        },
      });
      continue;
    }
    if (a.name !== d.name) noteDrift(d.key, `name is "${a.name}", manifest says "${d.name}" (orgplane does not rename accounts)`);
    if (a.email.toLowerCase() !== d.email.toLowerCase()) noteDrift(d.key, `email is ${a.email}, manifest says ${d.email} (orgplane does not change account emails)`);
    if (a.state === 'SUSPENDED' || a.state === 'PENDING_CLOSURE') {
      noteDrift(d.key, `account is ${a.state}`);
      warnings.push(`${d.key}: account ${a.name} (${a.id}) is ${a.state}; orgplane does not move or tag closed accounts`);
      continue;
    }
    if (a.parentId !== am.parentNode) {
      noteDrift(d.key, `in ${nodeName(a.parentId)}, manifest says ${nodeName(am.parentNode)}`);
      if (a.id === mgmt) {
        blocked.push({ resource: d.key, reason: 'ManagementAccount', message: `account ${a.name} (${a.id}) is the management account; orgplane never moves it (it stays in ${nodeName(a.parentId)})` });
      } else planMove(a.id, am.parentNode, d.key, '');
    }
    planTags(d.key, a.id, `account ${d.name} (${a.id})`, d.tags, own, a.tags, am.how === 'id');
  }

  // ---- policies and their attachments ----
  const afterAttached = new Map<NodeKey, string[]>();
  for (const [node, names] of reattached) for (const n of names) push(afterAttached, node, n);
  for (const p of Object.values(actual.policies)) {
    if (managedPolicyIds.has(p.id)) continue;
    for (const t of p.targets ?? []) push(afterAttached, t, p.name);
  }
  const resolveTarget = (t: TargetRef): { node?: NodeKey; label: string } => {
    if (t.kind === 'root') return { node: actual.root.id, label: 'Root' };
    if (t.kind === 'ou') return { node: m.ous.get(t.ref)?.node, label: `OrganizationalUnit/${t.ref}` };
    return { node: m.accounts.get(t.ref)?.node, label: `Account/${t.ref}` };
  };
  for (const pm of m.policies.values()) {
    const d = pm.desired;
    const p = pm.actual;
    const own = ownershipTags(ns, d.key, d.deletionPolicy);
    if (!p) {
      drafts.push({ body: { op: 'CreatePolicy', resource: d.key, name: d.name, description: d.description, content: d.content, tags: { ...d.tags, ...own }, summary: `create SCP ${d.name}` } });
    } else if (!d.awsManaged) {
      const changes: string[] = [];
      const upd: { name?: string; description?: string; content?: string } = {};
      if (p.name !== d.name) { upd.name = d.name; changes.push(`name ${p.name} -> ${d.name}`); }
      if (p.description !== d.description) { upd.description = d.description; changes.push('description'); }
      if (!sameJson(p.content, d.content)) { upd.content = d.content; changes.push('content'); }
      if (changes.length > 0) {
        noteDrift(d.key, `${changes.join(', ')} differ from the manifest`);
        const change = upd.content !== undefined ? { change: { content: { before: parsedDoc(p.content), after: parsedDoc(d.content) } } } : {};
        drafts.push({ body: { op: 'UpdatePolicy', resource: d.key, policyId: p.id, ...upd, ...change, summary: `update SCP ${p.name} (${p.id}): ${changes.join(', ')}` } });
      }
      planTags(d.key, p.id, `SCP ${d.name} (${p.id})`, d.tags, own, p.tags, pm.how === 'id');
    }
    const want = new Map<NodeKey, string>();
    let unresolved = false;
    for (const t of d.targets) {
      const r = resolveTarget(t);
      if (r.node === undefined) { unresolved = true; continue; }
      if (r.node === mgmt) {
        blocked.push({ resource: d.key, reason: 'ManagementAccount', message: `${r.label} is the management account; SCPs do not apply to it and orgplane never attaches them to it` });
        continue;
      }
      want.set(r.node, r.label);
    }
    for (const node of want.keys()) push(afterAttached, node, d.name);
    if (p && p.targets === undefined) {
      warnings.push(`${d.key}: the targets of SCP ${p.name} (${p.id}) were not read; attachments not compared`);
      continue;
    }
    const have = new Set(p?.targets ?? []);
    for (const node of [...want.keys()].sort()) {
      if (have.has(node)) continue;
      if (p && !isNewNode(node)) noteDrift(d.key, `not attached to ${nodeName(node)}`);
      drafts.push({
        body: {
          op: 'AttachPolicy', resource: d.key, policy: nodeRef(pm.node), target: nodeRef(node), policyName: d.name, targetName: nodeName(node),
          summary: `attach SCP ${d.name} to ${nodeName(node)}`,
        },
      });
    }
    if (unresolved) {
      warnings.push(`${d.key}: some targets are not planned (blocked or missing), so no attachment is detached this run`);
      continue;
    }
    // AWS managed policies (FullAWSAccess) are attached by AWS itself to every new OU and account,
    // and taking the only Allow away denies everything below: by default their targets are "at
    // least these" (exclusiveTargets: false).
    if (!d.exclusiveTargets) continue;
    for (const t of [...have].sort()) {
      if (want.has(t) || t === mgmt || oldOUs.has(t)) continue; // old OUs are deleted with their attachments
      noteDrift(d.key, `attached to ${nodeName(t)}, which is not in spec.targets`);
      drafts.push({
        body: {
          op: 'DetachPolicy', resource: d.key, policyId: p!.id, targetId: t, policyName: d.name, targetName: nodeName(t),
          summary: `detach SCP ${d.name} from ${nodeName(t)} (not in spec.targets)`,
        },
      });
    }
  }

  // ---- deletions (manifest removed, or pruning) ----
  const del = planDeletions({
    actual, ownedBy: m.ownedBy, protectedKeys, pruneUnmanaged: desired.quotas.pruneUnmanaged, ouDepth,
    isAccountedFor: (id) => m.claimed.has(id) || evacuated.has(id),
  });
  blocked.push(...del.blocked);
  warnings.push(...del.warnings);
  // Where every account ends up, so OU deletes that would leave something behind are refused.
  const finalParent = new Map<string, string>();
  const removed = new Set<string>();
  for (const g of del.groups) for (const x of g.drafts) if (x.body.op === 'RemoveAccount') removed.add(x.body.accountId);
  for (const acc of Object.values(actual.accounts)) {
    if (removed.has(acc.id)) continue;
    finalParent.set(acc.id, moveDest.get(acc.id) ?? acc.parentId);
  }
  const deletionDrafts = del.groups.flatMap((g) => g.drafts);
  const checked = refuseNonEmptyDeletes([...drafts.filter((x) => x.body.op === 'DeleteOU'), ...deletionDrafts], actual, finalParent);
  blocked.push(...checked.blocked);
  const keptSet = new Set(checked.kept);
  const refusedDeletes = (x: Draft): boolean => x.body.op === 'DeleteOU' && !keptSet.has(x);
  // Replacement deletes of recreated OUs stay in the plan's main drafts; a refused one just disappears.
  const mainDrafts = drafts.filter((x) => !refusedDeletes(x));
  let groups: DeletionGroup[] = del.groups.map((g) => ({ ...g, drafts: g.drafts.filter((x) => !refusedDeletes(x)) }));

  const managedIds = new Set<string>([...m.ownedBy.keys()].filter((id) => !protectedKeys.has(m.ownedBy.get(id)!)));
  for (const om of m.ous.values()) if (om.current) managedIds.add(om.current.id);
  for (const id of matchedAccountIds) managedIds.add(id);
  for (const id of managedPolicyIds) if (!actual.policies[id]?.awsManaged) managedIds.add(id);
  const desiredEmpty = Object.keys(desired.ous).length + Object.keys(desired.accounts).length + Object.keys(desired.policies).length
    + Object.keys(desired.permissionSets).length + Object.keys(desired.roles).length === 0;
  const breaker = circuitBreaker(groups, {
    managed: managedIds.size + (opts.accessDeletions?.managed ?? 0), desiredEmpty, maxDeleteFraction: desired.quotas.maxDeleteFraction,
    extra: opts.accessDeletions?.units,
  });
  blocked.push(...breaker.blocked);
  if (breaker.message) warnings.push(`deletion circuit breaker: ${breaker.message}`);
  groups = breaker.groups;
  const quota = closureQuota(groups, desired.quotas.maxAccountClosuresPerRun);
  blocked.push(...quota.blocked);
  groups = quota.groups;
  for (const g of groups) mainDrafts.push(...g.drafts);

  // ---- preflight: SCPs each moved account gains and loses ----
  if (movers.length > 0) {
    const beforeAttached = new Map<string, string[]>();
    for (const p of Object.values(actual.policies)) for (const t of p.targets ?? []) push(beforeAttached, t, p.name);
    const before = new ScpView((n) => actual.ous[n]?.parentId, (n) => beforeAttached.get(n) ?? []);
    const afterParent = new Map<NodeKey, NodeKey>(shadowParent);
    for (const om of m.ous.values()) afterParent.set(om.node, om.parentNode);
    const after = new ScpView((n) => afterParent.get(n) ?? actual.ous[n]?.parentId, (n) => afterAttached.get(n) ?? []);
    for (const mv of movers) {
      if (mv.body.op !== 'MoveAccount') continue;
      const { gained, lost } = scpDelta(before.forAccount(mv.body.accountId, mv.body.fromId), after.forAccount(mv.body.accountId, refNode(mv.body.to)));
      mv.body.gained = gained;
      mv.body.lost = lost;
      if (gained.length + lost.length > 0) {
        mv.body.summary += ` (${[gained.length ? `gains ${gained.join(', ')}` : '', lost.length ? `loses ${lost.join(', ')}` : ''].filter(Boolean).join('; ')})`;
      }
      // Only a move the manifest asks for waits: accounts carried along when AWS-unmovable OUs
      // are recreated move because the user moved the OU.
      const approval = desired.quotas.migrationApproval;
      if (mv.body.resource.startsWith('Account/') && (approval === 'Always' || (approval === 'WhenPoliciesChange' && gained.length + lost.length > 0))) {
        mv.body.requireApproval = true;
        mv.body.summary += ' [needs approval]';
      }
    }
  }

  // ---- order, holding paused resources ----
  const paused = new Set<string>();
  for (const r of [...Object.values(desired.ous), ...Object.values(desired.accounts), ...Object.values(desired.policies)]) if (r.paused) paused.add(r.key);
  const ordered = orderDrafts(mainDrafts, {
    maxPoliciesPerTarget: desired.quotas.maxPoliciesPerTarget,
    policyCount: (t) => (isNewNode(t) ? 1 : (policiesOn.get(t)?.length ?? 0)),
    isFullAccess: (id) => id === FULL_ACCESS_ID,
    hold: (x) => (paused.has(x.body.resource) ? { resource: x.body.resource, reason: 'Paused', message: '' } : undefined),
  });
  warnings.push(...ordered.warnings);
  const heldByResource = new Map<string, string[]>();
  const depBlocked = new Map<string, string>();
  for (const dr of ordered.dropped) {
    const res = dr.draft.body.resource;
    if (dr.why === 'held') push(heldByResource, res, dr.draft.body.summary);
    else if (!paused.has(res) && !depBlocked.has(res)) depBlocked.set(res, dr.cause ?? 'an operation that is not applied');
  }
  for (const key of [...paused].sort()) {
    const held = heldByResource.get(key) ?? [];
    blocked.push({
      resource: key, reason: 'Paused',
      message: held.length === 0
        ? 'reconciliation is paused (orgplane.io/paused); no pending changes'
        : `reconciliation is paused (orgplane.io/paused): ${held.length} planned change(s) not applied: ${held.slice(0, 3).join('; ')}${held.length > 3 ? '; ...' : ''}`,
    });
  }
  for (const [res, cause] of depBlocked) {
    blocked.push({ resource: res, reason: 'DependencyInvalid', message: `waits for "${cause}", which is not applied in this run` });
  }

  // ---- recreate groups: one headline each, visible on every op of the group ----
  const planGroups = labelGroups(ordered.ops, ordered.drafts, groupOfNode, groupHead, nodeName);
  if (opts.observeOnly) warnings.push('observe-only mode: the plan is reported, nothing is applied');

  const driftOut: Record<string, string[]> = {};
  for (const k of [...drift.keys()].sort()) driftOut[k] = drift.get(k)!;
  const plan: Plan = { ops: ordered.ops, blocked, unmanaged: del.unmanaged, warnings, drift: driftOut };
  if (Object.keys(planGroups).length > 0) plan.groups = planGroups;
  return plan;
}

/** Assigns Op.group for ops of an OU recreation and writes the group headline into their summaries. */
function labelGroups(
  ops: OrgOp[], drafts: Draft[], groupOfNode: Map<NodeKey, string>, heads: Map<string, OUMatch>, nodeName: (n: NodeKey) => string,
): Record<string, string> {
  const members = new Map<string, OrgOp[]>();
  ops.forEach((op, i) => {
    const d = drafts[i];
    let g: string | undefined;
    if (op.op === 'CreateOU') g = groupOfNode.get(newNode(op.resource));
    else if (op.op === 'AttachPolicy') g = groupOfNode.get(refNode(op.target));
    else if (op.op === 'MoveAccount') g = groupOfNode.get(op.fromId);
    else if (op.op === 'DeleteOU' && d.deletion) g = groupOfNode.get(op.ouId);
    if (g === undefined || !heads.has(g)) return;
    op.group = g;
    push(members, g, op);
  });
  const out: Record<string, string> = {};
  for (const [g, list] of members) {
    const head = heads.get(g)!;
    const creates = list.filter((o) => o.op === 'CreateOU').length;
    const moves = list.filter((o) => o.op === 'MoveAccount').length;
    const olds = list.filter((o): o is Extract<OrgOp, { op: 'DeleteOU' }> => o.op === 'DeleteOU').map((o) => o.ouId).sort();
    const short = `recreate OU ${head.desired.name} under ${head.desired.parent === 'root' ? 'Root' : nodeName(head.parentNode).replace(/ \((new|ou-[^)]*)\)$/, '')} (AWS cannot move OUs)`;
    const steps: string[] = [];
    if (creates > 0) steps.push(creates === 1 ? 'create' : `create ${creates} OUs`);
    steps.push(`move ${moves} account${moves === 1 ? '' : 's'}`);
    if (olds.length > 0) steps.push(`delete old ${olds.join(', ')}`);
    const headline = `${short}: ${steps.join(', ')}`;
    out[g] = headline;
    for (const o of list) o.summary = `${short}: ${o.summary}`;
  }
  return out;
}

function objectKindOf(key: string): 'OrganizationalUnit' | 'Account' | 'ServiceControlPolicy' {
  if (key.startsWith('Account/')) return 'Account';
  if (key.startsWith('ServiceControlPolicy/')) return 'ServiceControlPolicy';
  return 'OrganizationalUnit';
}

/** A policy document as data for Op.change (renderers diff it statement by statement); text that is not JSON stays text. */
export function parsedDoc(doc: string): unknown {
  if (!doc.trim()) return null;
  try {
    return JSON.parse(doc) as unknown;
  } catch {
    return doc;
  }
}

/** Policy documents compared as data: whitespace and key order do not matter. */
export function sameJson(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return a === b;
  }
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
