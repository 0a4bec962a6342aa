// planOrg: the Organizations part of the plan (org settings, tags, OUs, accounts, SCPs and their
// attachments, deletions). Pure: DesiredOrg + ActualOrg in, Plan out; no AWS calls. Each kind has
// its own small planner in kinds/*.ts, sharing one PlanContext (context.ts); matching lives in
// match.ts, deletion rules in safety.ts, dependencies and op ids in order.ts.
import type { ActualOrg } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import type { Blocked, OrgOp, Plan } from './operations.js';
import { isNewNode, newNode, refNode, type NodeKey, type OUMatch } from './match.js';
import { orderDrafts, type Draft, type Ordered } from './order.js';
import { createContext, push, type PlanContext, type PlanOptions } from './context.js';
import { planOrgSettings } from './kinds/org-settings.js';
import { planOUs } from './kinds/ous.js';
import { planAccounts } from './kinds/accounts.js';
import { planPolicies } from './kinds/policies.js';
import { planOrgDeletions } from './kinds/deletions.js';
import { preflightMoves } from './kinds/moves.js';

export type { PlanOptions } from './context.js';

const FULL_ACCESS_ID = 'p-FullAWSAccess';

export function planOrg(desired: DesiredOrg, actual: ActualOrg, opts: PlanOptions): Plan {
  const ctx = createContext(desired, actual, opts);
  planOrgSettings(ctx);
  planOUs(ctx);
  planAccounts(ctx);
  planPolicies(ctx);
  const del = planOrgDeletions(ctx);
  preflightMoves(ctx);
  const ordered = orderWithHolds(ctx, [...del.main, ...del.deletions]);
  const planGroups = labelGroups(ordered.ops, ordered.drafts, ctx.groupOfNode, ctx.groupHead, ctx.nodeName);
  if (opts.observeOnly) ctx.warnings.push('observe-only mode: the plan is reported, nothing is applied');
  const driftOut: Record<string, string[]> = {};
  for (const k of [...ctx.drift.keys()].sort()) driftOut[k] = ctx.drift.get(k) ?? [];
  const plan: Plan = { ops: ordered.ops, blocked: ctx.blocked, unmanaged: del.unmanaged, warnings: ctx.warnings, drift: driftOut };
  if (Object.keys(planGroups).length > 0) plan.groups = planGroups;
  return plan;
}

/** Orders the drafts, holding paused resources; reports what was held or lost a dependency. */
function orderWithHolds(ctx: PlanContext, drafts: Draft[]): Ordered {
  const { desired } = ctx;
  const paused = new Set<string>();
  for (const r of [...Object.values(desired.ous), ...Object.values(desired.accounts), ...Object.values(desired.policies)]) if (r.paused) paused.add(r.key);
  const ordered = orderDrafts(drafts, {
    maxPoliciesPerTarget: desired.quotas.maxPoliciesPerTarget,
    policyCount: (t) => (isNewNode(t) ? 1 : (ctx.policiesOn.get(t)?.length ?? 0)),
    isFullAccess: (id) => id === FULL_ACCESS_ID,
    hold: (x) => (paused.has(x.body.resource) ? { resource: x.body.resource, reason: 'Paused', message: '' } : undefined),
  });
  ctx.warnings.push(...ordered.warnings);
  const heldByResource = new Map<string, string[]>();
  const depBlocked = new Map<string, string>();
  for (const dr of ordered.dropped) {
    const res = dr.draft.body.resource;
    if (dr.why === 'held') push(heldByResource, res, dr.draft.body.summary);
    else if (!paused.has(res) && !depBlocked.has(res)) depBlocked.set(res, dr.cause ?? 'an operation that is not applied');
  }
  for (const key of [...paused].sort()) ctx.blocked.push(pausedEntry(key, heldByResource.get(key) ?? []));
  for (const [res, cause] of depBlocked) {
    ctx.blocked.push({ resource: res, reason: 'DependencyInvalid', message: `waits for "${cause}", which is not applied in this run` });
  }
  return ordered;
}

function pausedEntry(key: string, held: string[]): Blocked {
  return {
    resource: key,
    reason: 'Paused',
    message:
      held.length === 0
        ? 'reconciliation is paused (orgplane.io/paused); no pending changes'
        : `reconciliation is paused (orgplane.io/paused): ${held.length} planned change(s) not applied: ${held.slice(0, 3).join('; ')}${held.length > 3 ? '; ...' : ''}`,
  };
}

/** Assigns Op.group for ops of an OU recreation and writes the group headline into their summaries. */
function labelGroups(
  ops: OrgOp[],
  drafts: Draft[],
  groupOfNode: Map<NodeKey, string>,
  heads: Map<string, OUMatch>,
  nodeName: (n: NodeKey) => string,
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
    const head = heads.get(g);
    if (!head) continue;
    const creates = list.filter((o) => o.op === 'CreateOU').length;
    const moves = list.filter((o) => o.op === 'MoveAccount').length;
    const olds = list
      .filter((o): o is Extract<OrgOp, { op: 'DeleteOU' }> => o.op === 'DeleteOU')
      .map((o) => o.ouId)
      .sort();
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
