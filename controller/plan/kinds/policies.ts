// Service control policies: create, update (name, description, document), tag, and keep their
// attachments exactly to spec.targets (AWS managed FullAWSAccess: at least them, unless
// exclusiveTargets). The management account is never a target.
import type { TargetRef } from '../../model/desired.js';
import { ownershipTags } from '../../model/ownership.js';
import { isNewNode, nodeRef, type NodeKey, type PolicyMatch } from '../match.js';
import { push, type PlanContext } from '../context.js';
import { parsedDoc, sameJson } from '../documents.js';
import { planTags } from './tags.js';

export function planPolicies(ctx: PlanContext): void {
  for (const [node, names] of ctx.reattached) for (const n of names) push(ctx.afterAttached, node, n);
  for (const p of Object.values(ctx.actual.policies)) {
    if (ctx.managedPolicyIds.has(p.id)) continue;
    for (const t of p.targets ?? []) push(ctx.afterAttached, t, p.name);
  }
  for (const pm of ctx.m.policies.values()) {
    planPolicyDocument(ctx, pm);
    planAttachments(ctx, pm);
  }
}

export function planPolicyDocument(ctx: PlanContext, pm: PolicyMatch): void {
  const d = pm.desired;
  const p = pm.actual;
  const own = ownershipTags(ctx.ns, d.key, d.deletionPolicy);
  if (!p) {
    ctx.drafts.push({ body: { op: 'CreatePolicy', resource: d.key, name: d.name, description: d.description, content: d.content, tags: { ...d.tags, ...own }, summary: `create SCP ${d.name}` } });
    return;
  }
  if (d.awsManaged) return;
  const changes: string[] = [];
  const upd: { name?: string; description?: string; content?: string } = {};
  if (p.name !== d.name) { upd.name = d.name; changes.push(`name ${p.name} -> ${d.name}`); }
  if (p.description !== d.description) { upd.description = d.description; changes.push('description'); }
  if (!sameJson(p.content, d.content)) { upd.content = d.content; changes.push('content'); }
  if (changes.length > 0) {
    ctx.noteDrift(d.key, `${changes.join(', ')} differ from the manifest`);
    const change = upd.content !== undefined ? { change: { content: { before: parsedDoc(p.content), after: parsedDoc(d.content) } } } : {};
    ctx.drafts.push({ body: { op: 'UpdatePolicy', resource: d.key, policyId: p.id, ...upd, ...change, summary: `update SCP ${p.name} (${p.id}): ${changes.join(', ')}` } });
  }
  planTags(ctx, { key: d.key, target: p.id, label: `SCP ${d.name} (${p.id})`, spec: d.tags, ownWanted: own, have: p.tags, adoptedById: pm.how === 'id' });
}

function resolveTarget(ctx: PlanContext, t: TargetRef): { node?: NodeKey; label: string } {
  if (t.kind === 'root') return { node: ctx.actual.root.id, label: 'Root' };
  if (t.kind === 'ou') return { node: ctx.m.ous.get(t.ref)?.node, label: `OrganizationalUnit/${t.ref}` };
  return { node: ctx.m.accounts.get(t.ref)?.node, label: `Account/${t.ref}` };
}

export function planAttachments(ctx: PlanContext, pm: PolicyMatch): void {
  const d = pm.desired;
  const p = pm.actual;
  const want = new Map<NodeKey, string>();
  let unresolved = false;
  for (const t of d.targets) {
    const r = resolveTarget(ctx, t);
    if (r.node === undefined) { unresolved = true; continue; }
    if (r.node === ctx.mgmt) {
      ctx.blocked.push({ resource: d.key, reason: 'ManagementAccount', message: `${r.label} is the management account; SCPs do not apply to it and orgplane never attaches them to it` });
      continue;
    }
    want.set(r.node, r.label);
  }
  for (const node of want.keys()) push(ctx.afterAttached, node, d.name);
  if (p && p.targets === undefined) {
    ctx.warnings.push(`${d.key}: the targets of SCP ${p.name} (${p.id}) were not read; attachments not compared`);
    return;
  }
  const have = new Set(p?.targets ?? []);
  for (const node of [...want.keys()].sort()) {
    if (have.has(node)) continue;
    if (p && !isNewNode(node)) ctx.noteDrift(d.key, `not attached to ${ctx.nodeName(node)}`);
    ctx.drafts.push({
      body: {
        op: 'AttachPolicy', resource: d.key, policy: nodeRef(pm.node), target: nodeRef(node), policyName: d.name, targetName: ctx.nodeName(node),
        summary: `attach SCP ${d.name} to ${ctx.nodeName(node)}`,
      },
    });
  }
  // AWS managed policies (FullAWSAccess) are attached by AWS itself to every new OU and account,
  // and taking the only Allow away denies everything below: by default their targets are "at
  // least these" (exclusiveTargets: false). What is not detached stays attached after the plan,
  // which the move preflight must see (FullAWSAccess on an account stays with it when it moves).
  const detaching = !unresolved && d.exclusiveTargets && p !== undefined;
  for (const t of have) if (!want.has(t) && (!detaching || t === ctx.mgmt)) push(ctx.afterAttached, t, d.name);
  if (unresolved) {
    ctx.warnings.push(`${d.key}: some targets are not planned (blocked or missing), so no attachment is detached this run`);
    return;
  }
  if (!detaching || !p) return;
  for (const t of [...have].sort()) {
    if (want.has(t) || t === ctx.mgmt || ctx.oldOUs.has(t)) continue; // old OUs are deleted with their attachments
    ctx.noteDrift(d.key, `attached to ${ctx.nodeName(t)}, which is not in spec.targets`);
    ctx.drafts.push({
      body: {
        op: 'DetachPolicy', resource: d.key, policyId: p.id, targetId: t, policyName: d.name, targetName: ctx.nodeName(t),
        summary: `detach SCP ${d.name} from ${ctx.nodeName(t)} (not in spec.targets)`,
      },
    });
  }
}
