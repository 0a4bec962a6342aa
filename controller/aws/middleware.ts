// The SDK middleware every orgplane AWS client carries: one place that counts calls, keeps to a
// per-API client-side rate limit and retries with full-jitter exponential backoff. The SDK's own
// retries are switched off (maxAttempts: 1) so each HTTP attempt passes here exactly once and is
// counted once. It is also where a reconcile's abort signal (aws/abort.ts) takes effect: a read
// leaves the limiter queue, its backoff sleep and its HTTP request at once; a write runs on.
import type {
  BuildHandler,
  BuildHandlerArguments,
  BuildHandlerOutput,
  BuildMiddleware,
  HandlerExecutionContext,
  MetadataBearer,
  Pluggable,
} from '@aws-sdk/types';
import { abortError, abortableSleep, currentAbortSignal, withAbortSignal } from './abort.js';
import type { CallLog } from './clients.js';
import { errorCode, isRetryable, isRetryableNonIdempotent } from './errors.js';
import type { RateLimit, RateLimiter } from './rate-limiter.js';

export { isRetryable, isRetryableNonIdempotent, errorCode } from './errors.js';
export { createLimiter, RateLimiter, type RateLimit } from './rate-limiter.js';

/**
 * Calls that create something new on every request. A blind retry after a lost response could
 * create a second account, so these are retried only when AWS surely did not act.
 */
export const NON_IDEMPOTENT_OPERATIONS: ReadonlySet<string> = new Set([
  'Organizations:CreateAccount',
  'Organizations:CreateGovCloudAccount',
  'Organizations:InviteAccountToOrganization',
  // Creates that an emulator (and a racing writer) may happily repeat: the writers look the object
  // up after an ambiguous failure instead (isAmbiguousFailure).
  'Organizations:CreateOrganizationalUnit',
  'Organizations:CreatePolicy',
  'SSOAdmin:CreatePermissionSet',
  'SSOAdmin:CreateAccountAssignment',
]);

export interface RetryOptions {
  /** Attempts in all, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 20_000 };

/** Client-side limits per service, below the documented AWS quotas so that retries stay rare. */
export const DEFAULT_RATE_LIMITS = {
  Organizations: { tps: 5, burst: 10, maxConcurrent: 5 },
  SSOAdmin: { tps: 20, burst: 20, maxConcurrent: 10 },
  IAM: { tps: 10, burst: 10, maxConcurrent: 10 },
  STS: { tps: 20, burst: 20 },
  Identitystore: { tps: 20, burst: 20 },
} satisfies Record<string, RateLimit>;

export type ServiceName = keyof typeof DEFAULT_RATE_LIMITS;

/** No client-side pacing at all: for a local emulator, which has no quotas to stay under. */
export const UNLIMITED: Record<ServiceName, RateLimit> = Object.fromEntries(Object.keys(DEFAULT_RATE_LIMITS).map((k) => [k, { tps: 0, burst: 0 }])) as Record<
  ServiceName,
  RateLimit
>;

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform delay in
 * [0, min(max, base * 2^(attempt-1))). `attempt` is the attempt that just failed, from 1.
 */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * Calls that change nothing, which an abort may cut at any point. AssumeRole only hands out
 * credentials (the access reads open one session per member account).
 */
export function isReadOperation(op: string): boolean {
  return /:(List|Describe|Get|Search|IsMember)[A-Z]/.test(op) || op === 'STS:AssumeRole';
}

export interface MiddlewareDeps {
  service: ServiceName;
  calls: CallLog;
  limiter?: RateLimiter;
  retry: RetryOptions;
  /** The backoff sleep; it must reject when the signal fires (default abortableSleep). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

const operationName = (context: HandlerExecutionContext): string => (context.commandName ?? 'Unknown').replace(/Command$/, '');

/**
 * What may abort this call: an abortSignal the caller passed to send(), and for a read the
 * signal of the reconcile it runs in. A write ignores the reconcile's signal: once started it
 * finishes, retries included, so that an op is never left half-applied.
 */
export function callSignal(op: string, context: HandlerExecutionContext): AbortSignal | undefined {
  const explicit = context.__smithy_context?.abortSignal;
  const signals = [explicit instanceof AbortSignal ? explicit : undefined, isReadOperation(op) ? currentAbortSignal() : undefined].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}

/** Counting + rate limiting + retry, as one build-step middleware (it wraps signing and sending). */
export function orgplaneMiddleware(deps: MiddlewareDeps): BuildMiddleware<object, MetadataBearer> {
  const sleep = deps.sleep ?? abortableSleep;
  return (next: BuildHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: BuildHandlerArguments<object>): Promise<BuildHandlerOutput<MetadataBearer>> => {
      const op = `${deps.service}:${operationName(context)}`;
      const retryable = NON_IDEMPOTENT_OPERATIONS.has(op) ? isRetryableNonIdempotent : isRetryable;
      const signal = callSignal(op, context);
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw abortError(signal);
        let sent = false;
        // The request handler (clients.ts) aborts the HTTP request on the signal in this scope.
        const send = (): Promise<BuildHandlerOutput<MetadataBearer>> => {
          sent = true;
          return withAbortSignal(signal, () => next(args));
        };
        try {
          const out = deps.limiter ? await deps.limiter.schedule(send, signal) : await send();
          deps.calls.record(op, 'ok');
          return out;
        } catch (err) {
          // Left the limiter queue without a request: there is no AWS call to count or retry.
          if (!sent) throw err;
          deps.calls.record(op, errorCode(err));
          if (attempt >= deps.retry.maxAttempts || !retryable(err)) throw err;
          await sleep(backoffDelay(attempt, deps.retry, deps.random), signal);
        }
      }
    };
}

/** Adds the orgplane middleware to a client's stack. */
export function orgplanePlugin(deps: MiddlewareDeps): Pluggable<object, MetadataBearer> {
  return {
    applyToStack(stack) {
      stack.add(orgplaneMiddleware(deps), { step: 'build', priority: 'low', name: 'orgplaneMiddleware', override: true });
    },
  };
}
