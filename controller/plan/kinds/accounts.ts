// Accounts: create the missing ones (through the account workflow), move to the desired OU, tag.
// Names and emails are reported as drift only; closed accounts and the management account are
// never moved.
import { ownershipTags } from '../../model/ownership.js';
import { nodeRef } from '../match.js';
import type { PlanContext } from '../context.js';
import { planMove } from './ous.js';
import { planTags } from './tags.js';

export function planAccounts(ctx: PlanContext): void {
  for (const am of ctx.m.accounts.values()) {
    const d = am.desired;
    const own = ownershipTags(ctx.ns, d.key, d.deletionPolicy);
    const a = am.actual;
    if (!a) {
      ctx.drafts.push({
        body: {
          op: 'CreateAccount',
          resource: d.key,
          name: d.name,
          email: d.email,
          parent: nodeRef(am.parentNode),
          tags: { ...d.tags, ...own },
          roleName: d.accessRoleName,
          ...(d.iamUserAccessToBilling ? { iamUserAccessToBilling: d.iamUserAccessToBilling } : {}),
          summary: `create account ${d.name} <${d.email}> in ${ctx.nodeName(am.parentNode)}`,
        },
      });
      continue;
    }
    if (a.name !== d.name) ctx.noteDrift(d.key, `name is "${a.name}", manifest says "${d.name}" (orgplane does not rename accounts)`);
    if (a.email.toLowerCase() !== d.email.toLowerCase())
      ctx.noteDrift(d.key, `email is ${a.email}, manifest says ${d.email} (orgplane does not change account emails)`);
    if (a.state === 'SUSPENDED' || a.state === 'PENDING_CLOSURE') {
      ctx.noteDrift(d.key, `account is ${a.state}`);
      ctx.warnings.push(`${d.key}: account ${a.name} (${a.id}) is ${a.state}; orgplane does not move or tag closed accounts`);
      continue;
    }
    if (a.parentId !== am.parentNode) {
      ctx.noteDrift(d.key, `in ${ctx.nodeName(a.parentId)}, manifest says ${ctx.nodeName(am.parentNode)}`);
      if (a.id === ctx.mgmt) {
        ctx.blocked.push({
          resource: d.key,
          reason: 'ManagementAccount',
          message: `account ${a.name} (${a.id}) is the management account; orgplane never moves it (it stays in ${ctx.nodeName(a.parentId)})`,
        });
      } else planMove(ctx, a.id, am.parentNode, d.key);
    }
    planTags(ctx, { key: d.key, target: a.id, label: `account ${d.name} (${a.id})`, spec: d.tags, ownWanted: own, have: a.tags, adoptedById: am.how === 'id' });
  }
}
