// The controller's side of Approvals: list them at the start of a reconcile, build the gate the
// engine asks, and afterwards write what happened: Consumed (the op an Approval let through
// succeeded), Expired, Stale (the resource's generation / spec, or its pending move, is no
// longer what was approved), with Events; and the exact Approval to create in the status of a
// resource whose move waits.
import type { Logger } from 'pino';
import { APPROVAL_PLURAL, GROUP, VERSION, refKey, type AnyResource, type ApprovalObject, type ApprovalState, type ApprovalStatus } from '../../api/schemas.js';
import type { Op } from '../../plan/operations.js';
import type { KubeApis } from '../client.js';
import { errorMessage, httpStatus, mergePatch } from '../client.js';
import type { EventRecorder } from '../events.js';
import { PLURALS } from '../kinds.js';
import type { ReconcileOutcome } from '../reconciler.js';
import { NotLeaderError } from '../status-writer.js';
import { ANNOTATION_APPROVE_MIGRATION, ApprovalGate, type Grant } from './gate.js';
import { awaitingApprovalMessage, unusable } from './hint.js';
import {
  describeOperation,
  expiryOf,
  isoSeconds,
  isTerminal,
  migrationOf,
  ouDisplay,
  sameOperation,
  standing,
  versionOf,
  type MoveLike,
  type ResourceVersion,
} from './match.js';

export interface KeeperOptions {
  apis: KubeApis;
  namespace: string;
  log: Logger;
  events: EventRecorder;
  mayWrite: () => boolean;
  allowSelfApproval: boolean;
}

type MoveOp = Extract<Op, { op: 'MoveAccount' }>;

/** The account move an op makes (a MoveAccount, or what a resumed migration still has to make). */
export function moveOfOp(op: Op): MoveOp | undefined {
  if (op.op === 'MoveAccount') return op;
  return op.op === 'ResumeWorkflow' && op.resumes.op === 'MoveAccount' ? op.resumes : undefined;
}

const keyOf = (r: AnyResource): string => refKey(r.kind, r.metadata.name);

export class ApprovalKeeper {
  /** Approval status patches sent (tests). */
  writes = 0;

  constructor(private readonly o: KeeperOptions) {}

  /** A fresh LIST: an Approval created a moment ago must count in this run. */
  async list(): Promise<ApprovalObject[]> {
    try {
      const res = (await this.o.apis.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.o.namespace,
        plural: APPROVAL_PLURAL,
      })) as { items?: ApprovalObject[] };
      return (res.items ?? []).map((a) => ({ ...a, kind: 'Approval' }) as ApprovalObject);
    } catch (err) {
      // No CRD (404) or no RBAC for it (403): nothing is approved, and /readyz says the informer is not synced.
      if (httpStatus(err) !== 404 && httpStatus(err) !== 403) throw err;
      this.o.log.warn({ status: httpStatus(err) }, 'approvals.orgplane.io cannot be listed: no move can be approved');
      return [];
    }
  }

  gate(resources: readonly AnyResource[], approvals: readonly ApprovalObject[], now = new Date()): ApprovalGate {
    return new ApprovalGate({ resources, approvals, now, allowSelfApproval: this.o.allowSelfApproval });
  }

  /** After the engine ran: hints into the statuses it computed, then the Approvals' own status. */
  async settle(
    outcome: ReconcileOutcome,
    resources: readonly AnyResource[],
    approvals: readonly ApprovalObject[],
    gate: ApprovalGate,
    now = new Date(),
  ): Promise<void> {
    this.addHints(outcome, resources, approvals, gate, now);
    const consumed = await this.consume(outcome, resources, gate, now);
    const pendingMoves = new Map<string, MoveOp>();
    for (const op of (outcome.pending ?? outcome.plan).ops) {
      const m = moveOfOp(op);
      if (m) pendingMoves.set(m.resource, m);
    }
    const byKey = new Map(resources.map((r) => [keyOf(r), r]));
    for (const a of approvals) {
      if (consumed.has(a.metadata.name)) continue;
      const next = this.nextState(a, byKey.get(a.spec.resource), pendingMoves, consumed, gate, now);
      await this.writeState(a, next, now);
    }
  }

  /** Where the engine said AwaitingApproval: the exact Approval that would let the move through. */
  private addHints(outcome: ReconcileOutcome, resources: readonly AnyResource[], approvals: readonly ApprovalObject[], gate: ApprovalGate, now: Date): void {
    const byKey = new Map(resources.map((r) => [keyOf(r), r]));
    const pending = (outcome.pending ?? outcome.plan).ops;
    for (const [key, status] of Object.entries(outcome.statuses)) {
      const synced = status.conditions?.find((c) => c.type === 'Synced');
      const r = byKey.get(key);
      const move = pending.map(moveOfOp).find((m) => m?.resource === key);
      if (synced?.reason !== 'AwaitingApproval' || !r || !move) continue;
      synced.message = this.hintFor(
        r,
        move,
        pending.filter((o) => o.resource === key).map((o) => o.summary),
        approvals,
        gate,
        now,
      );
    }
  }

  private hintFor(r: AnyResource, move: MoveLike, summaries: string[], approvals: readonly ApprovalObject[], gate: ApprovalGate, now: Date): string {
    const hint = {
      namespace: this.o.namespace,
      resource: keyOf(r),
      generation: r.metadata.generation,
      from: ouDisplay({ id: move.fromId }, gate.names),
      to: ouDisplay(move.to, gate.names),
    };
    const req = { resource: versionOf(r), operation: migrationOf(move, gate.names) };
    const annotation = r.metadata.annotations?.[ANNOTATION_APPROVE_MIGRATION];
    return awaitingApprovalMessage({
      summaries,
      hint,
      unusable: unusable(approvals, req, now),
      annotationIgnored: !this.o.allowSelfApproval && annotation !== undefined && annotation !== 'false',
    });
  }

  /** Marks what let a succeeded op through: an Approval Consumed, an annotation cleared. Returns the consumed Approvals' names. */
  private async consume(outcome: ReconcileOutcome, resources: readonly AnyResource[], gate: ApprovalGate, now: Date): Promise<Map<string, Grant>> {
    const done = new Map<string, Grant>();
    const byKey = new Map(resources.map((r) => [keyOf(r), r]));
    for (const result of outcome.applied as { status?: string; opId?: string; op?: Op }[]) {
      if (result.status !== 'succeeded' || !result.op) continue;
      // The gate saw the move a resumed migration makes (its `resumes` op: same id, own summary).
      const asked = moveOfOp(result.op) ?? result.op;
      const grant = gate.grantFor({ id: asked.id, resource: asked.resource, summary: asked.summary });
      if (!grant) continue;
      if (grant.approval) {
        await this.markConsumed(grant.approval, grant, now);
        done.set(grant.approval.metadata.name, grant);
      } else {
        await this.clearAnnotation(byKey.get(grant.resource), grant);
      }
      const by = grant.approval
        ? `Approval ${grant.approval.metadata.name} granted by ${grant.approval.spec.grantedBy}`
        : `the ${ANNOTATION_APPROVE_MIGRATION} annotation (--allow-self-approval)`;
      const target = byKey.get(grant.resource);
      if (target) await this.event(target, 'Normal', 'Approved', `${grant.summary}: approved by ${by}`);
    }
    return done;
  }

  private async markConsumed(a: ApprovalObject, g: Grant, now: Date): Promise<void> {
    const at = isoSeconds(now);
    await this.patch(a, {
      state: 'Consumed',
      consumedAt: at,
      lastTransitionTime: at,
      approves: g.approves,
      expiresAt: isoSeconds(expiryOf(a)),
      message: `consumed by ${g.opId ?? 'the plan'}: ${g.summary}`,
      consumedBy: { op: g.opId ?? '', summary: g.summary, event: 'Consumed' },
    });
    await this.event(a, 'Normal', 'Consumed', `let ${g.resource} through: ${g.opId ?? ''} ${g.summary}`.replace('  ', ' '));
  }

  /** With --allow-self-approval the annotation approves one move: it is removed once that move is done. */
  private async clearAnnotation(r: AnyResource | undefined, g: Grant): Promise<void> {
    if (!r || r.metadata.annotations?.[ANNOTATION_APPROVE_MIGRATION] === undefined) return;
    if (!this.o.mayWrite()) throw new NotLeaderError(`annotations of ${g.resource}`);
    await this.o.apis.custom
      .patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: this.o.namespace,
          plural: PLURALS[r.kind],
          name: r.metadata.name,
          body: { metadata: { annotations: { [ANNOTATION_APPROVE_MIGRATION]: null } } },
        },
        mergePatch(),
      )
      .catch((err: unknown) => {
        if (httpStatus(err) !== 404) throw err;
      });
    await this.event(r, 'Normal', 'ApprovalCleared', `removed ${ANNOTATION_APPROVE_MIGRATION}: it approved ${g.summary}`);
  }

  /** The state an unconsumed Approval is in after this run, and why. */
  private nextState(
    a: ApprovalObject,
    r: AnyResource | undefined,
    pendingMoves: ReadonlyMap<string, MoveOp>,
    consumed: ReadonlyMap<string, Grant>,
    gate: ApprovalGate,
    now: Date,
  ): { state: ApprovalState; why?: string } {
    const version: ResourceVersion | undefined = r ? versionOf(r) : undefined;
    const s = standing(a, version, now);
    if (s.state !== 'Pending' || isTerminal(a)) return s;
    const twin = [...consumed.values()].find((g) => g.resource === a.spec.resource && g.approves === describeOperation(a.spec.operation));
    if (twin) return { state: 'Stale', why: `the change was made under Approval ${twin.approval?.metadata.name}` };
    const move = pendingMoves.get(a.spec.resource);
    if (a.spec.operation.kind === 'Migration' && move && !sameOperation(a.spec.operation, migrationOf(move, gate.names))) {
      const planned = `${ouDisplay({ id: move.fromId }, gate.names)} -> ${ouDisplay(move.to, gate.names)}`;
      return { state: 'Stale', why: `the pending move of ${a.spec.resource} is ${planned}, not ${a.spec.operation.from} -> ${a.spec.operation.to}` };
    }
    return { state: 'Pending', why: s.why ?? (move ? `waiting for the move to run` : `no move of ${a.spec.resource} is pending`) };
  }

  private async writeState(a: ApprovalObject, next: { state: ApprovalState; why?: string }, now: Date): Promise<void> {
    const cur = a.status ?? {};
    const desired: ApprovalStatus = {
      state: next.state,
      message: next.why ?? cur.message ?? '',
      approves: describeOperation(a.spec.operation),
      expiresAt: isoSeconds(expiryOf(a)),
    };
    const changed = (Object.keys(desired) as (keyof ApprovalStatus)[]).filter((k) => desired[k] !== cur[k]);
    if (changed.length === 0) return;
    const flipped = cur.state !== next.state;
    await this.patch(a, { ...desired, ...(flipped ? { lastTransitionTime: isoSeconds(now) } : {}) });
    if (flipped && next.state !== 'Pending') {
      await this.event(a, next.state === 'Stale' ? 'Warning' : 'Normal', next.state, next.why ?? next.state);
    }
  }

  private async patch(a: ApprovalObject, status: ApprovalStatus): Promise<void> {
    if (!this.o.mayWrite()) throw new NotLeaderError(`status of Approval/${a.metadata.name}`);
    try {
      await this.o.apis.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: this.o.namespace, plural: APPROVAL_PLURAL, name: a.metadata.name, body: { status } },
        mergePatch(),
      );
      this.writes++;
      a.status = { ...(a.status ?? {}), ...status };
    } catch (err) {
      if (httpStatus(err) === 404) return; // revoked (deleted) meanwhile
      throw new Error(`writing status of Approval/${a.metadata.name}: ${errorMessage(err)}`);
    }
  }

  private async event(
    obj: { kind: string; metadata: { name: string; uid?: string; resourceVersion?: string } },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const { uid, name, resourceVersion } = obj.metadata;
    if (!uid) return;
    await this.o.events.record({ kind: obj.kind, name, namespace: this.o.namespace, uid, resourceVersion }, { type, reason, message });
  }
}
