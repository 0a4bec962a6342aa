// How the executor reports an op that did not succeed: retryable (throttling, 5xx, concurrent
// modification, network: the next run will likely succeed) or terminal (AWS rejected the request
// itself: ConstraintViolationException, DuplicateAccountException, ...; the spec must change).
import { errorCode, isRetryable, OrgOpError } from '../aws/errors.js';

export interface ClassifiedError {
  code: string;
  message: string;
  retryable: boolean;
}

/** An op that failed with a known code and retryability (workflow failures, refusals). */
export class OpError extends Error {
  override readonly name = 'OpError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** An op that deliberately did not run to completion in this run (awaiting approval, still in progress, quota). */
export class OpDeferred extends Error {
  override readonly name = 'OpDeferred';
  constructor(
    message: string,
    readonly reason: 'AwaitingApproval' | 'InProgress' | 'QuotaGuard',
  ) {
    super(message);
  }
}

export function classifyError(e: unknown): ClassifiedError {
  if (e instanceof OpError) return { code: e.code, message: e.message, retryable: e.retryable };
  // orgplane's writers refusing an op: the reason is the code, the message already says it all.
  if (e instanceof OrgOpError) return { code: e.reason, message: e.message, retryable: false };
  const code = errorCode(e);
  const raw = e instanceof Error ? e.message : String(e);
  // Plain errors (orgplane's own, "Error") read better without a code prefix.
  const generic = code === 'Error' || code === 'OpError';
  const message = !raw || raw === code ? code : generic || raw.startsWith(code) ? raw : `${code}: ${raw}`;
  return { code, message, retryable: isRetryable(e) };
}
