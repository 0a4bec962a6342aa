import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileWorkflowStore, MemoryWorkflowStore } from '../../controller/workflows/store.js';
import type { WorkflowStatus } from '../../controller/api/schemas.js';

const wf = (phase: string): WorkflowStatus => ({
  kind: 'create',
  phase,
  snapshot: '{"machine":"account-create"}',
  startedAt: '2026-01-01T00:00:00.000Z',
  message: phase,
});

describe('FileWorkflowStore', () => {
  it('is empty when the file does not exist, and round-trips saves through a fresh instance', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orgplane-store-'));
    const file = path.join(dir, 'nested', 'workflows.json');
    const a = new FileWorkflowStore(file);
    expect(await a.load()).toEqual({});
    await a.save('Account/a', wf('Creating'));
    await a.save('Account/b', wf('Moving'));
    await a.save('Account/a', wf('Succeeded'));
    await a.save('Account/b', undefined);
    const b = new FileWorkflowStore(file);
    expect(await b.load()).toEqual({ 'Account/a': wf('Succeeded') });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, workflows: { 'Account/a': wf('Succeeded') } });
    // atomic writes leave no temporary files behind
    expect(await readdir(path.dirname(file))).toEqual(['workflows.json']);
  });

  it('keeps every one of many concurrent saves', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orgplane-store-'));
    const s = new FileWorkflowStore(path.join(dir, 'wf.json'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.save(`Account/a${i}`, wf(`P${i}`))));
    const all = await new FileWorkflowStore(path.join(dir, 'wf.json')).load();
    expect(Object.keys(all).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `Account/a${i}`).sort());
  });

  it('rejects a file that is not a workflow store, with the path in the message', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orgplane-store-'));
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"hello":1}');
    await expect(new FileWorkflowStore(bad).load()).rejects.toThrow(
      `workflow store ${bad} is not an orgplane workflow file (expected {"version":1,"workflows":{...}})`,
    );
    await writeFile(bad, 'nope');
    await expect(new FileWorkflowStore(bad).load()).rejects.toThrow(new RegExp(`^workflow store ${bad} is not valid JSON: `));
  });
});

describe('MemoryWorkflowStore', () => {
  it('stores copies, not references', async () => {
    const s = new MemoryWorkflowStore();
    const w = wf('Creating');
    await s.save('Account/a', w);
    w.phase = 'changed';
    const loaded = await s.load();
    expect(loaded['Account/a'].phase).toBe('Creating');
    loaded['Account/a'].phase = 'x';
    expect((await s.load())['Account/a'].phase).toBe('Creating');
    await s.save('Account/a', undefined);
    expect(await s.load()).toEqual({});
  });
});
