import { describe, expect, it } from 'vitest';
import type { AnyResource, Condition } from '../../controller/api/schemas.js';
import { statusPatch } from '../../controller/kube/conditions.js';
import { sameData } from '../../controller/model/json-data.js';
import { mergeConditions, withCondition } from '../../controller/status/conditions.js';
import { buildStatusPatch } from '../../controller/kube/status-writer.js';
import { observeOnlyStatus } from '../../controller/kube/controller.js';
import { deletionOutcome } from '../../controller/kube/deletion.js';
import type { OpResult } from '../../controller/apply/executor.js';
import type { Plan } from '../../controller/plan/operations.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:05:00.000Z';

const account = (status?: Record<string, unknown>, generation = 3): AnyResource =>
  ({
    apiVersion: 'orgplane.io/v1alpha1',
    kind: 'Account',
    metadata: { name: 'dev', namespace: 'org', uid: 'u-1', generation },
    spec: { email: 'dev@example.com', parent: 'workloads' },
    status: status as AnyResource['status'],
  }) as AnyResource;

describe('mergeConditions', () => {
  const prev: Condition[] = [
    { type: 'Ready', status: 'False', reason: 'Creating', message: 'creating', lastTransitionTime: T0, observedGeneration: 2 },
    { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', message: '', lastTransitionTime: T0, observedGeneration: 2 },
  ];

  it('keeps lastTransitionTime when the status does not flip, and moves it when it does', () => {
    const out = mergeConditions(
      prev,
      [
        { type: 'Ready', status: 'True', reason: 'Available', message: 'ok' },
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', message: 'again' },
      ],
      3,
      T1,
    );
    expect(out).toEqual([
      { type: 'Ready', status: 'True', reason: 'Available', message: 'ok', lastTransitionTime: T1, observedGeneration: 3 },
      { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', message: 'again', lastTransitionTime: T0, observedGeneration: 3 },
    ]);
  });

  it('keeps conditions the new set does not mention and orders Ready, Synced, Progressing first', () => {
    const out = mergeConditions(prev, [{ type: 'Progressing', status: 'True', reason: 'Migrating', message: 'moving' }], undefined, T1);
    expect(out.map((c) => c.type)).toEqual(['Ready', 'Synced', 'Progressing']);
    expect(out[2]).toEqual({ type: 'Progressing', status: 'True', reason: 'Migrating', message: 'moving', lastTransitionTime: T1 });
    expect(out[0].observedGeneration).toBe(2);
  });
});

describe('statusPatch', () => {
  it('is undefined when nothing but lastSyncTime differs (no write storms)', () => {
    expect(statusPatch({ id: '1', lastSyncTime: T0 }, { id: '1', lastSyncTime: T1 })).toBeUndefined();
  });
  it('holds only changed fields, plus lastSyncTime when writing', () => {
    expect(statusPatch({ id: '1', ou: 'a' }, { id: '1', ou: 'b', lastSyncTime: T1 })).toEqual({ ou: 'b', lastSyncTime: T1 });
  });
  it('deletes with null only what is there', () => {
    expect(statusPatch({ workflow: { kind: 'create' } }, { workflow: null })).toEqual({ workflow: null });
    expect(statusPatch({}, { workflow: null })).toBeUndefined();
  });
  it('compares JSON structurally, ignoring key order', () => {
    expect(sameData({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(sameData({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameData([1, 2], [2, 1])).toBe(false);
  });
});

describe('buildStatusPatch', () => {
  const ready = { type: 'Ready', status: 'True' as const, reason: 'Available', message: 'ACTIVE' };

  it('writes conditions, observedGeneration and AWS ids on the first reconcile', () => {
    const patch = buildStatusPatch(account(undefined), { id: '123456789012', ou: 'workloads', conditions: [ready] }, T0);
    expect(patch).toEqual({
      id: '123456789012',
      ou: 'workloads',
      conditions: [{ ...ready, lastTransitionTime: T0, observedGeneration: 3 }],
      observedGeneration: 3,
      lastSyncTime: T0,
    });
  });

  it('writes nothing when the same status comes back a minute later', () => {
    const first = buildStatusPatch(account(undefined), { id: '123456789012', conditions: [ready] }, T0)!;
    expect(buildStatusPatch(account(first), { id: '123456789012', conditions: [ready] }, T1)).toBeUndefined();
  });

  it('rewrites observedGeneration on a spec change even when the conditions hold', () => {
    const first = buildStatusPatch(account(undefined), { conditions: [ready] }, T0)!;
    const patch = buildStatusPatch(account(first, 4), { conditions: [ready] }, T1)!;
    expect(patch.observedGeneration).toBe(4);
    expect((patch.conditions as Condition[])[0].lastTransitionTime).toBe(T0);
  });

  it('leaves status.workflow to the workflow store and drops fields the CRD schema lacks', () => {
    const patch = buildStatusPatch(
      account({ workflow: { kind: 'create', phase: 'Creating' } }),
      { workflow: { kind: 'x', phase: 'y' }, bogus: 1, state: 'ACTIVE' },
      T0,
    );
    expect(patch).toEqual({ state: 'ACTIVE', observedGeneration: 3, lastSyncTime: T0 });
  });
});

describe('observeOnlyStatus', () => {
  it('says ObserveOnly with the pending operation count', () => {
    const s = observeOnlyStatus({ conditions: [{ type: 'Synced', status: 'True', reason: 'ReconcileSuccess', message: '' }] }, 3);
    expect(s.conditions).toEqual([
      { type: 'Synced', status: 'False', reason: 'ObserveOnly', message: 'observe-only mode: 3 pending operation(s) not applied' },
    ]);
    const clean = observeOnlyStatus({}, 0);
    expect(clean.conditions).toEqual([{ type: 'Synced', status: 'True', reason: 'ObserveOnly', message: 'observe-only mode: AWS matches the spec' }]);
  });
  it('keeps an ObserveOnly or failure Synced the engine set', () => {
    const engine = { conditions: [{ type: 'Synced', status: 'False' as const, reason: 'ObserveOnly', message: '2 change(s) pending' }] };
    expect(observeOnlyStatus(engine, 2)).toBe(engine);
    const invalid = { conditions: [{ type: 'Synced', status: 'False' as const, reason: 'InvalidSpec', message: 'bad' }] };
    expect(observeOnlyStatus(invalid, 0)).toBe(invalid);
  });
  it('withCondition replaces one condition type only', () => {
    const s = withCondition(
      { conditions: [{ type: 'Ready', status: 'True', reason: 'A', message: '' }] },
      { type: 'Synced', status: 'False', reason: 'B', message: 'm' },
    );
    expect(s.conditions?.map((c) => c.type)).toEqual(['Ready', 'Synced']);
  });
});

describe('deletionOutcome', () => {
  const empty: Plan = { ops: [], blocked: [], unmanaged: [], warnings: [], drift: {} };
  const closing: Plan = {
    ...empty,
    ops: [{ id: 'op-1', deps: [], resource: 'Account/dev', summary: 'close dev', op: 'CloseAccount', accountId: '111111111111', name: 'dev' }],
  };
  const ran = (status: OpResult['status'], error?: string): OpResult => ({
    opId: 'op-1',
    op: closing.ops[0],
    resource: 'Account/dev',
    status,
    ...(error === undefined ? {} : { error }),
  });

  it('is done when nothing is pending, nothing failed and no workflow is open', () => {
    expect(deletionOutcome('Account/dev', 'Close', empty, [ran('succeeded')], false, false)).toEqual({
      done: true,
      reason: 'Deleted',
      message: 'deletion (Close) done in AWS',
      warning: false,
    });
  });
  it('waits while ops remain or the workflow is open', () => {
    expect(deletionOutcome('Account/dev', 'Close', closing, [], false, false)).toEqual({
      done: false,
      reason: 'Deleting',
      message: 'deletion (Close): 1 operation(s) still to run in AWS',
      warning: false,
    });
    expect(deletionOutcome('Account/dev', 'Close', empty, [], true, false)).toEqual({
      done: false,
      reason: 'Deleting',
      message: 'deletion (Close): workflow still running in AWS',
      warning: false,
    });
  });
  it('reports a failed op as a warning', () => {
    expect(deletionOutcome('Account/dev', 'Close', closing, [ran('failed', 'ConstraintViolationException: quota')], false, false)).toEqual({
      done: false,
      reason: 'DeleteFailed',
      message: 'deletion (Close) failed: ConstraintViolationException: quota; will retry',
      warning: true,
    });
  });
  it('never lets go in observe-only mode while AWS still has work', () => {
    expect(deletionOutcome('Account/dev', 'Close', closing, [], false, true)).toEqual({
      done: false,
      reason: 'ObserveOnly',
      message: 'deletion (Close) needs 1 operation(s) in AWS; not applied in observe-only mode',
      warning: false,
    });
  });
  it('reports the circuit breaker', () => {
    const blocked: Plan = {
      ...empty,
      blocked: [{ resource: 'OrganizationalUnit/a', reason: 'DeletionCircuitBreaker', message: 'would delete 5 of 6 managed objects' }],
    };
    expect(deletionOutcome('OrganizationalUnit/a', 'Delete', blocked, [], false, false)).toEqual({
      done: false,
      reason: 'DeletionCircuitBreaker',
      message: 'deletion (Delete) blocked: would delete 5 of 6 managed objects',
      warning: true,
    });
  });
});
