import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { accountCreateMachine, accountCreateWorkflow, type CreateEvent, type CreateInput } from '../../controller/workflows/account-create.js';
import { restoreSnapshot, serializeSnapshot, parseSnapshot, isFinished } from '../../controller/workflows/runner.js';

type Snap = SnapshotFrom<typeof accountCreateMachine>;

const input: CreateInput = {
  resource: 'Account/payments',
  name: 'payments',
  email: 'payments@example.com',
  parentId: 'ou-ab12-workload1',
  roleName: 'OrganizationAccountAccessRole',
  tags: { 'orgplane.io/managed-by': 'orgplane' },
  startedAt: 1_000_000,
  pollBaseMs: 1_000,
  pollMaxMs: 8_000,
  timeoutMs: 60_000,
};

const start = (i: CreateInput = input): Snap => initialTransition(accountCreateMachine, i)[0];
const send = (s: Snap, ...events: CreateEvent[]): Snap => events.reduce((acc, e) => transition(accountCreateMachine, acc, e)[0], s);
/** Through JSON, as the store keeps it. */
const roundTrip = (s: Snap): Snap => restoreSnapshot(accountCreateWorkflow, JSON.parse(JSON.stringify(serializeSnapshot(accountCreateWorkflow, s)))) as Snap;

describe('account-create machine', () => {
  it('starts in creating with the marker (email, name, startedAt) and the deadline in context', () => {
    const s = start();
    expect(s.value).toBe('creating');
    expect(s.context).toMatchObject({ email: 'payments@example.com', name: 'payments', startedAt: 1_000_000, deadline: 1_060_000, createAttempts: 0 });
    expect(s.context.requestId).toBeUndefined();
    expect(accountCreateWorkflow.phase('creating')).toBe('Creating');
  });

  it('polls with backoff while IN_PROGRESS, then moves, tags and finishes', () => {
    let s = send(start(), { type: 'REQUESTED', requestId: 'car-1', state: 'IN_PROGRESS', at: 1_001_000 });
    expect(s.value).toBe('polling');
    expect(s.context).toMatchObject({ requestId: 'car-1', pollAttempts: 1, nextPollAt: 1_002_000, createAttempts: 1, taggedAtCreate: true });
    s = send(s, { type: 'STATUS', requestId: 'car-1', state: 'IN_PROGRESS', at: 1_002_000 });
    expect(s.context).toMatchObject({ pollAttempts: 2, nextPollAt: 1_004_000 });
    s = send(s, { type: 'STATUS', requestId: 'car-1', state: 'IN_PROGRESS', at: 1_004_000 });
    s = send(s, { type: 'STATUS', requestId: 'car-1', state: 'IN_PROGRESS', at: 1_008_000 });
    s = send(s, { type: 'STATUS', requestId: 'car-1', state: 'IN_PROGRESS', at: 1_016_000 });
    // capped at pollMaxMs
    expect(s.context.nextPollAt).toBe(1_024_000);
    expect(accountCreateWorkflow.waitMs('polling', s.context, 1_020_000)).toBe(4_000);
    s = send(s, { type: 'STATUS', requestId: 'car-1', state: 'SUCCEEDED', accountId: '123456789012', at: 1_024_000 });
    expect(s.value).toBe('placing');
    expect(s.context.accountId).toBe('123456789012');
    // tags went with CreateAccount: no TagResource for a created account
    s = send(s, { type: 'PLACED', moved: true });
    expect(s.value).toBe('done');
    expect(s.status).toBe('done');
    expect(accountCreateWorkflow.message('done', s.context)).toBe('created account 123456789012 under ou-ab12-workload1');
    expect(accountCreateWorkflow.outcome(s.context)).toEqual({ createdId: '123456789012', message: 'created account 123456789012 (payments@example.com)' });
  });

  it('goes straight to placing when CreateAccount answers SUCCEEDED (moto)', () => {
    const s = send(start(), { type: 'REQUESTED', requestId: 'car-2', state: 'SUCCEEDED', accountId: '210987654321', at: 1_000_500 });
    expect(s.value).toBe('placing');
    expect(s.context).toMatchObject({ requestId: 'car-2', accountId: '210987654321', pollAttempts: 0 });
  });

  it('ends failed with AWS reason when the request FAILED', () => {
    const s = send(
      start(),
      { type: 'REQUESTED', requestId: 'car-3', state: 'IN_PROGRESS', at: 1_000_100 },
      { type: 'STATUS', requestId: 'car-3', state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS', at: 1_001_100 },
    );
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({ code: 'EMAIL_ALREADY_EXISTS', message: 'CreateAccount request car-3 failed: EMAIL_ALREADY_EXISTS' });
    expect(accountCreateWorkflow.phase('failed')).toBe('Failed');
  });

  it('fails at once when CreateAccount itself reports FAILED', () => {
    const s = send(start(), { type: 'REQUESTED', requestId: 'car-4', state: 'FAILED', failureReason: 'ACCOUNT_LIMIT_EXCEEDED', at: 1_000_100 });
    expect(s.value).toBe('failed');
    expect(s.context.error?.message).toBe('CreateAccount request car-4 failed: ACCOUNT_LIMIT_EXCEEDED');
  });

  it('times out when still IN_PROGRESS at the deadline', () => {
    const s = send(
      start(),
      { type: 'REQUESTED', requestId: 'car-5', state: 'IN_PROGRESS', at: 1_000_100 },
      { type: 'STATUS', requestId: 'car-5', state: 'IN_PROGRESS', at: 1_060_000 },
    );
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({ code: 'CreateAccountTimeout', message: 'CreateAccount request car-5 still IN_PROGRESS after 60s' });
  });

  it('on resume from the marker, adopts the account found by email and tags it', () => {
    let s = roundTrip(start());
    expect(s.value).toBe('creating');
    s = send(s, { type: 'RESUME' });
    expect(s.value).toBe('findingByEmail');
    s = send(s, { type: 'ACCOUNT_FOUND', accountId: '111122223333' });
    expect(s.value).toBe('placing');
    expect(s.context).toMatchObject({ adopted: true, accountId: '111122223333' });
    s = send(s, { type: 'PLACED', moved: false });
    // adopted accounts may lack the tags: tag them
    expect(s.value).toBe('tagging');
    s = send(s, { type: 'TAGGED' });
    expect(s.value).toBe('done');
    expect(accountCreateWorkflow.outcome(s.context).message).toBe('adopted existing account 111122223333 (payments@example.com)');
  });

  it('on resume with no account, follows a create request made after the marker', () => {
    const s = send(
      roundTrip(start()),
      { type: 'RESUME' },
      { type: 'ACCOUNT_NOT_FOUND' },
      { type: 'REQUEST_FOUND', requestId: 'car-6', state: 'IN_PROGRESS', at: 1_005_000 },
    );
    expect(s.value).toBe('polling');
    expect(s.context).toMatchObject({ requestId: 'car-6', adopted: true, nextPollAt: 1_006_000 });
  });

  it('on resume with neither account nor request, creates (again), up to maxCreateAttempts', () => {
    let s = send(roundTrip(start()), { type: 'RESUME' }, { type: 'ACCOUNT_NOT_FOUND' }, { type: 'REQUEST_NOT_FOUND' });
    expect(s.value).toBe('creating');
    // CreateAccount answered with a reset: the outcome is unknown, look again
    s = send(s, { type: 'UNCERTAIN', message: 'socket hang up' });
    expect(s.value).toBe('findingByEmail');
    s = send(
      s,
      { type: 'ACCOUNT_NOT_FOUND' },
      { type: 'REQUEST_NOT_FOUND' },
      { type: 'UNCERTAIN', message: 'socket hang up' },
      { type: 'ACCOUNT_NOT_FOUND' },
      { type: 'REQUEST_NOT_FOUND' },
      { type: 'UNCERTAIN', message: 'socket hang up' },
      { type: 'ACCOUNT_NOT_FOUND' },
      { type: 'REQUEST_NOT_FOUND' },
    );
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({
      code: 'CreateAccountUncertain',
      message: 'CreateAccount for payments@example.com failed 3 times without a trace of the account; giving up',
    });
  });

  it('resumes mid-poll from a serialised snapshot with the request id and deadline intact', () => {
    const mid = send(start(), { type: 'REQUESTED', requestId: 'car-7', state: 'IN_PROGRESS', at: 1_000_100 });
    const text = serializeSnapshot(accountCreateWorkflow, mid);
    expect(parseSnapshot(text)).toMatchObject({ machine: 'account-create', version: 1, value: 'polling', status: 'active' });
    const restored = restoreSnapshot(accountCreateWorkflow, text) as Snap;
    // RESUME means nothing in polling: polling is a read
    expect(transition(accountCreateMachine, restored, { type: 'RESUME' })[0]).toBe(restored);
    const s = send(restored, { type: 'STATUS', requestId: 'car-7', state: 'SUCCEEDED', accountId: '444455556666', at: 1_003_000 });
    expect(s.value).toBe('placing');
    expect(s.context).toMatchObject({ requestId: 'car-7', deadline: 1_060_000, adopted: false });
  });

  it('FAIL ends the workflow from any state', () => {
    const s = send(
      start(),
      { type: 'REQUESTED', requestId: 'car-8', state: 'SUCCEEDED', accountId: '777788889999', at: 1 },
      { type: 'FAIL', code: 'ConstraintViolationException', message: 'ConstraintViolationException: too many accounts' },
    );
    expect(s.value).toBe('failed');
    expect(s.context.error).toEqual({ code: 'ConstraintViolationException', message: 'ConstraintViolationException: too many accounts' });
    const text = serializeSnapshot(accountCreateWorkflow, s);
    expect(isFinished({ kind: 'create', phase: 'Failed', snapshot: text })).toBe(true);
  });

  it('refuses a snapshot of another machine or an unknown state', () => {
    expect(() =>
      restoreSnapshot(accountCreateWorkflow, JSON.stringify({ machine: 'account-close', version: 1, value: 'closing', context: {}, status: 'active' })),
    ).toThrow('stored snapshot is for account-close, not account-create');
    expect(() =>
      restoreSnapshot(accountCreateWorkflow, JSON.stringify({ machine: 'account-create', version: 1, value: 'flying', context: {}, status: 'active' })),
    ).toThrow('stored snapshot state flying is not a state of account-create');
    expect(() => restoreSnapshot(accountCreateWorkflow, '{nope')).toThrow(/^stored workflow snapshot is not JSON: /);
  });
});
