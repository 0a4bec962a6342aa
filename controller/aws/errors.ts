// Reading AWS SDK errors as plain data: their code, whether a retry can help, and the error
// orgplane raises itself when it refuses an operation. Pure: no SDK imports, so unit tests can
// use plain objects shaped like SDK errors.

/** Error codes that mean "slow down" or "someone else is changing this": a retry will do. */
const RETRYABLE_CODES = new Set([
  'TooManyRequestsException', // Organizations, SSO Admin (HTTP 400 or 429)
  'ThrottlingException',
  'Throttling', // IAM, STS (awsQuery)
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ConcurrentModificationException', // Organizations
  'ConcurrentModification', // IAM
  'ServiceException', // Organizations' 5xx
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError', // node-http-handler: connection/socket timeout
]);

/** Node/undici socket-level failures: the request may not have reached AWS at all. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_HTTP2_STREAM_ERROR',
]);

const CONNECTION_MESSAGES = /socket hang up|ECONNRESET|connection reset|other side closed|EPIPE/i;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
}

const asErrorLike = (e: unknown): ErrorLike => (e !== null && typeof e === 'object' ? (e as ErrorLike) : {});

/** HTTP status of the failed response, if there was one. */
export function httpStatusOf(error: unknown): number | undefined {
  const e = asErrorLike(error);
  const s = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * The SDK error name ("TooManyRequestsException"), else the wire or socket code ("ECONNRESET"),
 * else "HTTP<status>". Used as the outcome label in the call log.
 */
export function errorCode(error: unknown): string {
  const e = asErrorLike(error);
  const name = typeof e.name === 'string' ? e.name : '';
  // The SDK exception name is what code matches on; "Error"/"UnknownError" say nothing, so
  // then the wire code, the socket code or the HTTP status.
  if (isHtmlAnswer(error)) return 'NotImplementedByEndpoint';
  if (name && name !== 'Error' && name !== 'UnknownError') return name;
  for (const c of [e.Code, e.code]) {
    if (typeof c === 'string' && c) return c;
  }
  const status = httpStatusOf(error);
  if (status !== undefined) return `HTTP${status}`;
  return name || 'Error';
}

/**
 * The endpoint answered with an HTML page instead of an AWS error (an emulator's "not
 * implemented" 500, a proxy's error page): asking again gives the same page, so no retry.
 */
export function isHtmlAnswer(error: unknown): boolean {
  const e = asErrorLike(error);
  return e.name === 'SyntaxError' && typeof e.message === 'string' && /<!doctype|<html/i.test(e.message);
}

/** True when `error` is one of the AWS error codes given. */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const e = asErrorLike(error);
  return codes.some((c) => c === e.name || c === e.Code || c === e.code);
}

/**
 * Whether retrying the same request can succeed: throttling (TooManyRequestsException whether
 * sent as HTTP 400 or 429, ThrottlingException, ...), ConcurrentModificationException, any
 * HTTP 5xx or 429, and connection failures (ECONNRESET, socket hang up, timeouts).
 */
export function isRetryable(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = asErrorLike(error);
  if (e.name === 'AbortError' || isHtmlAnswer(error)) return false;
  for (const c of [e.name, e.Code, e.code]) {
    if (typeof c === 'string' && (RETRYABLE_CODES.has(c) || CONNECTION_CODES.has(c))) return true;
  }
  const status = httpStatusOf(error);
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  const retryable = e.$retryable;
  if (retryable !== null && typeof retryable === 'object') return true; // SDK's own marker
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return true;
  return false;
}

/** Codes that say AWS turned the request away before doing anything: safe even for creates. */
const REJECTED_CODES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ConcurrentModificationException',
  'ConcurrentModification',
  'ECONNREFUSED',
]);

/**
 * Whether a request that is NOT idempotent (CreateAccount) may be sent again: only when AWS
 * certainly did not act on it (throttled, refused connection). After a reset connection, a 5xx
 * or a timeout the first request may have gone through; the caller must look before it retries
 * (find the account by email), so those are not retried blindly.
 */
export function isRetryableNonIdempotent(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = asErrorLike(error);
  for (const c of [e.name, e.Code, e.code]) {
    if (typeof c === 'string' && REJECTED_CODES.has(c)) return true;
  }
  return httpStatusOf(error) === 429;
}

/**
 * The request may or may not have been carried out (reset connection, 5xx, timeout): a create
 * that failed this way must look for its object before it is sent again.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  return isRetryable(error) && !isRetryableNonIdempotent(error);
}

/** orgplane refused to run an operation, or the operation cannot succeed without a spec change. */
export class OrgOpError extends Error {
  override readonly name = 'OrgOpError';
  constructor(
    message: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
