// Preflight of account moves: the SCPs each moved account gains and loses, and whether the move
// waits for a person's approval (Organization spec.migrationApproval).
import { isScp } from '../../model/policy-types.js';
import type { NodeKey } from '../match.js';
import { ScpView, movePreflight, preflightViews } from '../preflight.js';
import { push, type PlanContext } from '../context.js';

export function preflightMoves(ctx: PlanContext): void {
  if (ctx.movers.length === 0) return;
  const { actual, m } = ctx;
  const beforeAttached = new Map<string, string[]>();
  // The SCP view of a move: only SCPs decide what an account may do after it.
  for (const p of Object.values(actual.policies)) if (isScp(p)) for (const t of p.targets ?? []) push(beforeAttached, t, p.name);
  const views = preflightViews(actual, ctx.desired);
  const before = new ScpView(
    (n) => actual.ous[n]?.parentId,
    (n) => beforeAttached.get(n) ?? [],
    views.before,
  );
  const afterParent = new Map<NodeKey, NodeKey>(ctx.shadowParent);
  for (const om of m.ous.values()) afterParent.set(om.node, om.parentNode);
  const after = new ScpView(
    (n) => afterParent.get(n) ?? actual.ous[n]?.parentId,
    (n) => ctx.afterAttached.get(n) ?? [],
    views.after,
  );
  const approval = ctx.desired.quotas.migrationApproval;
  for (const mv of ctx.movers) {
    if (mv.body.op !== 'MoveAccount') continue;
    const { gained, lost, path } = movePreflight(before, after, mv.body, ctx.nodeName);
    mv.body.gained = gained;
    mv.body.lost = lost;
    mv.body.path = path;
    if (gained.length + lost.length > 0) {
      mv.body.summary += ` (${[gained.length ? `gains ${gained.join(', ')}` : '', lost.length ? `loses ${lost.join(', ')}` : ''].filter(Boolean).join('; ')})`;
    }
    // Only a move the manifest asks for waits: accounts carried along when AWS-unmovable OUs
    // are recreated move because the user moved the OU.
    if (mv.body.resource.startsWith('Account/') && (approval === 'Always' || (approval === 'WhenPoliciesChange' && gained.length + lost.length > 0))) {
      mv.body.requireApproval = true;
      mv.body.summary += ' [needs approval]';
    }
  }
}
