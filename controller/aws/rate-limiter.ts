// The client-side rate limit of one AWS API: a token bucket (`tps` sustained, `burst` at once)
// with an optional cap on requests in flight, and a FIFO queue of callers. It replaces
// Bottleneck here for one reason: a caller must be able to leave the queue. With 1,000 reads
// queued at 1 call/s, an aborted reconcile has to drop them at once, and a write that is still
// allowed to finish must not wait behind their tokens (Bottleneck can only drop every queued
// job at once, and a job it has queued keeps its place until it runs).
import { setMaxListeners } from 'node:events';
import { abortError } from './abort.js';

/** A token bucket: `tps` sustained, up to `burst` at once; tps <= 0 or Infinity = unlimited. */
export interface RateLimit {
  tps: number;
  burst: number;
  /** Requests in flight at once (default unlimited). */
  maxConcurrent?: number;
}

interface Waiter {
  start(): void;
  fail(err: Error): void;
}

export class RateLimiter {
  private tokens: number;
  private refilledAt: number;
  private running = 0;
  private readonly queue: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private readonly paced: boolean;
  private readonly burst: number;
  private readonly maxConcurrent: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.paced = limit.tps > 0 && Number.isFinite(limit.tps);
    this.burst = Math.max(1, Math.floor(limit.burst));
    this.maxConcurrent = limit.maxConcurrent && limit.maxConcurrent > 0 ? limit.maxConcurrent : Number.POSITIVE_INFINITY;
    this.tokens = this.burst;
    this.refilledAt = now();
  }

  /** Callers waiting for a token or a slot. */
  waiting(): number {
    return this.queue.length;
  }

  /** Runs fn when a token and a slot are free; an abort while waiting rejects at once and gives the place up. */
  async schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.running--;
      this.pump();
    }
  }

  /** Stops the refill timer and rejects the callers still waiting (the clients are being destroyed). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.queue.splice(0)) w.fail(new Error('the AWS clients were destroyed while this call waited for its rate limit'));
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        if (signal) reject(abortError(signal));
        // The head of the queue may be able to start now.
        this.pump();
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        },
        fail: (err) => {
          signal?.removeEventListener('abort', leave);
          reject(err);
        },
      };
      if (signal) {
        // One listener per queued call: a reconcile's signal has hundreds, by design.
        setMaxListeners(0, signal);
        signal.addEventListener('abort', leave, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.limit.tps) / 1000);
    this.refilledAt = now;
  }

  /** Starts every waiter that may start now, and arms one timer for the next token. */
  private pump(): void {
    if (this.paced) this.refill();
    while (this.queue.length > 0 && this.running < this.maxConcurrent && (!this.paced || this.tokens >= 1)) {
      if (this.paced) this.tokens -= 1;
      this.running++;
      this.queue.shift()?.start();
    }
    if (this.timer || !this.paced || this.queue.length === 0 || this.running >= this.maxConcurrent) return;
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.limit.tps));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }
}

/** The limiter for one rate limit, or undefined when there is nothing to limit. */
export function createLimiter(limit: RateLimit): RateLimiter | undefined {
  const paced = limit.tps > 0 && Number.isFinite(limit.tps);
  return paced || (limit.maxConcurrent ?? 0) > 0 ? new RateLimiter(limit) : undefined;
}
