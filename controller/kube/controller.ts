// The controller loop: informers trigger a debounced whole-graph reconcile; only the leader
// runs it. Each run lists the namespace's resources, keeps finalizers on them, runs the engine
// with deleted resources left out (so AWS follows their deletionPolicy), writes changed status,
// records events and releases finalizers of deletions that are done.
import type { Logger } from 'pino';
import { refKey, type AnyResource } from '../api/schemas.js';
import type { CallLog } from '../aws/clients.js';
import type { KubeApis } from './client.js';
import { errorMessage } from './client.js';
import { withCondition, findCondition, type StatusFields } from './conditions.js';
import { deletionOutcome } from './deletion.js';
import { EventRecorder } from './events.js';
import { Finalizers, deletionPolicyOf, hasFinalizer } from './finalizers.js';
import type { Readiness } from './health.js';
import { ResourceWatcher } from './informers.js';
import { LeaderElector } from './lease.js';
import type { ControllerMetrics } from './metrics.js';
import { ReconcileScheduler, type RunRequest, type RunResult } from './queue.js';
import type { Reconciler, ReconcileOutcome } from './reconciler.js';
import { NotLeaderError, StatusWriter } from './status-writer.js';
import { ConfigMapKV } from './runtime/configmap-kv.js';
import { ConfigMapWorkflowStore } from './workflow-store.js';
import type { ApprovalGate } from './approvals/gate.js';
import { ApprovalKeeper } from './approvals/keeper.js';
import { ApprovalWatcher } from './approvals/watch.js';

export interface LeaderElectionConfig {
  enabled: boolean;
  namespace: string;
  name: string;
  leaseDurationSeconds: number;
  renewIntervalMs: number;
  renewDeadlineMs: number;
}

export interface ControllerConfig {
  apis: KubeApis;
  /** The org namespace whose resources form the graph (--watch-namespace). */
  namespace: string;
  /** Where the workflow snapshots are kept: a ConfigMap only the controller may write. */
  workflowConfigMap: { namespace: string; name: string };
  identity: string;
  reconciler: Reconciler;
  observeOnly: boolean;
  leaderElection: LeaderElectionConfig;
  debounceMs: number;
  maxDelayMs: number;
  resyncMs: number;
  /** Re-run this soon while a deletion or workflow is still under way. */
  requeueMs: number;
  log: Logger;
  metrics: ControllerMetrics;
  awsCalls?: CallLog;
  /** Called when leadership is lost (the CLI exits so the pod restarts clean). */
  onLeadershipLost?: (reason: string) => void;
  /** Approvals are not separated from authoring: the approve-migration annotation also approves a move. */
  allowSelfApproval?: boolean;
}

const keyOf = (r: AnyResource): string => refKey(r.kind, r.metadata.name);

/**
 * Observe-only: Synced says so, with the count of operations that were not applied. A Synced
 * the engine already set to ObserveOnly, or to a failure (InvalidSpec, blocked ...), is kept.
 */
export function observeOnlyStatus(status: StatusFields, pendingOps: number): StatusFields {
  const synced = findCondition(status, 'Synced');
  if (synced && !['ReconcileSuccess', 'ChangesPending'].includes(synced.reason)) return status;
  return withCondition(status, {
    type: 'Synced',
    status: pendingOps === 0 ? 'True' : 'False',
    reason: 'ObserveOnly',
    message: pendingOps === 0 ? 'observe-only mode: AWS matches the spec' : `observe-only mode: ${pendingOps} pending operation(s) not applied`,
  });
}

export class Controller {
  readonly watcher: ResourceWatcher;
  readonly scheduler: ReconcileScheduler;
  readonly elector?: LeaderElector;
  readonly status: StatusWriter;
  readonly events: EventRecorder;
  readonly finalizers: Finalizers;
  readonly store: ConfigMapWorkflowStore;
  readonly approvals: ApprovalKeeper;
  readonly approvalWatch: ApprovalWatcher;
  private leading = false;
  private abort?: AbortController;
  private lastAwsOk?: boolean;
  /** The last engine result (tests and debugging). */
  lastResult?: ReconcileOutcome;
  reconciles = 0;

  constructor(private readonly c: ControllerConfig) {
    const mayWrite = () => this.isLeader();
    this.status = new StatusWriter(c.apis, c.log, mayWrite);
    this.events = new EventRecorder(c.apis, c.identity, c.log, mayWrite);
    this.finalizers = new Finalizers(c.apis, mayWrite);
    const kv = new ConfigMapKV({
      core: c.apis.core,
      ...c.workflowConfigMap,
      labels: { 'app.kubernetes.io/part-of': 'orgplane', 'orgplane.io/watch-namespace': c.namespace },
    });
    this.store = new ConfigMapWorkflowStore({ kv, status: this.status, namespace: c.namespace, mayWrite });
    this.approvals = new ApprovalKeeper({
      apis: c.apis,
      namespace: c.namespace,
      log: c.log,
      events: this.events,
      mayWrite,
      allowSelfApproval: c.allowSelfApproval ?? false,
    });
    const onChange = (reason: string) => {
      if (this.isLeader()) this.scheduler.trigger(reason);
      c.metrics.queueDepth.set(this.scheduler.depth());
    };
    this.approvalWatch = new ApprovalWatcher({ apis: c.apis, namespace: c.namespace, log: c.log, onChange });
    this.scheduler = new ReconcileScheduler({
      debounceMs: c.debounceMs,
      maxDelayMs: c.maxDelayMs,
      resyncMs: c.resyncMs,
      retry: { initialMs: 2000, maxMs: 120_000, resetAfterMs: 600_000 },
      run: (req) => this.reconcileOnce(req),
      onError: (err, retryInMs) => c.log.error({ err: errorMessage(err), retryInMs }, 'reconcile failed'),
    });
    this.watcher = new ResourceWatcher({
      apis: c.apis,
      namespace: c.namespace,
      log: c.log,
      onChange,
      onRestart: (kind) => c.metrics.informerRestarts.inc({ kind }),
    });
    if (c.leaderElection.enabled) {
      const le = c.leaderElection;
      this.elector = new LeaderElector({
        apis: c.apis,
        namespace: le.namespace,
        name: le.name,
        identity: c.identity,
        leaseDurationSeconds: le.leaseDurationSeconds,
        renewIntervalMs: le.renewIntervalMs,
        renewDeadlineMs: le.renewDeadlineMs,
        log: c.log,
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: (reason) => this.stopLeading(reason),
      });
    }
  }

  isLeader(): boolean {
    return this.leading && (this.elector ? this.elector.isLeader() : true);
  }

  async start(): Promise<void> {
    await this.watcher.start();
    await this.approvalWatch.start();
    this.scheduler.start();
    if (this.elector) this.elector.start();
    else this.startLeading();
  }

  private startLeading(): void {
    this.leading = true;
    this.c.metrics.leader.set(1);
    this.scheduler.triggerNow('became leader', true);
  }

  private stopLeading(reason: string): void {
    this.leading = false;
    this.c.metrics.leader.set(0);
    this.lastAwsOk = undefined;
    // Writes already check isLeader(); aborting also stops the engine between steps.
    this.abort?.abort(new NotLeaderError(`anything: ${reason}`));
    this.c.onLeadershipLost?.(reason);
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (!this.watcher.synced() || !this.approvalWatch.synced()) reasons.push('informers have not synced');
    if (this.isLeader() && this.lastAwsOk !== true) reasons.push(this.lastAwsOk === false ? 'the last AWS read failed' : 'no reconcile has finished yet');
    return { ready: reasons.length === 0, reasons };
  }

  /** One whole-graph reconcile (the scheduler never runs two at once); returns what happens next. */
  async reconcileOnce(req: RunRequest): Promise<RunResult> {
    if (!this.isLeader()) return {};
    const { log, metrics } = this.c;
    const ac = new AbortController();
    this.abort = ac;
    const timer = metrics.reconcileDuration.startTimer();
    let result = 'error';
    try {
      const next = await this.runSteps(req, ac.signal);
      result = 'success';
      return next;
    } catch (err) {
      if (ac.signal.aborted && !(ac.signal.reason instanceof NotLeaderError)) {
        // Stopped on purpose (SIGTERM): nothing is wrong and nothing is retried.
        result = 'stopped';
        log.info({ reason: errorMessage(ac.signal.reason) }, 'reconcile stopped before its end');
        return {};
      }
      if (err instanceof NotLeaderError || !this.isLeader()) {
        result = 'lost-leadership';
        log.warn({ err: errorMessage(err) }, 'reconcile stopped: leadership lost');
        return {};
      }
      throw err;
    } finally {
      timer({ result });
      this.reconciles++;
      if (this.abort === ac) this.abort = undefined;
      metrics.queueDepth.set(this.scheduler.depth());
      if (this.c.awsCalls) metrics.syncAwsCalls(this.c.awsCalls);
    }
  }

  private async runSteps(req: RunRequest, signal: AbortSignal): Promise<RunResult> {
    const { log, observeOnly, metrics } = this.c;
    const started = Date.now();
    const resources = await this.watcher.listFresh();
    const byKey = new Map(resources.map((r) => [keyOf(r), r]));

    for (const r of resources)
      if (!r.metadata.deletionTimestamp) {
        signal.throwIfAborted();
        await this.finalizers.add(r);
      }

    const deleting = resources.filter((r) => r.metadata.deletionTimestamp && hasFinalizer(r));
    const live = resources.filter((r) => !r.metadata.deletionTimestamp);
    // Retain: nothing to do in AWS; let Kubernetes delete the resource now.
    for (const d of deleting.filter((r) => deletionPolicyOf(r) === 'Retain')) {
      await this.emit(d, 'Normal', 'Retained', `deleted from Kubernetes; the AWS object is left in place (deletionPolicy Retain)`);
      await this.finalizers.remove(d);
    }
    const toDelete = deleting.filter((r) => deletionPolicyOf(r) !== 'Retain');

    await this.store.refresh();
    const approvalList = await this.approvals.list();
    const gate = this.approvals.gate(live, approvalList);
    const outcome = await this.reconcileLive(live, toDelete, signal, gate);
    if (!this.isLeader()) throw new NotLeaderError('results of a reconcile');
    this.lastAwsOk = true;
    this.lastResult = outcome;
    // Before statuses are written: they carry the Approval a waiting move needs. A failed
    // Approval status write is reported, not fatal: AWS was already changed, statuses must follow.
    await this.approvals.settle(outcome, live, approvalList, gate).catch((err: unknown) => {
      if (err instanceof NotLeaderError || !this.isLeader()) throw err;
      log.warn({ err: errorMessage(err) }, 'could not record the state of Approvals; retried on the next reconcile');
    });
    const { plan } = outcome;
    const pending = outcome.pending ?? plan;
    const pendingFor = (key: string) => pending.ops.filter((o) => o.resource === key).length;

    // Events first: a resource whose finalizer goes below disappears with its events' target.
    for (const e of outcome.events) {
      signal.throwIfAborted();
      const obj = byKey.get(e.resource);
      if (obj) await this.emit(obj, e.type, e.reason, e.message);
      else log.debug({ event: e }, 'event for a resource that is not in the namespace');
    }

    const now = new Date().toISOString();
    let written = 0;
    for (const r of live) {
      signal.throwIfAborted();
      let desired = outcome.statuses[keyOf(r)];
      if (!desired) continue;
      if (observeOnly) desired = observeOnlyStatus(desired, pendingFor(keyOf(r)));
      if (await this.status.write(r, desired, now)) written++;
    }

    const waiting = await this.finishDeletions(toDelete, pending, outcome.applied, now);
    const openWorkflows = this.store.open();
    const next: RunResult =
      waiting || openWorkflows.length > 0
        ? { requeueAfterMs: this.c.requeueMs, reason: `deletion or workflow in progress: ${[...openWorkflows, ...toDelete.map(keyOf)].slice(0, 5).join(', ')}` }
        : {};

    const drift = Object.keys(plan.drift).length;
    metrics.drift.set(drift);
    metrics.pendingOps.set(pending.ops.length);
    log.info(
      {
        reasons: req.reasons.slice(0, 5),
        resync: req.resync,
        resources: resources.length,
        ops: plan.ops.length,
        pending: pending.ops.length,
        applied: outcome.applied.length,
        errors: outcome.errors.length,
        blocked: plan.blocked.length,
        drift,
        statusWrites: written,
        deleting: toDelete.length,
        ms: Date.now() - started,
        observeOnly,
        requeueAfterMs: next.requeueAfterMs,
      },
      'reconciled',
    );
    return next;
  }

  /** Runs the reconciler over the live resources; on an AWS failure marks each one not Synced and rethrows. */
  private async reconcileLive(live: AnyResource[], toDelete: AnyResource[], signal: AbortSignal, approvals: ApprovalGate): Promise<ReconcileOutcome> {
    const { namespace, observeOnly } = this.c;
    try {
      return await this.c.reconciler(live, { namespace, observeOnly, apply: true, workflowStore: this.store, signal, deleting: toDelete, approvals });
    } catch (err) {
      // A stop or a lost Lease is no AWS failure: report nothing, the next run reads afresh.
      if (err instanceof NotLeaderError || !this.isLeader() || signal.aborted) throw err;
      this.lastAwsOk = false;
      const message = `reconcile failed: ${errorMessage(err)}`;
      for (const r of live) {
        await this.status.write(r, { conditions: [{ type: 'Synced', status: 'False', reason: 'ReconcileError', message }] });
        await this.emit(r, 'Warning', 'ReconcileError', message);
      }
      throw err;
    }
  }

  /** Removes the finalizer of each deleted resource whose AWS side is done; returns whether any still waits. */
  private async finishDeletions(
    toDelete: AnyResource[],
    pending: ReconcileOutcome['plan'],
    applied: ReconcileOutcome['applied'],
    now: string,
  ): Promise<boolean> {
    const { observeOnly } = this.c;
    let waiting = false;
    for (const d of toDelete) {
      const key = keyOf(d);
      const policy = deletionPolicyOf(d);
      const o = deletionOutcome(key, policy, pending, applied, this.store.isOpen(key), observeOnly);
      if (o.done) {
        await this.emit(d, 'Normal', 'Deleted', `${o.message}; finalizer removed`);
        await this.finalizers.remove(d);
      } else {
        waiting = true;
        await this.status.write(
          d,
          {
            conditions: [
              { type: 'Ready', status: 'False', reason: 'Deleting', message: o.message },
              { type: 'Synced', status: o.warning ? 'False' : 'True', reason: o.reason, message: o.message },
            ],
          },
          now,
        );
        if (o.warning) await this.emit(d, 'Warning', o.reason, o.message);
      }
    }
    return waiting;
  }

  private async emit(obj: AnyResource, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const { uid, name, namespace, resourceVersion } = obj.metadata;
    if (!uid) return;
    await this.events.record({ kind: obj.kind, name, namespace: namespace ?? this.c.namespace, uid, resourceVersion }, { type, reason, message });
  }

  /**
   * Cuts a running reconcile short (its AWS reads end at once, writes in flight finish), waits
   * for it, then hands the Lease back so a follower takes over without waiting it out.
   */
  async stop(opts: { releaseLease?: boolean; reason?: Error } = {}): Promise<void> {
    this.abort?.abort(opts.reason ?? new Error('the controller is stopping'));
    await this.scheduler.stop();
    if (this.elector) await this.elector.stop({ release: opts.releaseLease ?? true });
    this.leading = false;
    await this.watcher.stop();
    await this.approvalWatch.stop();
  }
}
