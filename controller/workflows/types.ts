// Shapes every account workflow shares: what a step may use, what a definition provides to the
// runner, and the error a workflow ends with. The machines themselves stay pure; only `step`
// talks to AWS, through the AccountApi it is given.
import type { AnyStateMachine } from 'xstate';
import type { AccountApi } from './account-api.js';
import type { OpOutcome } from '../plan/operations.js';

export type WorkflowKind = 'create' | 'migrate' | 'close';

/** Why a workflow ended in `failed`: AWS's code or orgplane's own reason, and a sentence. */
export interface WorkflowError {
  code: string;
  message: string;
}

/** Context fields every workflow machine has. */
export interface BaseContext {
  resource: string;
  /** Epoch ms the workflow started (its marker). */
  startedAt: number;
  error?: WorkflowError;
}

export interface StepIO {
  api: AccountApi;
  now(): number;
  /** Whether a person approved the pending migration of this resource. */
  isApproved(resourceKey: string): boolean;
}

/** The FAIL event every machine accepts in any state: a terminal error from a step. */
export interface FailEvent {
  type: 'FAIL';
  code: string;
  message: string;
}
/** Sent once after a snapshot is restored from the store: the last step's outcome is unknown. */
export interface ResumeEvent {
  type: 'RESUME';
}

export interface WorkflowDefinition<C extends BaseContext = BaseContext> {
  kind: WorkflowKind;
  /** Written into the stored snapshot, checked when restoring it. */
  machineId: string;
  machine: AnyStateMachine;
  /**
   * Decide and perform the AWS call(s) of the current state and return the event that reports
   * the result, or undefined when the workflow must wait for something outside AWS (approval).
   * A thrown error is classified by the runner: retryable ones are retried, others become FAIL.
   */
  step(state: string, context: C, io: StepIO): Promise<{ type: string } | undefined>;
  /** How long to wait before running the step of this state (polling backoff). */
  waitMs(state: string, context: C, now: number): number;
  /** Phase shown in status ("Creating", "AwaitingApproval", "Succeeded", ...). */
  phase(state: string): string;
  /** One line for the status message. */
  message(state: string, context: C): string;
  /** What a finished workflow produced, for the executor's id map and events. */
  outcome(context: C): OpOutcome;
}

/** Exponential backoff without jitter (machines stay deterministic; the runner may add jitter). */
export const backoff = (attempt: number, baseMs: number, maxMs: number): number => Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));

/** "45s" or "30 min", for messages. */
export const formatDuration = (ms: number): string => (ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)} min`);
