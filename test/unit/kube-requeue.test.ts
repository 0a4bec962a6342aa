// The reconcile says what happens next as a value (STYLE.md habit 2): the scheduler runs it
// again after requeueAfterMs, once, and a stop clears that with every other timer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconcileScheduler, type RunRequest, type RunResult } from '../../controller/kube/queue.js';

describe('ReconcileScheduler and RunResult', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (run: (r: RunRequest) => Promise<RunResult | void>) =>
    new ReconcileScheduler({ debounceMs: 2000, maxDelayMs: 10_000, resyncMs: 0, retry: { initialMs: 1000, maxMs: 8000, resetAfterMs: 60_000 }, run });

  it('runs again requeueAfterMs after a run that asks for it, and not after one that does not', async () => {
    const runs: { at: number; reasons: string[] }[] = [];
    const t0 = Date.now();
    const s = make(async (r) => {
      runs.push({ at: Date.now() - t0, reasons: r.reasons });
      return runs.length === 1 ? { requeueAfterMs: 10_000, reason: 'workflow in progress: Account/a' } : {};
    });
    s.start();
    s.triggerNow('became leader');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs.map((r) => r.reasons)).toEqual([['became leader'], ['workflow in progress: Account/a']]);
    expect(runs[1].at).toBeGreaterThanOrEqual(10_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(2);
    await s.stop();
  });

  it('a stop clears a pending requeue', async () => {
    let runs = 0;
    const s = make(async () => {
      runs++;
      return { requeueAfterMs: 1_000 };
    });
    s.start();
    s.triggerNow('x');
    await vi.advanceTimersByTimeAsync(10);
    expect(runs).toBe(1);
    await s.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
  });
});
