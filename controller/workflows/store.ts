// Where workflow snapshots live between steps and between runs: a JSON file for the CLI, memory
// for tests and observe-only runs (the controller keeps them in each resource's status).
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowStatus } from '../api/schemas.js';

export interface WorkflowStore {
  /** Every stored workflow by resource key ("Account/payments"). */
  load(): Promise<Record<string, WorkflowStatus>>;
  /** Store (or, with undefined, forget) the workflow of one resource. */
  save(resourceKey: string, wf: WorkflowStatus | undefined): Promise<void>;
}

export class MemoryWorkflowStore implements WorkflowStore {
  private readonly entries = new Map<string, WorkflowStatus>();
  constructor(initial: Record<string, WorkflowStatus> = {}) {
    for (const [k, v] of Object.entries(initial)) this.entries.set(k, structuredClone(v));
  }
  async load(): Promise<Record<string, WorkflowStatus>> {
    return Object.fromEntries([...this.entries].map(([k, v]) => [k, structuredClone(v)]));
  }
  async save(resourceKey: string, wf: WorkflowStatus | undefined): Promise<void> {
    if (wf === undefined) this.entries.delete(resourceKey);
    else this.entries.set(resourceKey, structuredClone(wf));
  }
}

interface StoreFile {
  version: 1;
  workflows: Record<string, WorkflowStatus>;
}

/**
 * One JSON file holding every workflow. Each save rewrites it through a temporary file and a
 * rename, so a process killed mid-write leaves the previous complete file, never half of one.
 * Saves from concurrent workflows are serialised through one promise chain.
 */
export class FileWorkflowStore implements WorkflowStore {
  private chain: Promise<unknown> = Promise.resolve();
  private seq = 0;
  constructor(readonly path: string) {}

  async load(): Promise<Record<string, WorkflowStatus>> {
    await this.chain;
    return this.read();
  }

  save(resourceKey: string, wf: WorkflowStatus | undefined): Promise<void> {
    const next = this.chain.then(async () => {
      const all = await this.read();
      if (wf === undefined) delete all[resourceKey];
      else all[resourceKey] = wf;
      await this.write(all);
    });
    // A failed save must fail its caller, not every later save.
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<Record<string, WorkflowStatus>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`workflow store ${this.path} is not valid JSON: ${(e as Error).message}`);
    }
    const file = parsed as Partial<StoreFile> | null;
    if (!file || typeof file !== 'object' || file.version !== 1 || typeof file.workflows !== 'object' || file.workflows === null) {
      throw new Error(`workflow store ${this.path} is not an orgplane workflow file (expected {"version":1,"workflows":{...}})`);
    }
    return file.workflows;
  }

  private async write(workflows: Record<string, WorkflowStatus>): Promise<void> {
    await mkdir(path.dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${++this.seq}.tmp`;
    const body: StoreFile = { version: 1, workflows };
    try {
      await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', 'utf8');
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}
