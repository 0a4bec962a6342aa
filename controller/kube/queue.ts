// The work queue of a whole-graph controller: every change only asks for "one more reconcile".
// Requests are debounced (a burst of kubectl applies becomes one run), capped so a steady
// stream of events cannot starve the reconcile, never run concurrently, retried with backoff
// after a failure, and topped up by a periodic drift resync.
import { Backoff, type BackoffOptions } from './backoff.js';

export interface RunRequest {
  /** Why this run happens (event descriptions, "resync", "retry"). */
  reasons: string[];
  /** The periodic drift resync asked for it. */
  resync: boolean;
}

/**
 * What a run says happens next, as a value (controller-runtime's Result): nothing, or one more
 * run after a delay. The scheduler owns the timer, so a stop clears it with the others.
 */
export interface RunResult {
  /** Run again this long after this run ends (a deletion or workflow still under way). */
  requeueAfterMs?: number;
  /** Why, as the next run's reason. */
  reason?: string;
}

export interface SchedulerOptions {
  debounceMs: number;
  /** Longest a pending request waits while events keep arriving. */
  maxDelayMs: number;
  /** Periodic drift resync; 0 = off. */
  resyncMs: number;
  retry: BackoffOptions;
  run: (req: RunRequest) => Promise<RunResult | void>;
  onError?: (err: unknown, retryInMs: number) => void;
}

export class ReconcileScheduler {
  private pending: string[] = [];
  private pendingResync = false;
  private firstPendingAt = 0;
  private debounceTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private requeueTimer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private stopped = false;
  private readonly backoff: Backoff;
  /** Runs completed (ok or not). */
  runs = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.backoff = new Backoff(opts.retry);
  }

  start(): void {
    this.stopped = false;
    if (this.opts.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.enqueue('resync', true, 0), this.opts.resyncMs);
      this.resyncTimer.unref?.();
    }
  }

  /** Requests a reconcile after the debounce delay. */
  trigger(reason: string): void {
    this.enqueue(reason, false, this.opts.debounceMs);
  }

  /** Requests a reconcile as soon as none is running. */
  triggerNow(reason: string, resync = false): void {
    this.enqueue(reason, resync, 0);
  }

  /** Requests waiting to be run (the queue depth metric). */
  depth(): number {
    return this.pending.length;
  }

  running(): boolean {
    return this.inFlight !== undefined;
  }

  private enqueue(reason: string, resync: boolean, delay: number): void {
    if (this.stopped) return;
    if (this.pending.length === 0) this.firstPendingAt = Date.now();
    // Keep the reasons list small: a storm of events is one reconcile anyway.
    if (this.pending.length < 50) this.pending.push(reason);
    this.pendingResync ||= resync;
    this.arm(delay);
  }

  private arm(delay: number): void {
    if (this.inFlight) return; // the run's end re-arms
    if (this.retryTimer && delay > 0) return; // a failure backoff is already pending
    const waited = Date.now() - this.firstPendingAt;
    const wait = Math.max(0, Math.min(delay, this.opts.maxDelayMs - waited));
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.fire();
    }, wait);
    this.debounceTimer.unref?.();
  }

  private async fire(): Promise<void> {
    if (this.stopped || this.inFlight || this.pending.length === 0) return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const req: RunRequest = { reasons: this.pending, resync: this.pendingResync };
    this.pending = [];
    this.pendingResync = false;
    let failed = false;
    const running = (async (): Promise<RunResult | void> => {
      try {
        const next = await this.opts.run(req);
        this.backoff.reset();
        return next;
      } catch (err) {
        failed = true;
        const delay = this.backoff.next();
        this.opts.onError?.(err, delay);
        if (!this.stopped) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.enqueue('retry after error', req.resync, 0);
          }, delay);
          this.retryTimer.unref?.();
        }
      }
    })();
    this.inFlight = running.then(() => undefined);
    const next = await running;
    this.inFlight = undefined;
    this.runs++;
    if (next?.requeueAfterMs !== undefined) this.requeueAfter(next.requeueAfterMs, next.reason ?? 'requeue');
    // Events that arrived during the run: debounce from now (a retry waits for its own timer).
    if (!this.stopped && this.pending.length > 0 && !(failed && this.retryTimer)) {
      this.firstPendingAt = Date.now();
      this.arm(this.opts.debounceMs);
    }
  }

  /** One more run after ms, unless one is already due by then (a requeue never delays another). */
  private requeueAfter(ms: number, reason: string): void {
    if (this.stopped || this.requeueTimer) return;
    this.requeueTimer = setTimeout(() => {
      this.requeueTimer = undefined;
      this.enqueue(reason, false, 0);
    }, ms);
    this.requeueTimer.unref?.();
  }

  /** Stops the timers and waits for a running reconcile to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.debounceTimer, this.retryTimer, this.requeueTimer]) if (t) clearTimeout(t);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.debounceTimer = this.retryTimer = this.resyncTimer = this.requeueTimer = undefined;
    this.pending = [];
    await this.inFlight;
  }
}
