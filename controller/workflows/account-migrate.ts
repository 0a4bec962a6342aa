// account-migrate: preflight (SCPs gained and lost) -> optional approval -> MoveAccount from the
// account's actual parent -> verify with ListParents. Re-running any step is harmless: the move
// step reads the parent first, so an account already at its destination is not moved again.
import { assign, setup } from 'xstate';
import { backoff, type BaseContext, type FailEvent, type ResumeEvent, type WorkflowDefinition } from './types.js';

export interface MigrateInput {
  resource: string;
  accountId: string;
  /** Parent the plan saw (MoveAccount's SourceParentId). */
  fromId: string;
  toId: string;
  gained: string[];
  lost: string[];
  requireApproval: boolean;
  startedAt: number;
  verifyAttempts?: number;
  verifyBaseMs?: number;
}

export interface MigrateContext extends BaseContext, Pick<MigrateInput, 'accountId' | 'fromId' | 'toId' | 'gained' | 'lost' | 'requireApproval'> {
  approved: boolean;
  /** The account was already under the destination when the move step ran. */
  alreadyThere?: boolean;
  maxVerifyAttempts: number;
  verifyBaseMs: number;
  verifyAttempts: number;
  nextVerifyAt?: number;
}

export type MigrateEvent =
  | FailEvent
  | ResumeEvent
  | { type: 'APPROVE' }
  | { type: 'MOVED'; alreadyThere: boolean }
  | { type: 'VERIFIED' }
  | { type: 'PARENT_MISMATCH'; parentId: string; at: number };

/** "gains [a, b], loses [c]" or "no SCP change". */
export function describeScpChange(gained: string[], lost: string[]): string {
  const parts: string[] = [];
  if (gained.length) parts.push(`gains SCPs [${gained.join(', ')}]`);
  if (lost.length) parts.push(`loses SCPs [${lost.join(', ')}]`);
  return parts.length ? parts.join(', ') : 'no SCP change';
}

export const accountMigrateMachine = setup({
  types: {} as { context: MigrateContext; events: MigrateEvent; input: MigrateInput },
  guards: {
    needsApproval: ({ context }) => context.requireApproval && !context.approved,
    mayVerifyAgain: ({ context }) => context.verifyAttempts + 1 < context.maxVerifyAttempts,
  },
}).createMachine({
  id: 'account-migrate',
  initial: 'preflight',
  context: ({ input }) => ({
    resource: input.resource,
    accountId: input.accountId,
    fromId: input.fromId,
    toId: input.toId,
    gained: input.gained,
    lost: input.lost,
    requireApproval: input.requireApproval,
    approved: false,
    startedAt: input.startedAt,
    maxVerifyAttempts: input.verifyAttempts ?? 3,
    verifyBaseMs: input.verifyBaseMs ?? 2_000,
    verifyAttempts: 0,
  }),
  on: {
    FAIL: { target: '.failed', actions: assign(({ event }) => ({ error: { code: event.code, message: event.message } })) },
  },
  states: {
    // Transient: the SCP change is in the context from the input; decide on the approval gate.
    preflight: {
      always: [{ guard: 'needsApproval', target: 'awaitingApproval' }, { target: 'moving' }],
    },
    awaitingApproval: {
      on: { APPROVE: { target: 'moving', actions: assign({ approved: true }) } },
    },
    moving: {
      on: { MOVED: { target: 'verifying', actions: assign(({ event }) => ({ alreadyThere: event.alreadyThere })) } },
    },
    verifying: {
      on: {
        VERIFIED: 'done',
        PARENT_MISMATCH: [
          {
            guard: 'mayVerifyAgain',
            target: 'verifying',
            reenter: true,
            actions: assign(({ context, event }) => ({
              verifyAttempts: context.verifyAttempts + 1,
              nextVerifyAt: event.at + backoff(context.verifyAttempts, context.verifyBaseMs, 60_000),
            })),
          },
          {
            target: 'failed',
            actions: assign(({ context, event }) => ({
              error: {
                code: 'MoveNotVerified',
                message: `account ${context.accountId} is under ${event.parentId} after the move, expected ${context.toId}`,
              },
            })),
          },
        ],
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

export const accountMigrateWorkflow: WorkflowDefinition<MigrateContext> = {
  kind: 'migrate',
  machineId: 'account-migrate',
  machine: accountMigrateMachine,

  async step(state, c, io) {
    switch (state) {
      case 'awaitingApproval':
        return io.isApproved(c.resource) ? { type: 'APPROVE' } : undefined;
      case 'moving': {
        const parent = await io.api.parentOf(c.accountId);
        if (parent === c.toId) return { type: 'MOVED', alreadyThere: true };
        if (parent !== c.fromId) {
          return {
            type: 'FAIL',
            code: 'ConcurrentMove',
            message: `account ${c.accountId} is under ${parent}, neither the planned source ${c.fromId} nor the destination ${c.toId}: it was moved outside orgplane; the next plan will start from where it is now`,
          };
        }
        await io.api.moveAccount(c.accountId, c.fromId, c.toId);
        return { type: 'MOVED', alreadyThere: false };
      }
      case 'verifying': {
        const parent = await io.api.parentOf(c.accountId);
        return parent === c.toId ? { type: 'VERIFIED' } : { type: 'PARENT_MISMATCH', parentId: parent, at: io.now() };
      }
      default:
        throw new Error(`account-migrate: no step for state ${state}`);
    }
  },

  waitMs: (state, c, now) => (state === 'verifying' && c.nextVerifyAt !== undefined ? Math.max(0, c.nextVerifyAt - now) : 0),

  phase: (state) =>
    (
      ({
        preflight: 'Preflight',
        awaitingApproval: 'AwaitingApproval',
        moving: 'Moving',
        verifying: 'Verifying',
        done: 'Succeeded',
        failed: 'Failed',
      }) as Record<string, string>
    )[state] ?? state,

  message(state, c) {
    const scp = describeScpChange(c.gained, c.lost);
    switch (state) {
      case 'awaitingApproval':
        return `move of account ${c.accountId} from ${c.fromId} to ${c.toId} awaits approval (${scp})`;
      case 'moving':
        return `moving account ${c.accountId} from ${c.fromId} to ${c.toId} (${scp})`;
      case 'verifying':
        return `verifying account ${c.accountId} is under ${c.toId}`;
      case 'done':
        return c.alreadyThere ? `account ${c.accountId} was already under ${c.toId}` : `moved account ${c.accountId} from ${c.fromId} to ${c.toId} (${scp})`;
      case 'failed':
        return c.error?.message ?? 'failed';
      default:
        return `migrating account ${c.accountId} (${scp})`;
    }
  },

  outcome: (c) => ({
    createdId: c.accountId,
    message: c.alreadyThere
      ? `account ${c.accountId} was already under ${c.toId}`
      : `moved account ${c.accountId} from ${c.fromId} to ${c.toId}; ${describeScpChange(c.gained, c.lost)}`,
  }),
};
