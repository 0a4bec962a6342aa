// account-create: marker -> CreateAccount -> poll -> move under the desired parent -> tag.
// The initial snapshot IS the marker (email, name, startedAt) and is persisted before
// CreateAccount is called; a workflow restored in `creating` therefore does not know whether
// the call happened, and reconciles (find by email, then by create request) before creating.
import { assign, setup } from 'xstate';
import { isRetryable } from '../aws/errors.js';
import type { Tags } from '../model/actual.js';
import type { CreateState } from './account-api.js';
import { backoff, formatDuration, type BaseContext, type FailEvent, type ResumeEvent, type WorkflowDefinition } from './types.js';

export interface CreateInput {
  resource: string;
  name: string;
  email: string;
  /** Resolved id of the desired parent (root or OU). */
  parentId: string;
  roleName: string;
  iamUserAccessToBilling?: 'ALLOW' | 'DENY';
  tags: Tags;
  /** Epoch ms now (the marker's time). */
  startedAt: number;
  timeoutMs?: number;
  pollBaseMs?: number;
  pollMaxMs?: number;
  /** CreateAccount calls allowed before giving up (each one follows a lookup that found nothing). */
  maxCreateAttempts?: number;
}

export interface CreateContext extends BaseContext, Pick<CreateInput, 'name' | 'email' | 'parentId' | 'roleName' | 'iamUserAccessToBilling' | 'tags'> {
  deadline: number;
  pollBaseMs: number;
  pollMaxMs: number;
  maxCreateAttempts: number;
  requestId?: string;
  accountId?: string;
  /** The account existed already (found after a crash or an uncertain CreateAccount). */
  adopted: boolean;
  /** Tags went with CreateAccount, so no TagResource is needed. */
  taggedAtCreate: boolean;
  createAttempts: number;
  pollAttempts: number;
  nextPollAt?: number;
}

interface StatusFields {
  requestId: string;
  state: CreateState;
  accountId?: string;
  failureReason?: string;
  at: number;
}

export type CreateEvent =
  | FailEvent
  | ResumeEvent
  /** CreateAccount answered (its status, often IN_PROGRESS; moto: SUCCEEDED). */
  | ({ type: 'REQUESTED' } & StatusFields)
  /** CreateAccount failed in a way that leaves unknown whether AWS took it (5xx, reset). */
  | { type: 'UNCERTAIN'; message: string }
  | { type: 'ACCOUNT_FOUND'; accountId: string }
  | { type: 'ACCOUNT_NOT_FOUND' }
  | ({ type: 'REQUEST_FOUND' } & StatusFields)
  | { type: 'REQUEST_NOT_FOUND' }
  | ({ type: 'STATUS' } & StatusFields)
  | { type: 'PLACED'; moved: boolean }
  | { type: 'TAGGED' };

type StatusEvent = Extract<CreateEvent, { type: 'REQUESTED' | 'REQUEST_FOUND' | 'STATUS' }>;

export const CREATE_DEFAULTS = { timeoutMs: 30 * 60_000, pollBaseMs: 5_000, pollMaxMs: 60_000, maxCreateAttempts: 3 };

export const accountCreateMachine = setup({
  types: {} as { context: CreateContext; events: CreateEvent; input: CreateInput },
  guards: {
    succeeded: ({ event }) => (event as StatusEvent).state === 'SUCCEEDED',
    failed: ({ event }) => (event as StatusEvent).state === 'FAILED',
    pastDeadline: ({ context, event }) => (event as StatusEvent).at >= context.deadline,
    mayCreateAgain: ({ context }) => context.createAttempts < context.maxCreateAttempts,
    needsTags: ({ context }) => Object.keys(context.tags).length > 0 && (context.adopted || !context.taggedAtCreate),
  },
  actions: {
    recordStatus: assign(({ event }) => {
      const e = event as StatusEvent;
      return { requestId: e.requestId, ...(e.accountId ? { accountId: e.accountId } : {}) };
    }),
    schedulePoll: assign(({ context, event }) => ({
      pollAttempts: context.pollAttempts + 1,
      nextPollAt: (event as StatusEvent).at + backoff(context.pollAttempts, context.pollBaseMs, context.pollMaxMs),
    })),
    recordAwsFailure: assign(({ event }) => {
      const e = event as StatusEvent;
      const reason = e.failureReason ?? 'UNKNOWN';
      return { error: { code: reason, message: `CreateAccount request ${e.requestId} failed: ${reason}` } };
    }),
    recordFail: assign(({ event }) => {
      const e = event as FailEvent;
      return { error: { code: e.code, message: e.message } };
    }),
  },
}).createMachine({
  id: 'account-create',
  initial: 'creating',
  context: ({ input }) => ({
    resource: input.resource,
    name: input.name,
    email: input.email,
    parentId: input.parentId,
    roleName: input.roleName,
    ...(input.iamUserAccessToBilling ? { iamUserAccessToBilling: input.iamUserAccessToBilling } : {}),
    tags: input.tags,
    startedAt: input.startedAt,
    deadline: input.startedAt + (input.timeoutMs ?? CREATE_DEFAULTS.timeoutMs),
    pollBaseMs: input.pollBaseMs ?? CREATE_DEFAULTS.pollBaseMs,
    pollMaxMs: input.pollMaxMs ?? CREATE_DEFAULTS.pollMaxMs,
    maxCreateAttempts: input.maxCreateAttempts ?? CREATE_DEFAULTS.maxCreateAttempts,
    adopted: false,
    taggedAtCreate: false,
    createAttempts: 0,
    pollAttempts: 0,
  }),
  on: {
    FAIL: { target: '.failed', actions: 'recordFail' },
  },
  states: {
    creating: {
      on: {
        RESUME: 'findingByEmail',
        UNCERTAIN: {
          target: 'findingByEmail',
          actions: assign(({ context }) => ({ createAttempts: context.createAttempts + 1 })),
        },
        REQUESTED: [
          { guard: 'failed', target: 'failed', actions: ['recordStatus', 'recordAwsFailure'] },
          {
            guard: 'succeeded',
            target: 'placing',
            actions: ['recordStatus', assign(({ context }) => ({ createAttempts: context.createAttempts + 1, taggedAtCreate: true }))],
          },
          {
            target: 'polling',
            actions: ['recordStatus', 'schedulePoll', assign(({ context }) => ({ createAttempts: context.createAttempts + 1, taggedAtCreate: true }))],
          },
        ],
      },
    },
    findingByEmail: {
      on: {
        ACCOUNT_FOUND: { target: 'placing', actions: assign(({ event }) => ({ accountId: event.accountId, adopted: true })) },
        ACCOUNT_NOT_FOUND: 'findingRequest',
      },
    },
    findingRequest: {
      on: {
        REQUEST_FOUND: [
          { guard: 'succeeded', target: 'placing', actions: ['recordStatus', assign({ adopted: true })] },
          { target: 'polling', actions: ['recordStatus', 'schedulePoll', assign({ adopted: true })] },
        ],
        REQUEST_NOT_FOUND: [
          { guard: 'mayCreateAgain', target: 'creating' },
          {
            target: 'failed',
            actions: assign(({ context }) => ({
              error: {
                code: 'CreateAccountUncertain',
                message: `CreateAccount for ${context.email} failed ${context.createAttempts} times without a trace of the account; giving up`,
              },
            })),
          },
        ],
      },
    },
    polling: {
      on: {
        STATUS: [
          { guard: 'failed', target: 'failed', actions: ['recordStatus', 'recordAwsFailure'] },
          { guard: 'succeeded', target: 'placing', actions: 'recordStatus' },
          {
            guard: 'pastDeadline',
            target: 'failed',
            actions: assign(({ context }) => ({
              error: {
                code: 'CreateAccountTimeout',
                message: `CreateAccount request ${context.requestId} still IN_PROGRESS after ${formatDuration(context.deadline - context.startedAt)}`,
              },
            })),
          },
          { target: 'polling', reenter: true, actions: 'schedulePoll' },
        ],
      },
    },
    placing: {
      on: {
        PLACED: [{ guard: 'needsTags', target: 'tagging' }, { target: 'done' }],
      },
    },
    tagging: {
      on: { TAGGED: 'done' },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

export const accountCreateWorkflow: WorkflowDefinition<CreateContext> = {
  kind: 'create',
  machineId: 'account-create',
  machine: accountCreateMachine,

  async step(state, c, io) {
    switch (state) {
      case 'creating': {
        try {
          const s = await io.api.createAccount({
            email: c.email,
            name: c.name,
            roleName: c.roleName,
            iamUserAccessToBilling: c.iamUserAccessToBilling,
            tags: c.tags,
          });
          return { type: 'REQUESTED', ...s, at: io.now() };
        } catch (e) {
          // CreateAccount has no idempotency token: after a 5xx or a reset we cannot tell whether
          // AWS created the account, so look before calling it again.
          if (isRetryable(e)) return { type: 'UNCERTAIN', message: (e as Error).message ?? String(e) };
          throw e;
        }
      }
      case 'findingByEmail': {
        const a = await io.api.findAccountByEmail(c.email);
        return a ? { type: 'ACCOUNT_FOUND', accountId: a.id } : { type: 'ACCOUNT_NOT_FOUND' };
      }
      case 'findingRequest': {
        const r = await io.api.findCreateRequest(c.name, c.startedAt);
        return r ? { type: 'REQUEST_FOUND', ...r, at: io.now() } : { type: 'REQUEST_NOT_FOUND' };
      }
      case 'polling': {
        if (!c.requestId) throw new Error('account-create: polling without a request id');
        const s = await io.api.describeCreateAccountStatus(c.requestId);
        return { type: 'STATUS', ...s, at: io.now() };
      }
      case 'placing': {
        if (!c.accountId) throw new Error('account-create: placing without an account id');
        const parent = await io.api.parentOf(c.accountId);
        if (parent === c.parentId) return { type: 'PLACED', moved: false };
        await io.api.moveAccount(c.accountId, parent, c.parentId);
        return { type: 'PLACED', moved: true };
      }
      case 'tagging': {
        if (!c.accountId) throw new Error('account-create: tagging without an account id');
        await io.api.tagAccount(c.accountId, c.tags);
        return { type: 'TAGGED' };
      }
      default:
        throw new Error(`account-create: no step for state ${state}`);
    }
  },

  waitMs: (state, c, now) => (state === 'polling' && c.nextPollAt !== undefined ? Math.max(0, c.nextPollAt - now) : 0),

  phase: (state) =>
    (
      ({
        creating: 'Creating',
        findingByEmail: 'Adopting',
        findingRequest: 'Adopting',
        polling: 'WaitingForAccount',
        placing: 'MovingToParent',
        tagging: 'Tagging',
        done: 'Succeeded',
        failed: 'Failed',
      }) as Record<string, string>
    )[state] ?? state,

  message(state, c) {
    switch (state) {
      case 'creating':
        return `creating account ${c.name} <${c.email}>`;
      case 'findingByEmail':
      case 'findingRequest':
        return `looking for an account ${c.email} a previous run may have created`;
      case 'polling':
        return `waiting for CreateAccount request ${c.requestId} (poll ${c.pollAttempts})`;
      case 'placing':
        return `moving account ${c.accountId} under ${c.parentId}`;
      case 'tagging':
        return `tagging account ${c.accountId}`;
      case 'done':
        return `${c.adopted ? 'adopted existing' : 'created'} account ${c.accountId} under ${c.parentId}`;
      case 'failed':
        return c.error?.message ?? 'failed';
      default:
        return state;
    }
  },

  outcome: (c) => ({
    createdId: c.accountId,
    message: c.adopted ? `adopted existing account ${c.accountId} (${c.email})` : `created account ${c.accountId} (${c.email})`,
  }),
};
