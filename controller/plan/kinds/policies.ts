// Policies of every type (SCP, RCP, management policies): create, update (name, description,
// document), tag, and keep their attachments exactly to spec.targets (AWS managed FullAWSAccess:
// at least them, unless exclusiveTargets; RCPFullAWSAccess: never detached, AWS does not allow
// it). The management account is never an SCP or RCP target. Matching is by name within a type.
import type { TargetRef } from '../../model/desired.js';
import { ownershipTags } from '../../model/ownership.js';
import { isNewNode, nodeRef, type NodeKey, type PolicyMatch } from '../match.js';
import { push, type PlanContext } from '../context.js';
import { parsedDoc, samePolicy } from '../../model/policy-json.js';
import { planTags } from './tags.js';
import { isScp, policyLabel, policyLabels, RCP_TYPE } from '../../model/policy-types.js';

export function planPolicies(ctx: PlanContext): void {
  for (const [node, names] of ctx.reattached) for (const n of names) push(ctx.afterAttached, node, n);
  for (const p of Object.values(ctx.actual.policies)) {
    // afterAttached is the SCP view of the plan (preflight); other types do not decide access there.
    if (ctx.managedPolicyIds.has(p.id) || !isScp(p)) continue;
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
  const what = policyLabel(d.policyType);
  if (!p) {
    const type = d.policyType !== undefined ? { policyType: d.policyType } : {};
    ctx.drafts.push({
      body: {
        op: 'CreatePolicy',
        resource: d.key,
        name: d.name,
        description: d.description,
        content: d.content,
        tags: { ...d.tags, ...own },
        ...type,
        summary: `create ${what} ${d.name}`,
      },
    });
    return;
  }
  if (d.awsManaged) return;
  const changes: string[] = [];
  const upd: { name?: string; description?: string; content?: string } = {};
  if (p.name !== d.name) {
    upd.name = d.name;
    changes.push(`name ${p.name} -> ${d.name}`);
  }
  if (p.description !== d.description) {
    upd.description = d.description;
    changes.push('description');
  }
  if (!samePolicy(p.content, d.content)) {
    upd.content = d.content;
    changes.push('content');
  }
  if (changes.length > 0) {
    ctx.noteDrift(d.key, `${changes.join(', ')} differ from the manifest`);
    const change = upd.content !== undefined ? { change: { content: { before: parsedDoc(p.content), after: parsedDoc(d.content) } } } : {};
    ctx.drafts.push({
      body: { op: 'UpdatePolicy', resource: d.key, policyId: p.id, ...upd, ...change, summary: `update ${what} ${p.name} (${p.id}): ${changes.join(', ')}` },
    });
  }
  planTags(ctx, { key: d.key, target: p.id, label: `${what} ${d.name} (${p.id})`, spec: d.tags, ownWanted: own, have: p.tags, adoptedById: pm.how === 'id' });
}

function resolveTarget(ctx: PlanContext, t: TargetRef): { node?: NodeKey; label: string } {
  if (t.kind === 'root') return { node: ctx.actual.root.id, label: 'Root' };
  if (t.kind === 'ou') return { node: ctx.m.ous.get(t.ref)?.node, label: `OrganizationalUnit/${t.ref}` };
  return { node: ctx.m.accounts.get(t.ref)?.node, label: `Account/${t.ref}` };
}

/** Where the policy should be attached; unresolved: some target is not planned (no detaches then). */
function wantedTargets(ctx: PlanContext, d: PolicyMatch['desired']): { want: Map<NodeKey, string>; unresolved: boolean } {
  const what = policyLabels(d.policyType);
  // SCPs and RCPs never apply to the management account; management policies (tag, backup …) do.
  const guardrail = d.policyType === undefined || d.policyType === RCP_TYPE;
  const want = new Map<NodeKey, string>();
  let unresolved = false;
  for (const t of d.targets) {
    const r = resolveTarget(ctx, t);
    if (r.node === undefined) {
      unresolved = true;
      continue;
    }
    if (r.node === ctx.mgmt && guardrail) {
      ctx.blocked.push({
        resource: d.key,
        reason: 'ManagementAccount',
        message: `${r.label} is the management account; ${what} do not apply to it and orgplane never attaches them to it`,
      });
      continue;
    }
    want.set(r.node, r.label);
  }
  return { want, unresolved };
}

export function planAttachments(ctx: PlanContext, pm: PolicyMatch): void {
  const d = pm.desired;
  const p = pm.actual;
  const what = policyLabel(d.policyType);
  const { want, unresolved } = wantedTargets(ctx, d);
  if (d.policyType === undefined) for (const node of want.keys()) push(ctx.afterAttached, node, d.name);
  if (p && p.targets === undefined) {
    ctx.warnings.push(`${d.key}: the targets of ${what} ${p.name} (${p.id}) were not read; attachments not compared`);
    return;
  }
  const have = new Set(p?.targets ?? []);
  for (const node of [...want.keys()].sort()) {
    if (have.has(node)) continue;
    if (p && !isNewNode(node)) ctx.noteDrift(d.key, `not attached to ${ctx.nodeName(node)}`);
    ctx.drafts.push({
      body: {
        op: 'AttachPolicy',
        resource: d.key,
        policy: nodeRef(pm.node),
        target: nodeRef(node),
        policyName: d.name,
        targetName: ctx.nodeName(node),
        ...(d.policyType !== undefined ? { policyType: d.policyType } : {}),
        summary: `attach ${what} ${d.name} to ${ctx.nodeName(node)}`,
      },
    });
  }
  // AWS managed policies (FullAWSAccess) are attached by AWS itself to every new OU and account,
  // and taking the only Allow away denies everything below: by default their targets are "at
  // least these" (exclusiveTargets: false). What is not detached stays attached after the plan,
  // which the move preflight must see (FullAWSAccess on an account stays with it when it moves).
  // RCPFullAWSAccess cannot be detached (AWS refuses): whatever the manifest says, never plan it.
  const undetachable = d.awsManaged && d.policyType === RCP_TYPE;
  const detaching = !unresolved && d.exclusiveTargets && p !== undefined && !undetachable;
  for (const t of have) if (!want.has(t) && (!detaching || t === ctx.mgmt)) push(ctx.afterAttached, t, d.name);
  if (unresolved) {
    ctx.warnings.push(`${d.key}: some targets are not planned (blocked or missing), so no attachment is detached this run`);
    return;
  }
  if (undetachable && d.exclusiveTargets && p) {
    ctx.warnings.push(`${d.key}: ${p.name} is attached by AWS everywhere and cannot be detached; spec.exclusiveTargets is ignored`);
  }
  if (!detaching || !p) return;
  for (const t of [...have].sort()) {
    if (want.has(t) || t === ctx.mgmt || ctx.oldOUs.has(t)) continue; // old OUs are deleted with their attachments
    ctx.noteDrift(d.key, `attached to ${ctx.nodeName(t)}, which is not in spec.targets`);
    ctx.drafts.push({
      body: {
        op: 'DetachPolicy',
        resource: d.key,
        policyId: p.id,
        targetId: t,
        policyName: d.name,
        targetName: ctx.nodeName(t),
        summary: `detach ${what} ${d.name} from ${ctx.nodeName(t)} (not in spec.targets)`,
      },
    });
  }
}
