import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconcileScheduler, type RunRequest } from '../../controller/kube/queue.js';
import { Backoff } from '../../controller/kube/backoff.js';
import { decideLease, leaseFingerprint } from '../../controller/kube/lease.js';
import { changeFingerprint } from '../../controller/kube/informers.js';
import { parseDuration } from '../../controller/kube/main.js';
import { ApprovalGate } from '../../controller/kube/approvals/gate.js';
import type { AnyResource } from '../../controller/api/schemas.js';

describe('ReconcileScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (run: (r: RunRequest) => Promise<void>, extra: Partial<ConstructorParameters<typeof ReconcileScheduler>[0]> = {}) =>
    new ReconcileScheduler({ debounceMs: 2000, maxDelayMs: 10_000, resyncMs: 0, retry: { initialMs: 1000, maxMs: 8000, resetAfterMs: 60_000 }, run, ...extra });

  it('turns a burst of events into one reconcile, 2s after the last one', async () => {
    const runs: RunRequest[] = [];
    const s = make(async (r) => {
      runs.push(r);
    });
    s.start();
    s.trigger('add Account/a');
    await vi.advanceTimersByTimeAsync(1500);
    s.trigger('add Account/b');
    expect(s.depth()).toBe(2);
    await vi.advanceTimersByTimeAsync(1500);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    expect(runs).toEqual([{ reasons: ['add Account/a', 'add Account/b'], resync: false }]);
    expect(s.depth()).toBe(0);
    await s.stop();
  });

  it('does not let a steady stream of events starve the reconcile (maxDelay)', async () => {
    let runs = 0;
    const s = make(async () => {
      runs++;
    });
    s.start();
    for (let t = 0; t < 11_000; t += 1000) {
      s.trigger(`e${t}`);
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(runs).toBe(1);
    await s.stop();
  });

  it('never runs two reconciles at once and runs once more for events that came meanwhile', async () => {
    let active = 0;
    let maxActive = 0;
    const seen: string[][] = [];
    const s = make(async (r) => {
      active++;
      maxActive = Math.max(maxActive, active);
      seen.push(r.reasons);
      await new Promise((res) => setTimeout(res, 5000));
      active--;
    });
    s.start();
    s.triggerNow('first');
    await vi.advanceTimersByTimeAsync(10);
    expect(s.running()).toBe(true);
    s.triggerNow('during-1');
    s.trigger('during-2');
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual([['first']]);
    await vi.advanceTimersByTimeAsync(2100);
    expect(seen).toEqual([['first'], ['during-1', 'during-2']]);
    await vi.advanceTimersByTimeAsync(6000);
    expect(maxActive).toBe(1);
    await s.stop();
  });

  it('retries a failed reconcile with growing backoff and reports the error', async () => {
    const times: number[] = [];
    const errors: number[] = [];
    const start = Date.now();
    const s = make(
      async () => {
        times.push(Date.now() - start);
        throw new Error('AWS down');
      },
      {
        onError: (_e, ms) => errors.push(ms),
      },
    );
    s.start();
    s.triggerNow('x');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(times.length).toBeGreaterThanOrEqual(4);
    // Each wait is within [base/2, base] with base doubling up to 8s.
    expect(errors[0]).toBeGreaterThanOrEqual(500);
    expect(errors[0]).toBeLessThanOrEqual(1000);
    expect(errors[3]).toBeGreaterThanOrEqual(4000);
    for (const e of errors) expect(e).toBeLessThanOrEqual(8000);
    await s.stop();
  });

  it('runs a periodic drift resync', async () => {
    const runs: RunRequest[] = [];
    const s = make(
      async (r) => {
        runs.push(r);
      },
      { resyncMs: 60_000 },
    );
    s.start();
    await vi.advanceTimersByTimeAsync(125_000);
    expect(runs).toEqual([
      { reasons: ['resync'], resync: true },
      { reasons: ['resync'], resync: true },
    ]);
    await s.stop();
  });
});

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, jittered in the upper half', () => {
    let now = 0;
    const lo = new Backoff(
      { initialMs: 100, maxMs: 1000, resetAfterMs: 10_000 },
      () => 0,
      () => now,
    );
    expect([lo.next(), lo.next(), lo.next(), lo.next(), lo.next(), lo.next()]).toEqual([50, 100, 200, 400, 500, 500]);
    const hi = new Backoff(
      { initialMs: 100, maxMs: 1000, resetAfterMs: 10_000 },
      () => 1,
      () => now,
    );
    expect([hi.next(), hi.next(), hi.next(), hi.next(), hi.next()]).toEqual([100, 200, 400, 800, 1000]);
    now = 20_000;
    expect(hi.next()).toBe(100);
  });
});

describe('decideLease', () => {
  const me = 'pod-a_1';
  it('creates a missing lease and renews its own', () => {
    expect(decideLease(undefined, me, 0, undefined, 15)).toEqual({ action: 'create' });
    expect(decideLease({ holderIdentity: me }, me, 0, undefined, 15)).toEqual({ action: 'renew' });
  });
  it('takes a released lease at once', () => {
    expect(decideLease({ holderIdentity: '' }, me, 0, undefined, 15)).toEqual({ action: 'takeover', from: '' });
  });
  it("waits out another holder's lease on its own clock before taking over", () => {
    const rec = { holderIdentity: 'pod-b_2', leaseDurationSeconds: 15, renewTime: '2020-01-01T00:00:00.000000Z' };
    // First seen now: a stale renewTime from another node's clock does not count.
    const first = decideLease(rec, me, 1_000_000, undefined, 15);
    expect(first).toEqual({ action: 'wait', holder: 'pod-b_2', expiresInMs: 15_000 });
    const observed = { fingerprint: leaseFingerprint(rec), at: 1_000_000 };
    expect(decideLease(rec, me, 1_010_000, observed, 15)).toEqual({ action: 'wait', holder: 'pod-b_2', expiresInMs: 5000 });
    expect(decideLease(rec, me, 1_015_000, observed, 15)).toEqual({ action: 'takeover', from: 'pod-b_2' });
    // A renewal changes the fingerprint: the clock starts again.
    const renewed = { ...rec, renewTime: '2020-01-01T00:00:05.000000Z' };
    expect(decideLease(renewed, me, 1_015_000, observed, 15)).toEqual({ action: 'wait', holder: 'pod-b_2', expiresInMs: 15_000 });
  });
  it('reads microsecond renew times', () => {
    expect(JSON.parse(leaseFingerprint({ holderIdentity: 'x', renewTime: '2026-01-01T00:00:01.123456Z' }))).toEqual(['x', Date.UTC(2026, 0, 1, 0, 0, 1, 123)]);
  });
});

describe('changeFingerprint', () => {
  const obj = (extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}) => ({
    metadata: { name: 'a', generation: 1, resourceVersion: '10', annotations, ...extra },
    status: { x: 1 },
  });
  it('ignores status and resourceVersion changes (our own status writes)', () => {
    expect(changeFingerprint({ ...obj({ resourceVersion: '11' }), status: { x: 2 } } as never)).toBe(changeFingerprint(obj() as never));
  });
  it('changes with the spec generation, deletion and the paused annotation', () => {
    const base = changeFingerprint(obj() as never);
    expect(changeFingerprint(obj({ generation: 2 }) as never)).not.toBe(base);
    expect(changeFingerprint(obj({ deletionTimestamp: '2026-01-01T00:00:00Z' }) as never)).not.toBe(base);
    expect(changeFingerprint(obj({}, { 'orgplane.io/paused': 'true' }) as never)).not.toBe(base);
  });
});

describe('flags', () => {
  it('parses durations', () => {
    expect([parseDuration('500ms'), parseDuration('2s'), parseDuration('5m'), parseDuration('1h'), parseDuration('15')]).toEqual([
      500, 2000, 300_000, 3_600_000, 15_000,
    ]);
    expect(() => parseDuration('5 minutes')).toThrow('invalid duration "5 minutes" (use e.g. 500ms, 2s, 5m, 1h)');
  });
  it('reads migration approvals from the Account annotation only with --allow-self-approval', () => {
    const acct = (name: string, v?: string) =>
      ({
        apiVersion: 'orgplane.io/v1alpha1',
        kind: 'Account',
        metadata: { name, generation: 1, annotations: v === undefined ? {} : { 'orgplane.io/approve-migration': v } },
        spec: { email: `${name}@x.io`, parent: 'root' },
      }) as AnyResource;
    const resources = [acct('a', 'true'), acct('b'), acct('c', 'false'), acct('d', '')];
    const approved = (allowSelfApproval: boolean) => {
      const gate = new ApprovalGate({ resources, approvals: [], now: new Date(), allowSelfApproval });
      return ['a', 'b', 'c', 'd'].filter((n) =>
        gate.migration({ id: `op-${n}`, resource: `Account/${n}`, summary: 'move', fromId: 'ou-a', to: { id: 'r-1' } }),
      );
    };
    expect(approved(true)).toEqual(['a', 'd']);
    expect(approved(false)).toEqual([]);
  });
});
