// Stopping AWS work part-way, on plain data: the rate limiter gives a waiting caller's place up
// at once when its signal fires, the backoff sleep ends at once, and only reads take a
// reconcile's signal from the scope they run in.
import { describe, expect, it } from 'vitest';
import { abortableSleep, currentAbortSignal, isAbortError, StopRequested, withAbortSignal } from '../../controller/aws/abort.js';
import { RateLimiter } from '../../controller/aws/rate-limiter.js';
import { callSignal, isReadOperation } from '../../controller/aws/middleware.js';

const settledWithin = async <T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> => {
  const t0 = Date.now();
  try {
    const value = await p;
    return { ms: Date.now() - t0, value };
  } catch (error) {
    return { ms: Date.now() - t0, error };
  }
};

describe('RateLimiter', () => {
  it('paces callers past the burst at tps, in order', async () => {
    const limiter = new RateLimiter({ tps: 20, burst: 2 });
    const t0 = Date.now();
    const order: number[] = [];
    const at: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        limiter.schedule(async () => {
          order.push(i);
          at.push(Date.now() - t0);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // Two from the bucket, three more at 50 ms each.
    expect(at[4]).toBeGreaterThanOrEqual(130);
    limiter.close();
  });

  it('keeps at most maxConcurrent in flight', async () => {
    const limiter = new RateLimiter({ tps: 0, burst: 0, maxConcurrent: 2 });
    let active = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        limiter.schedule(async () => {
          active++;
          most = Math.max(most, active);
          await new Promise((r) => setTimeout(r, 20));
          active--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  it('rejects a waiting caller at once when its signal fires, without running it', async () => {
    const limiter = new RateLimiter({ tps: 1, burst: 1 });
    await limiter.schedule(async () => undefined); // the bucket is empty now: the next token is 1 s away
    const ac = new AbortController();
    let ran = false;
    const waiting = settledWithin(
      limiter.schedule(async () => {
        ran = true;
      }, ac.signal),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(limiter.waiting()).toBe(1);
    ac.abort(new StopRequested('SIGTERM'));
    const r = await waiting;
    expect(r.ms).toBeLessThan(100);
    expect(isAbortError(r.error)).toBe(true);
    expect((r.error as Error).cause).toBeInstanceOf(StopRequested);
    expect(ran).toBe(false);
    expect(limiter.waiting()).toBe(0);
    limiter.close();
  });

  it('lets a caller queued behind aborted ones start at the next token, not after their turns', async () => {
    const limiter = new RateLimiter({ tps: 4, burst: 1 });
    await limiter.schedule(async () => undefined);
    const reads = new AbortController();
    const queued = Array.from({ length: 20 }, () => limiter.schedule(async () => 'read', reads.signal).catch((e: unknown) => e));
    const t0 = Date.now();
    const write = limiter.schedule(async () => Date.now() - t0); // no signal: a write runs on
    reads.abort(new StopRequested('SIGTERM'));
    const outcomes = await Promise.all(queued);
    expect(outcomes.every(isAbortError)).toBe(true);
    // One token is 250 ms away; behind 20 reads it would have been 5 s.
    expect(await write).toBeLessThan(1_000);
    limiter.close();
  });

  it('rejects at once when the signal has fired already', async () => {
    const limiter = new RateLimiter({ tps: 100, burst: 10 });
    const ac = new AbortController();
    ac.abort();
    const r = await settledWithin(limiter.schedule(async () => 'never', ac.signal));
    expect(isAbortError(r.error)).toBe(true);
  });

  it('close() rejects whoever still waits', async () => {
    const limiter = new RateLimiter({ tps: 1, burst: 1 });
    await limiter.schedule(async () => undefined);
    const waiting = settledWithin(limiter.schedule(async () => 'late'));
    limiter.close();
    expect(((await waiting).error as Error).message).toMatch(/destroyed/);
  });
});

describe('abortableSleep', () => {
  it('sleeps its time without a signal', async () => {
    const r = await settledWithin(abortableSleep(60));
    expect(r.ms).toBeGreaterThanOrEqual(50);
    expect(r.error).toBeUndefined();
  });

  it('ends at once, rejecting, when the signal fires mid-sleep (the backoff of a throttled read)', async () => {
    const ac = new AbortController();
    const sleeping = settledWithin(abortableSleep(20_000, ac.signal));
    setTimeout(() => ac.abort(new StopRequested('SIGINT')), 30);
    const r = await sleeping;
    expect(r.ms).toBeLessThan(500);
    expect(isAbortError(r.error)).toBe(true);
    expect((r.error as Error).message).toContain('SIGINT');
  });
});

describe('which calls a stop cuts off', () => {
  it.each([
    ['Organizations:ListAccounts', true],
    ['Organizations:DescribeOrganization', true],
    ['IAM:GetRole', true],
    ['Identitystore:IsMemberInGroups', true],
    ['STS:AssumeRole', true],
    ['SSOAdmin:DescribePermissionSet', true],
    ['Organizations:CreateAccount', false],
    ['Organizations:MoveAccount', false],
    ['IAM:PutRolePolicy', false],
    ['Organizations:TagResource', false],
    ['SSOAdmin:ProvisionPermissionSet', false],
    ['Organizations:Listen', false],
  ])('%s is a read: %s', (op, read) => {
    expect(isReadOperation(op)).toBe(read);
  });

  it('a read takes the signal of the scope it runs in; a write does not', () => {
    const ac = new AbortController();
    const context = { commandName: 'ListAccountsCommand' };
    expect(withAbortSignal(ac.signal, () => callSignal('Organizations:ListAccounts', context))).toBe(ac.signal);
    expect(withAbortSignal(ac.signal, () => callSignal('Organizations:CreateOrganizationalUnit', context))).toBeUndefined();
    expect(callSignal('Organizations:ListAccounts', context)).toBeUndefined();
  });

  it('a signal passed to send() applies to writes too, and joins the scope for reads', () => {
    const own = new AbortController();
    const scoped = new AbortController();
    const context = { __smithy_context: { abortSignal: own.signal } };
    expect(withAbortSignal(scoped.signal, () => callSignal('Organizations:MoveAccount', context))).toBe(own.signal);
    const both = withAbortSignal(scoped.signal, () => callSignal('Organizations:ListRoots', context))!;
    expect(both.aborted).toBe(false);
    scoped.abort();
    expect(both.aborted).toBe(true);
  });

  it('the scope follows async work started inside it, and only that work', async () => {
    const ac = new AbortController();
    const inside = withAbortSignal(ac.signal, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return currentAbortSignal();
    });
    expect(await inside).toBe(ac.signal);
    expect(currentAbortSignal()).toBeUndefined();
    expect(withAbortSignal(ac.signal, () => withAbortSignal(undefined, () => currentAbortSignal()))).toBeUndefined();
  });
});
