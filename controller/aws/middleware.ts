// The SDK middleware every orgplane AWS client carries: one place that counts calls, keeps to a
// per-API client-side rate limit and retries with full-jitter exponential backoff. The SDK's own
// retries are switched off (maxAttempts: 1) so each HTTP attempt passes here exactly once and is
// counted once.
import Bottleneck from 'bottleneck';
import type { BuildHandler, BuildHandlerArguments, BuildHandlerOutput, BuildMiddleware, HandlerExecutionContext, MetadataBearer, Pluggable } from '@aws-sdk/types';
import type { CallLog } from './clients.js';
import { errorCode, isRetryable, isRetryableNonIdempotent } from './errors.js';

export { isRetryable, isRetryableNonIdempotent, errorCode } from './errors.js';

/**
 * Calls that create something new on every request. A blind retry after a lost response could
 * create a second account, so these are retried only when AWS surely did not act.
 */
export const NON_IDEMPOTENT_OPERATIONS: ReadonlySet<string> = new Set([
  'Organizations:CreateAccount', 'Organizations:CreateGovCloudAccount', 'Organizations:InviteAccountToOrganization',
  // Creates that an emulator (and a racing writer) may happily repeat: the writers look the object
  // up after an ambiguous failure instead (isAmbiguousFailure).
  'Organizations:CreateOrganizationalUnit', 'Organizations:CreatePolicy',
  'SSOAdmin:CreatePermissionSet', 'SSOAdmin:CreateAccountAssignment',
]);

export interface RetryOptions {
  /** Attempts in all, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 20_000 };

/** A token bucket: `tps` sustained, up to `burst` at once; tps <= 0 or Infinity = unlimited. */
export interface RateLimit {
  tps: number;
  burst: number;
  /** Requests in flight at once (default unlimited). */
  maxConcurrent?: number;
}

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
export const UNLIMITED: Record<ServiceName, RateLimit> = Object.fromEntries(
  Object.keys(DEFAULT_RATE_LIMITS).map((k) => [k, { tps: 0, burst: 0 }]),
) as Record<ServiceName, RateLimit>;

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform delay in
 * [0, min(max, base * 2^(attempt-1))). `attempt` is the attempt that just failed, from 1.
 */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/** Bottleneck limiter for one rate limit, or undefined when it is unlimited. */
export function createLimiter(limit: RateLimit): Bottleneck | undefined {
  if (!(limit.tps > 0) || !Number.isFinite(limit.tps)) {
    return limit.maxConcurrent ? new Bottleneck({ maxConcurrent: limit.maxConcurrent }) : undefined;
  }
  const burst = Math.max(1, Math.floor(limit.burst));
  // Refill one token every 1000/tps ms (ticks no faster than 50 ms, with more tokens per tick).
  // Bottleneck only refills on its heartbeat (250 ms by default), so it ticks at our interval.
  const interval = Math.max(50, Math.floor(1000 / limit.tps));
  const amount = Math.max(1, Math.round((limit.tps * interval) / 1000));
  return new Bottleneck({
    reservoir: burst,
    reservoirIncreaseInterval: interval,
    reservoirIncreaseAmount: amount,
    reservoirIncreaseMaximum: burst,
    heartbeatInterval: interval,
    maxConcurrent: limit.maxConcurrent ?? null,
  });
}

export interface MiddlewareDeps {
  service: ServiceName;
  calls: CallLog;
  limiter?: Bottleneck;
  retry: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const operationName = (context: HandlerExecutionContext): string =>
  (context.commandName ?? 'Unknown').replace(/Command$/, '');

/** Counting + rate limiting + retry, as one build-step middleware (it wraps signing and sending). */
export function orgplaneMiddleware(deps: MiddlewareDeps): BuildMiddleware<object, MetadataBearer> {
  const sleep = deps.sleep ?? defaultSleep;
  return (next: BuildHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
    async (args: BuildHandlerArguments<object>): Promise<BuildHandlerOutput<MetadataBearer>> => {
      const op = `${deps.service}:${operationName(context)}`;
      const retryable = NON_IDEMPOTENT_OPERATIONS.has(op) ? isRetryableNonIdempotent : isRetryable;
      for (let attempt = 1; ; attempt++) {
        try {
          const send = (): Promise<BuildHandlerOutput<MetadataBearer>> => next(args);
          const out = deps.limiter ? await deps.limiter.schedule(send) : await send();
          deps.calls.record(op, 'ok');
          return out;
        } catch (err) {
          deps.calls.record(op, errorCode(err));
          if (attempt >= deps.retry.maxAttempts || !retryable(err)) throw err;
          await sleep(backoffDelay(attempt, deps.retry, deps.random));
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
