import { describe, expect, it } from 'vitest';
import { errorCode, isAwsError, isRetryable } from '../../controller/aws/errors.js';
import { backoffDelay, createLimiter } from '../../controller/aws/middleware.js';

const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  ({ name, message: `${name} message`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });

describe('isRetryable', () => {
  it.each([
    ['TooManyRequestsException as HTTP 400', sdkError('TooManyRequestsException', 400)],
    ['TooManyRequestsException as HTTP 429', sdkError('TooManyRequestsException', 429)],
    ['ThrottlingException', sdkError('ThrottlingException', 400)],
    ['IAM Throttling', sdkError('Throttling', 400)],
    ['ConcurrentModificationException', sdkError('ConcurrentModificationException', 400)],
    ['IAM ConcurrentModification', sdkError('ConcurrentModification', 409)],
    ['Organizations ServiceException', sdkError('ServiceException', 500)],
    ['any 5xx, even unmodelled', sdkError('UnknownError', 503)],
    ['bare 429', sdkError('Error', 429)],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['socket hang up', new Error('socket hang up')],
    ['ECONNREFUSED', { name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }],
    ['SDK TimeoutError', { name: 'TimeoutError', message: 'Connection timed out after 1000 ms' }],
    ['SDK $retryable marker', { name: 'SomethingNew', $retryable: { throttling: true }, $metadata: { httpStatusCode: 400 } }],
  ])('retries %s', (_label, err) => {
    expect(isRetryable(err)).toBe(true);
  });

  it.each([
    ['AccessDeniedException', sdkError('AccessDeniedException', 403)],
    ['DuplicatePolicyException', sdkError('DuplicatePolicyException', 400)],
    ['PolicyInUseException', sdkError('PolicyInUseException', 400)],
    ['ConstraintViolationException', sdkError('ConstraintViolationException', 400)],
    ['an unmodelled 400', sdkError('UnknownError', 400)],
    ['AbortError', { name: 'AbortError', message: 'Request aborted' }],
    ['a plain Error', new Error('boom')],
    ['undefined', undefined],
    ['a string', 'TooManyRequestsException'],
  ])('does not retry %s', (_label, err) => {
    expect(isRetryable(err)).toBe(false);
  });
});

describe('errorCode', () => {
  it('prefers the AWS code, then the socket code, then HTTP status', () => {
    expect(errorCode(sdkError('TooManyRequestsException', 429))).toBe('TooManyRequestsException');
    expect(errorCode({ name: 'Error', code: 'ECONNRESET' })).toBe('ECONNRESET');
    expect(errorCode(sdkError('UnknownError', 502))).toBe('HTTP502');
    expect(errorCode(new Error('x'))).toBe('Error');
    expect(errorCode(null)).toBe('Error');
  });
  it('isAwsError matches name or Code', () => {
    expect(isAwsError(sdkError('PolicyNotFoundException', 400), 'X', 'PolicyNotFoundException')).toBe(true);
    expect(isAwsError({ Code: 'Throttling' }, 'Throttling')).toBe(true);
    expect(isAwsError(new Error('x'), 'PolicyNotFoundException')).toBe(false);
  });
});

describe('backoffDelay (full jitter)', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
  it('is uniform in [0, min(max, base*2^(n-1)))', () => {
    expect(backoffDelay(1, opts, () => 0)).toBe(0);
    expect(backoffDelay(1, opts, () => 0.999999)).toBe(99);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(200);
    expect(backoffDelay(20, opts, () => 0.999999)).toBe(999);
  });
});

describe('createLimiter', () => {
  it('is off for tps 0 and paces a burst past the bucket', async () => {
    expect(createLimiter({ tps: 0, burst: 1 })).toBeUndefined();
    const limiter = createLimiter({ tps: 20, burst: 2 })!;
    const start = Date.now();
    const done: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => limiter.schedule(async () => { done.push(Date.now() - start); })));
    // 2 at once from the bucket, then 4 more at 20/s: >= ~200 ms in all.
    expect(done.slice(0, 2).every((t) => t < 40)).toBe(true);
    expect(Math.max(...done)).toBeGreaterThanOrEqual(180);
    await limiter.disconnect();
  });
});
