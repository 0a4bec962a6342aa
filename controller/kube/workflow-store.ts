// Workflow snapshots live in each resource's status.workflow. save() writes through to the API
// server before it returns, so the executor persists the marker (e.g. "CreateAccount requested,
// request id ...") before the AWS call it guards, and a restarted controller resumes from it.
import type { AnyResource, Kind, WorkflowStatus } from '../api/schemas.js';
import { KIND_NAMES } from '../api/schemas.js';
import type { WorkflowStore } from '../workflows/store.js';
import { isFinished } from '../workflows/runner.js';
import type { StatusWriter } from './status-writer.js';

export class StatusWorkflowStore implements WorkflowStore {
  private entries = new Map<string, WorkflowStatus>();
  /** "Kind/name" -> object identity for writes. */
  private objects = new Map<string, AnyResource>();

  constructor(private readonly writer: StatusWriter, private readonly namespace: string) {}

  /** Refreshes the store from the resources just listed (the API server is the truth). */
  prime(resources: readonly AnyResource[]): void {
    this.entries = new Map();
    this.objects = new Map();
    for (const r of resources) {
      const key = `${r.kind}/${r.metadata.name}`;
      this.objects.set(key, r);
      const wf = (r.status as { workflow?: WorkflowStatus } | undefined)?.workflow;
      if (wf && typeof wf === 'object' && wf.kind) this.entries.set(key, structuredClone(wf));
    }
  }

  async load(): Promise<Record<string, WorkflowStatus>> {
    return Object.fromEntries([...this.entries].map(([k, v]) => [k, structuredClone(v)]));
  }

  /** A workflow of this resource is stored and has not reached a final state. */
  isOpen(resourceKey: string): boolean {
    const wf = this.entries.get(resourceKey);
    return wf !== undefined && !isFinished(wf);
  }

  /** Resources with an unfinished workflow (the controller rechecks them soon). */
  open(): string[] {
    return [...this.entries.keys()].filter((k) => this.isOpen(k));
  }

  async save(resourceKey: string, wf: WorkflowStatus | undefined): Promise<void> {
    const slash = resourceKey.indexOf('/');
    const kind = resourceKey.slice(0, slash) as Kind;
    const name = resourceKey.slice(slash + 1);
    if (!KIND_NAMES.includes(kind) || !name) throw new Error(`workflow store: bad resource key "${resourceKey}"`);
    if (wf === undefined && !this.entries.has(resourceKey)) return;
    const namespace = this.objects.get(resourceKey)?.metadata.namespace ?? this.namespace;
    // Merge patch: null removes status.workflow; a snapshot replaces it whole.
    await this.writer.patch(kind, name, namespace, { workflow: wf ?? null }, wf !== undefined);
    if (wf === undefined) this.entries.delete(resourceKey);
    else this.entries.set(resourceKey, structuredClone(wf));
    const obj = this.objects.get(resourceKey);
    if (obj) {
      const status = { ...((obj.status ?? {}) as Record<string, unknown>) };
      if (wf === undefined) delete status.workflow; else status.workflow = structuredClone(wf);
      obj.status = status as typeof obj.status;
    }
  }
}
