// OUs: create the missing ones, rename, tag; an OU whose parent changed is recreated (AWS cannot
// move OUs): the new OU is built, the old one's contents are carried over, the old one deleted.
import { isScp, policyLabel } from '../../model/policy-types.js';
import type { ActualOU } from '../../model/actual.js';
import { ownershipTags } from '../../model/ownership.js';
import { newNode, nodeRef, type NodeKey } from '../match.js';
import type { Draft } from '../order.js';
import { push, type PlanContext } from '../context.js';
import { planTags } from './tags.js';

export function planOUs(ctx: PlanContext): void {
  const { m } = ctx;
  for (const om of m.ous.values()) {
    const d = om.desired;
    const own = ownershipTags(ctx.ns, d.key, d.deletionPolicy);
    if (!om.current) {
      ctx.drafts.push({
        depth: om.depth,
        body: {
          op: 'CreateOU',
          resource: d.key,
          name: d.name,
          parent: nodeRef(om.parentNode),
          tags: { ...d.tags, ...own },
          summary: `create OU ${d.name} under ${ctx.nodeName(om.parentNode)}`,
        },
      });
    } else {
      const cur = om.current;
      if (cur.name !== d.name) {
        ctx.noteDrift(d.key, `name is "${cur.name}", manifest says "${d.name}"`);
        ctx.drafts.push({
          body: { op: 'RenameOU', resource: d.key, ouId: cur.id, from: cur.name, to: d.name, summary: `rename OU ${cur.name} (${cur.id}) to ${d.name}` },
        });
      }
      planTags(ctx, {
        key: d.key,
        target: cur.id,
        label: `OU ${d.name} (${cur.id})`,
        spec: d.tags,
        ownWanted: own,
        have: cur.tags,
        adoptedById: om.how === 'id',
      });
    }
    if (om.olds.length === 0) continue;
    const parentGroup = d.parent === 'root' ? undefined : ctx.groupOfNode.get(m.ous.get(d.parent)?.node ?? '');
    const group = parentGroup ?? `recreate:${d.key}`;
    if (!parentGroup) ctx.groupHead.set(group, om);
    for (const old of om.olds) {
      ctx.noteDrift(
        d.key,
        `OU ${old.name} (${old.id}) is under ${ctx.nodeName(old.parentId)}, manifest says ${ctx.nodeName(om.parentNode)}: AWS cannot move OUs, so it is recreated`,
      );
      evacuate(ctx, old, om.node, om.depth, d.key, group);
    }
  }
}

/** Plans a MoveAccount and records where the account ends up. */
export function planMove(ctx: PlanContext, accId: string, to: NodeKey, resource: string): void {
  const acc = ctx.actual.accounts[accId];
  const d: Draft = {
    body: {
      op: 'MoveAccount',
      resource,
      accountId: accId,
      fromId: acc.parentId,
      to: nodeRef(to),
      gained: [],
      lost: [],
      summary: `move account ${acc.name} (${accId}) from ${ctx.nodeName(acc.parentId)} to ${ctx.nodeName(to)}`,
    },
  };
  ctx.moveDest.set(accId, to);
  ctx.movers.push(d);
  ctx.drafts.push(d);
}

/** Empties an OU that AWS cannot move into its replacement `into`, then deletes it (bottom-up). */
export function evacuate(ctx: PlanContext, old: ActualOU, into: NodeKey, intoDepth: number, resource: string, group: string): void {
  ctx.oldOUs.add(old.id);
  ctx.groupOfNode.set(old.id, group);
  ctx.groupOfNode.set(into, group);
  for (const child of ctx.ouChildren.get(old.id) ?? []) {
    if (ctx.m.claimed.has(child.id)) continue; // a manifest describes it: its own match recreates it
    const shadowKey = `OrganizationalUnit/~${child.id}`;
    const shadow = newNode(shadowKey);
    ctx.newNames.set(shadow, child.name);
    ctx.shadowParent.set(shadow, into);
    ctx.evacuated.add(child.id);
    ctx.drafts.push({
      depth: intoDepth + 1,
      body: {
        op: 'CreateOU',
        resource: shadowKey,
        name: child.name,
        parent: nodeRef(into),
        tags: child.tags ?? {},
        summary: `create OU ${child.name} under ${ctx.nodeName(into)} (copy of unmanaged ${child.id})`,
      },
    });
    evacuate(ctx, child, shadow, intoDepth + 1, shadowKey, group);
  }
  for (const accId of ctx.accountsIn.get(old.id) ?? []) {
    if (ctx.matchedAccountIds.has(accId)) continue; // its manifest decides where it goes
    if (accId === ctx.mgmt) continue; // never moved; refuseNonEmptyDeletes reports the OU
    ctx.evacuated.add(accId);
    planMove(ctx, accId, into, resource);
  }
  const names: string[] = [];
  for (const pid of ctx.policiesOn.get(old.id) ?? []) {
    if (ctx.managedPolicyIds.has(pid)) continue; // a manifest lists its targets
    const p = ctx.actual.policies[pid];
    if (isScp(p)) names.push(p.name);
    ctx.drafts.push({
      body: {
        op: 'AttachPolicy',
        resource,
        policy: { id: pid },
        target: nodeRef(into),
        policyName: p.name,
        targetName: ctx.nodeName(into),
        summary: `re-attach ${policyLabel(p.type)} ${p.name} to ${ctx.nodeName(into)} (was on ${old.id})`,
      },
    });
  }
  for (const n of names) push(ctx.reattached, into, n);
  ctx.drafts.push({
    deletion: true,
    parentNode: old.parentId,
    depth: ctx.ouDepth(old.id),
    body: { op: 'DeleteOU', resource, ouId: old.id, name: old.name, summary: `delete old OU ${old.name} (${old.id})` },
  });
}
