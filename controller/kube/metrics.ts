// Prometheus metrics of the controller, on a registry of its own (tests can run several).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallLog } from '../aws/clients.js';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({
    name: 'orgplane_reconcile_duration_seconds',
    help: 'Wall time of one whole-graph reconcile',
    labelNames: ['result'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly awsCalls = new Counter({
    name: 'orgplane_aws_calls_total',
    help: 'AWS API calls by operation and outcome',
    labelNames: ['api', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'orgplane_workqueue_depth',
    help: 'Reconcile requests waiting to run',
    registers: [this.registry],
  });
  readonly drift = new Gauge({
    name: 'orgplane_drift_resources',
    help: 'Resources whose AWS state differed from the spec at the last reconcile',
    registers: [this.registry],
  });
  readonly pendingOps = new Gauge({
    name: 'orgplane_pending_operations',
    help: 'Operations in the last plan (not applied in observe-only mode)',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'orgplane_leader',
    help: '1 when this replica holds the leader lease',
    registers: [this.registry],
  });
  readonly informerRestarts = new Counter({
    name: 'orgplane_informer_restarts_total',
    help: 'Informer restarts after watch errors',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly statusWrites = new Counter({
    name: 'orgplane_status_writes_total',
    help: 'Status subresource patches sent',
    registers: [this.registry],
  });

  /** Outcome counts already exported per CallLog key (the CallLog only grows). */
  private readonly exported = new Map<string, number>();

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** Copies new AWS call counts from the clients' CallLog ("Service:Operation:outcome" keys). */
  syncAwsCalls(calls: CallLog): void {
    for (const [key, n] of calls.byOutcome) {
      const prev = this.exported.get(key) ?? 0;
      if (n < prev) {
        this.exported.set(key, n);
        continue;
      } // the log was reset
      if (n === prev) continue;
      const cut = key.lastIndexOf(':');
      this.awsCalls.inc({ api: key.slice(0, cut), outcome: key.slice(cut + 1) }, n - prev);
      this.exported.set(key, n);
    }
  }
}
