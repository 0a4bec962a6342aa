// Capped exponential backoff with jitter, so restarting watches or retrying failed reconciles
// never floods the API server or AWS.
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A streak of failures is forgotten after this long without one. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 120_000 };

export class Backoff {
  private failures = 0;
  private lastFailureAt = -Infinity;
  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure and returns how long to wait before the next try. */
  next(): number {
    const t = this.now();
    if (t - this.lastFailureAt > this.opts.resetAfterMs) this.failures = 0;
    this.lastFailureAt = t;
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.failures);
    this.failures++;
    // Full jitter in the upper half: never less than half the base, never above the cap.
    return Math.min(this.opts.maxMs, Math.round(base / 2 + (base / 2) * this.random()));
  }

  reset(): void {
    this.failures = 0;
    this.lastFailureAt = -Infinity;
  }

  get streak(): number {
    return this.failures;
  }
}
