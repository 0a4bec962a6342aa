// The executor when its run is stopped: ops in flight finish (out of the abort scope, so their
// reads are not cut), nothing starts after the stop, and a workflow stops at a saved step.
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlan, stoppableWorkflow, type OpRunners } from '../../controller/apply/executor.js';
import { abortableSleep, currentAbortSignal, isAbortError, StopRequested, withAbortSignal } from '../../controller/aws/abort.js';
import { createAwsClients } from '../../controller/aws/clients.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import type { IdRef, Op } from '../../controller/plan/operations.js';
import type { StepInfo } from '../../controller/workflows/runner.js';

// Real clients object, never called: every op below goes to the runners given.
const clients = createAwsClients({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
afterAll(() => clients.destroy());

const ou = (id: string, name: string, deps: string[] = [], parent: IdRef = { id: 'r-root' }): Op => ({
  id,
  deps,
  op: 'CreateOU',
  resource: `OrganizationalUnit/${name}`,
  summary: `create OU ${name}`,
  name,
  parent,
  tags: {},
});
const step = (stage: StepInfo['stage']): StepInfo => ({ resourceKey: 'Account/a', kind: 'create', from: 'creating', event: { type: 'CREATED' }, stage });

describe('applyPlan, stopped part-way', () => {
  it('finishes the op in flight, starts nothing more, and says why the rest did not run', async () => {
    const stop = new AbortController();
    const started: string[] = [];
    const scopeSeenByOps: (AbortSignal | undefined)[] = [];
    const runners: OpRunners = {
      org: async (op) => {
        started.push(op.id);
        scopeSeenByOps.push(currentAbortSignal());
        if (op.id === 'op-1') {
          stop.abort(new StopRequested('SIGTERM'));
          await new Promise((r) => setTimeout(r, 30));
        }
        return { createdId: `ou-${op.id}` };
      },
    };
    const plan = { ops: [ou('op-1', 'a'), ou('op-2', 'b', ['op-1'], { ref: 'OrganizationalUnit/a' }), ou('op-3', 'c')] };
    // The signal comes from the reconcile's scope, as the engine sets it.
    const r = await withAbortSignal(stop.signal, () => applyPlan(plan, { clients, workflowStore: new MemoryWorkflowStore(), runners, concurrency: 1 }));
    expect(started).toEqual(['op-1']);
    expect(r.results.map((x) => [x.opId, x.status, x.reason])).toEqual([
      ['op-1', 'succeeded', undefined],
      ['op-2', 'skipped', 'Aborted'],
      ['op-3', 'skipped', 'Aborted'],
    ]);
    expect(r.results[2].error).toBe('not started: this run was stopped (stopping on SIGTERM)');
    // The op ran out of the abort scope: its own reads were never going to be cut off.
    expect(scopeSeenByOps).toEqual([undefined]);
  });

  it('reports an op whose workflow stopped at a saved step as Interrupted, not failed', async () => {
    const stop = new AbortController();
    const runners: OpRunners = {
      account: async () => {
        stop.abort(new StopRequested('SIGINT'));
        // What a workflow's poll sleep does when the run stops (stoppableWorkflow).
        await abortableSleep(60_000, stop.signal);
        return {};
      },
    };
    const op: Op = {
      id: 'op-1',
      deps: [],
      op: 'CreateAccount',
      resource: 'Account/a',
      summary: 'create account a',
      name: 'A',
      email: 'a@example.com',
      parent: { id: 'r-root' },
      tags: {},
      roleName: 'OrganizationAccountAccessRole',
    };
    const t0 = Date.now();
    const r = await applyPlan({ ops: [op] }, { clients, workflowStore: new MemoryWorkflowStore(), runners, signal: stop.signal });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(r.results[0]).toMatchObject({ status: 'skipped', reason: 'Interrupted' });
    expect(r.results[0].error).toMatch(/^interrupted \(stopping on SIGINT\): its workflow is saved/);
  });
});

describe('stoppableWorkflow', () => {
  it('leaves the options alone when nothing can stop the run', () => {
    const o = { waitBudgetMs: 5 };
    expect(stoppableWorkflow(o, undefined)).toBe(o);
  });

  it('ends a poll sleep at once when the run stops', async () => {
    const stop = new AbortController();
    const o = stoppableWorkflow({}, stop.signal);
    const sleeping = o.sleep!(60_000).catch((e: unknown) => e);
    stop.abort(new StopRequested('SIGTERM'));
    expect(isAbortError(await sleeping)).toBe(true);
  });

  it('stops a workflow right after a step is saved, never between the AWS call and the save', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    const o = stoppableWorkflow(
      {
        onStep: (i) => {
          seen.push(i.stage);
        },
      },
      stop.signal,
    );
    await o.onStep!(step('performed'));
    await o.onStep!(step('persisted'));
    stop.abort(new StopRequested('SIGTERM'));
    await o.onStep!(step('performed'));
    await expect(o.onStep!(step('persisted'))).rejects.toThrow(/stopping on SIGTERM/);
    // The caller's own hook still saw every step.
    expect(seen).toEqual(['performed', 'persisted', 'performed', 'persisted']);
  });
});
