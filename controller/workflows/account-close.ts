// account-close: quota guard -> CloseAccount -> wait for PENDING_CLOSURE or SUSPENDED (both count
// as closed: AWS keeps an account PENDING_CLOSURE for a long time). The close step reads the
// account's state first, so a resumed or repeated step never closes twice.
import { assign, setup } from 'xstate';
import { backoff, formatDuration, type BaseContext, type FailEvent, type ResumeEvent, type WorkflowDefinition } from './types.js';

export interface CloseInput {
  resource: string;
  accountId: string;
  name: string;
  /** Closures this run may still start, this one included (the executor's quota). */
  closuresAllowed: number;
  startedAt: number;
  timeoutMs?: number;
  pollBaseMs?: number;
  pollMaxMs?: number;
}

export interface CloseContext extends BaseContext {
  accountId: string;
  name: string;
  closuresAllowed: number;
  deadline: number;
  pollBaseMs: number;
  pollMaxMs: number;
  pollAttempts: number;
  nextPollAt?: number;
  alreadyClosed?: boolean;
  finalState?: string;
}

export type CloseEvent =
  | FailEvent
  | ResumeEvent
  | { type: 'CLOSE_REQUESTED'; at: number }
  | { type: 'ALREADY_CLOSED'; state: string }
  | { type: 'ACCOUNT_STATE'; state: string; at: number };

export const CLOSED_STATES: ReadonlySet<string> = new Set(['SUSPENDED', 'PENDING_CLOSURE']);

export const CLOSE_DEFAULTS = { timeoutMs: 30 * 60_000, pollBaseMs: 5_000, pollMaxMs: 60_000 };

export const accountCloseMachine = setup({
  types: {} as { context: CloseContext; events: CloseEvent; input: CloseInput },
  guards: {
    quotaLeft: ({ context }) => context.closuresAllowed > 0,
    closed: ({ event }) => CLOSED_STATES.has((event as { state: string }).state),
    pastDeadline: ({ context, event }) => (event as { at: number }).at >= context.deadline,
  },
  actions: {
    schedulePoll: assign(({ context, event }) => ({
      pollAttempts: context.pollAttempts + 1,
      nextPollAt: (event as { at: number }).at + backoff(context.pollAttempts, context.pollBaseMs, context.pollMaxMs),
    })),
  },
}).createMachine({
  id: 'account-close',
  initial: 'quota',
  context: ({ input }) => ({
    resource: input.resource,
    accountId: input.accountId,
    name: input.name,
    closuresAllowed: input.closuresAllowed,
    startedAt: input.startedAt,
    deadline: input.startedAt + (input.timeoutMs ?? CLOSE_DEFAULTS.timeoutMs),
    pollBaseMs: input.pollBaseMs ?? CLOSE_DEFAULTS.pollBaseMs,
    pollMaxMs: input.pollMaxMs ?? CLOSE_DEFAULTS.pollMaxMs,
    pollAttempts: 0,
  }),
  on: {
    FAIL: { target: '.failed', actions: assign(({ event }) => ({ error: { code: event.code, message: event.message } })) },
  },
  states: {
    quota: {
      always: [
        { guard: 'quotaLeft', target: 'closing' },
        {
          target: 'failed',
          actions: assign(({ context }) => ({
            error: {
              code: 'QuotaGuard',
              message: `not closing account ${context.accountId} (${context.name}): the account closure quota for this run is used up; it will be closed in a later run`,
            },
          })),
        },
      ],
    },
    closing: {
      on: {
        // First look right away: moto (and often AWS) is PENDING_CLOSURE/SUSPENDED at once.
        CLOSE_REQUESTED: { target: 'waiting', actions: assign(({ event }) => ({ nextPollAt: event.at })) },
        ALREADY_CLOSED: { target: 'done', actions: assign(({ event }) => ({ alreadyClosed: true, finalState: event.state })) },
      },
    },
    waiting: {
      on: {
        ACCOUNT_STATE: [
          { guard: 'closed', target: 'done', actions: assign(({ event }) => ({ finalState: event.state })) },
          {
            guard: 'pastDeadline',
            target: 'failed',
            actions: assign(({ context, event }) => ({
              error: {
                code: 'CloseAccountTimeout',
                message: `account ${context.accountId} is still ${event.state} ${formatDuration(context.deadline - context.startedAt)} after CloseAccount`,
              },
            })),
          },
          { target: 'waiting', reenter: true, actions: 'schedulePoll' },
        ],
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

export const accountCloseWorkflow: WorkflowDefinition<CloseContext> = {
  kind: 'close',
  machineId: 'account-close',
  machine: accountCloseMachine,

  async step(state, c, io) {
    switch (state) {
      case 'closing': {
        const before = await io.api.accountState(c.accountId);
        if (CLOSED_STATES.has(before)) return { type: 'ALREADY_CLOSED', state: before };
        const r = await io.api.closeAccount(c.accountId);
        return r === 'already-closed' ? { type: 'ALREADY_CLOSED', state: 'SUSPENDED' } : { type: 'CLOSE_REQUESTED', at: io.now() };
      }
      case 'waiting': {
        const s = await io.api.accountState(c.accountId);
        return { type: 'ACCOUNT_STATE', state: s, at: io.now() };
      }
      default:
        throw new Error(`account-close: no step for state ${state}`);
    }
  },

  waitMs: (state, c, now) => (state === 'waiting' && c.nextPollAt !== undefined ? Math.max(0, c.nextPollAt - now) : 0),

  phase: (state) =>
    (
      ({
        quota: 'QuotaCheck',
        closing: 'Closing',
        waiting: 'WaitingForClosure',
        done: 'Succeeded',
        failed: 'Failed',
      }) as Record<string, string>
    )[state] ?? state,

  message(state, c) {
    switch (state) {
      case 'closing':
        return `closing account ${c.accountId} (${c.name})`;
      case 'waiting':
        return `waiting for account ${c.accountId} to reach PENDING_CLOSURE or SUSPENDED (poll ${c.pollAttempts})`;
      case 'done':
        return c.alreadyClosed ? `account ${c.accountId} was already closed (${c.finalState})` : `closed account ${c.accountId} (${c.finalState})`;
      case 'failed':
        return c.error?.message ?? 'failed';
      default:
        return `closing account ${c.accountId}`;
    }
  },

  outcome: (c) => ({
    createdId: c.accountId,
    message: c.alreadyClosed ? `account ${c.accountId} was already closed (${c.finalState})` : `closed account ${c.accountId} (${c.finalState})`,
  }),
};
