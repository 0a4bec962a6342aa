import { describe, expect, it } from 'vitest';
import { errorCode, isAwsError, isRetryable, isRetryableNonIdempotent } from '../../controller/aws/errors.js';
import { backoffDelay, createLimiter } from '../../controller/aws/middleware.js';

const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) => ({
  name,
  message: `${name} message`,
  $fault: status >= 500 ? 'server' : 'client',
  $metadata: { httpStatusCode: status },
  ...extra,
});

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

describe('isRetryableNonIdempotent (CreateAccount)', () => {
  it.each([
    ['TooManyRequestsException (400)', sdkError('TooManyRequestsException', 400)],
    ['a bare 429', sdkError('UnknownError', 429)],
    ['ConcurrentModificationException', sdkError('ConcurrentModificationException', 400)],
    ['a refused connection', { name: 'Error', code: 'ECONNREFUSED' }],
  ])('retries %s: AWS did not act', (_label, err) => {
    expect(isRetryableNonIdempotent(err)).toBe(true);
  });
  it.each([
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['socket hang up', new Error('socket hang up')],
    ['a 5xx', sdkError('ServiceException', 500)],
    ['a timeout', { name: 'TimeoutError', message: 'timed out' }],
    ['undefined', undefined],
  ])('does not retry %s: the account may exist already', (_label, err) => {
    expect(isRetryableNonIdempotent(err)).toBe(false);
  });
});

describe('errorCode', () => {
  it('prefers the SDK error name, then the wire or socket code, then HTTP status', () => {
    expect(errorCode({ name: 'NoSuchEntityException', Code: 'NoSuchEntity' })).toBe('NoSuchEntityException');
    expect(errorCode({ name: 'UnknownError', Code: 'Throttling' })).toBe('Throttling');
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
    await Promise.all(
      Array.from({ length: 6 }, () =>
        limiter.schedule(async () => {
          done.push(Date.now() - start);
        }),
      ),
    );
    // 2 at once from the bucket, then 4 more at 20/s: at least ~200 ms in all. Pacing is the
    // behaviour under test; how much slower a loaded machine makes it is not (no upper bound).
    expect(done).toHaveLength(6);
    expect(Math.max(...done)).toBeGreaterThanOrEqual(180);
    limiter.close();
  });
});

describe('an HTML page instead of an AWS error (emulator "not implemented")', () => {
  const page = Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON'), { $metadata: { httpStatusCode: 500 } });
  it('is not retried, even though it came with HTTP 500', () => {
    expect(isRetryable(page)).toBe(false);
  });
  it('is labelled NotImplementedByEndpoint in the call log', () => {
    expect(errorCode(page)).toBe('NotImplementedByEndpoint');
  });
  it('a JSON SyntaxError without markup stays a plain error', () => {
    expect(errorCode(new SyntaxError('Unexpected end of JSON input'))).toBe('SyntaxError');
  });
});
