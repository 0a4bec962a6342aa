import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import {
  accountMigrateMachine,
  accountMigrateWorkflow,
  describeScpChange,
  type MigrateEvent,
  type MigrateInput,
} from '../../controller/workflows/account-migrate.js';
import { accountCloseMachine, accountCloseWorkflow, type CloseEvent, type CloseInput } from '../../controller/workflows/account-close.js';
import { restoreSnapshot, serializeSnapshot } from '../../controller/workflows/runner.js';

type MSnap = SnapshotFrom<typeof accountMigrateMachine>;
type CSnap = SnapshotFrom<typeof accountCloseMachine>;

const migrateInput: MigrateInput = {
  resource: 'Account/payments',
  accountId: '123456789012',
  fromId: 'ou-aaaa-11111111',
  toId: 'ou-bbbb-22222222',
  gained: ['DenyRegions'],
  lost: ['AllowSandbox', 'DenyNothing'],
  requireApproval: false,
  startedAt: 5_000,
};
const m0 = (i: Partial<MigrateInput> = {}): MSnap => initialTransition(accountMigrateMachine, { ...migrateInput, ...i })[0];
const msend = (s: MSnap, ...es: MigrateEvent[]): MSnap => es.reduce((a, e) => transition(accountMigrateMachine, a, e)[0], s);

describe('account-migrate machine', () => {
  it('describes the SCP change of the preflight', () => {
    expect(describeScpChange(['DenyRegions'], ['AllowSandbox', 'DenyNothing'])).toBe('gains SCPs [DenyRegions], loses SCPs [AllowSandbox, DenyNothing]');
    expect(describeScpChange([], [])).toBe('no SCP change');
  });

  it('without approval: preflight -> moving -> verifying -> done', () => {
    let s = m0();
    expect(s.value).toBe('moving');
    expect(accountMigrateWorkflow.message('moving', s.context)).toBe(
      'moving account 123456789012 from ou-aaaa-11111111 to ou-bbbb-22222222 (gains SCPs [DenyRegions], loses SCPs [AllowSandbox, DenyNothing])',
    );
    s = msend(s, { type: 'MOVED', alreadyThere: false });
    expect(s.value).toBe('verifying');
    s = msend(s, { type: 'VERIFIED' });
    expect(s.value).toBe('done');
    expect(accountMigrateWorkflow.outcome(s.context)).toEqual({
      createdId: '123456789012',
      message: 'moved account 123456789012 from ou-aaaa-11111111 to ou-bbbb-22222222; gains SCPs [DenyRegions], loses SCPs [AllowSandbox, DenyNothing]',
    });
  });

  it('with requireApproval stops in awaitingApproval, survives a restore, and moves once approved', () => {
    let s = m0({ requireApproval: true });
    expect(s.value).toBe('awaitingApproval');
    expect(accountMigrateWorkflow.phase('awaitingApproval')).toBe('AwaitingApproval');
    s = restoreSnapshot(accountMigrateWorkflow, serializeSnapshot(accountMigrateWorkflow, s)) as MSnap;
    expect(transition(accountMigrateMachine, s, { type: 'RESUME' })[0]).toBe(s);
    expect(transition(accountMigrateMachine, s, { type: 'MOVED', alreadyThere: false })[0]).toBe(s);
    s = msend(s, { type: 'APPROVE' });
    expect(s.value).toBe('moving');
    expect(s.context.approved).toBe(true);
  });

  it('records an account found already at the destination', () => {
    const s = msend(m0(), { type: 'MOVED', alreadyThere: true }, { type: 'VERIFIED' });
    expect(accountMigrateWorkflow.message('done', s.context)).toBe('account 123456789012 was already under ou-bbbb-22222222');
  });

  it('retries verification, then fails when the parent stays wrong', () => {
    let s = msend(m0(), { type: 'MOVED', alreadyThere: false }, { type: 'PARENT_MISMATCH', parentId: 'ou-aaaa-11111111', at: 6_000 });
    expect(s.value).toBe('verifying');
    expect(s.context).toMatchObject({ verifyAttempts: 1, nextVerifyAt: 8_000 });
    s = msend(s, { type: 'PARENT_MISMATCH', parentId: 'ou-aaaa-11111111', at: 8_000 });
    expect(s.value).toBe('verifying');
    s = msend(s, { type: 'PARENT_MISMATCH', parentId: 'ou-aaaa-11111111', at: 12_000 });
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({
      code: 'MoveNotVerified',
      message: 'account 123456789012 is under ou-aaaa-11111111 after the move, expected ou-bbbb-22222222',
    });
  });

  it('FAIL (concurrent move) ends it', () => {
    const s = msend(m0(), { type: 'FAIL', code: 'ConcurrentMove', message: 'moved elsewhere' });
    expect(s.value).toBe('failed');
    expect(accountMigrateWorkflow.message('failed', s.context)).toBe('moved elsewhere');
  });
});

const closeInput: CloseInput = {
  resource: 'Account/old',
  accountId: '999988887777',
  name: 'old',
  closuresAllowed: 1,
  startedAt: 10_000,
  pollBaseMs: 1_000,
  pollMaxMs: 4_000,
  timeoutMs: 20_000,
};
const c0 = (i: Partial<CloseInput> = {}): CSnap => initialTransition(accountCloseMachine, { ...closeInput, ...i })[0];
const csend = (s: CSnap, ...es: CloseEvent[]): CSnap => es.reduce((a, e) => transition(accountCloseMachine, a, e)[0], s);

describe('account-close machine', () => {
  it('quota guard: no closures left ends failed with QuotaGuard before any call', () => {
    const s = c0({ closuresAllowed: 0 });
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({
      code: 'QuotaGuard',
      message: 'not closing account 999988887777 (old): the account closure quota for this run is used up; it will be closed in a later run',
    });
  });

  it('closes, polls while ACTIVE, finishes at PENDING_CLOSURE', () => {
    let s = c0();
    expect(s.value).toBe('closing');
    s = csend(s, { type: 'CLOSE_REQUESTED', at: 11_000 });
    expect(s.value).toBe('waiting');
    expect(accountCloseWorkflow.waitMs('waiting', s.context, 11_000)).toBe(0);
    s = csend(s, { type: 'ACCOUNT_STATE', state: 'ACTIVE', at: 11_000 });
    expect(s.context).toMatchObject({ pollAttempts: 1, nextPollAt: 12_000 });
    s = restoreSnapshot(accountCloseWorkflow, serializeSnapshot(accountCloseWorkflow, s)) as CSnap;
    s = csend(s, { type: 'ACCOUNT_STATE', state: 'PENDING_CLOSURE', at: 12_000 });
    expect(s.value).toBe('done');
    expect(accountCloseWorkflow.message('done', s.context)).toBe('closed account 999988887777 (PENDING_CLOSURE)');
  });

  it('SUSPENDED counts as closed; AccountAlreadyClosed is done', () => {
    expect(csend(c0(), { type: 'CLOSE_REQUESTED', at: 11_000 }, { type: 'ACCOUNT_STATE', state: 'SUSPENDED', at: 11_000 }).value).toBe('done');
    const s = csend(c0(), { type: 'ALREADY_CLOSED', state: 'SUSPENDED' });
    expect(s.value).toBe('done');
    expect(accountCloseWorkflow.outcome(s.context)).toEqual({ createdId: '999988887777', message: 'account 999988887777 was already closed (SUSPENDED)' });
  });

  it('fails after the deadline while still ACTIVE', () => {
    const s = csend(c0(), { type: 'CLOSE_REQUESTED', at: 11_000 }, { type: 'ACCOUNT_STATE', state: 'ACTIVE', at: 30_000 });
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({ code: 'CloseAccountTimeout', message: 'account 999988887777 is still ACTIVE 20s after CloseAccount' });
  });
});
