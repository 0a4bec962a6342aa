// Stopping AWS work part-way. A reconcile runs under one AbortSignal (SIGTERM, Ctrl-C, a lost
// Lease); every SDK call made inside it, however deep, sees that signal through an
// AsyncLocalStorage scope, so the hundred call sites in aws/ need no extra parameter and a new
// one cannot forget it. The orgplane middleware decides per call what the signal means: a read
// stops at once (limiter wait, backoff sleep and the HTTP request), a write already started runs
// to its end, because a write cut off mid-way leaves AWS in a state nobody planned.
import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';

const scope = new AsyncLocalStorage<AbortSignal | undefined>();

/** Runs fn with `signal` as the abort signal of every AWS call it makes (undefined: none). */
export function withAbortSignal<T>(signal: AbortSignal | undefined, fn: () => T): T {
  // Every call queued for its rate limit listens on the signal: hundreds at once is expected.
  if (signal) setMaxListeners(0, signal);
  return scope.run(signal, fn);
}

/** The abort signal of the reconcile this code runs in, if any. */
export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/**
 * The error an aborted wait rejects with. Same shape as the SDK's own (name AbortError, the
 * signal's reason as cause), so callers recognise both the same way and never retry them.
 */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const err = new Error(reason instanceof Error ? `aborted: ${reason.message}` : 'aborted', { cause: reason });
  err.name = 'AbortError';
  return err;
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The reason a signal was aborted with, as a sentence. */
export function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

/** The reason the controller and the CLI abort with when asked to stop (SIGTERM, Ctrl-C). */
export class StopRequested extends Error {
  override readonly name = 'StopRequested';
  constructor(readonly signalName: string) {
    super(`stopping on ${signalName}`);
  }
}

/** Sleeps ms; rejects with abortError at once when the signal fires (or has fired). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise<void>((resolve) => setTimeout(resolve, ms));
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
