// Workflow snapshots live in a ConfigMap in the controller's own namespace (orgplane-system),
// one key per resource. Only the controller's ServiceAccount may write there, so a user who
// may patch a resource's status in the org namespace cannot forge a snapshot that resumes a
// workflow (status.workflow is output only: a copy without the snapshot, never read back).
// save() writes through before it returns, so the marker ("CreateAccount requested, request
// id ...") is stored before the AWS call it guards and a restarted controller resumes from it.
import type { Kind, WorkflowStatus } from '../api/schemas.js';
import { KINDS, KIND_NAMES } from '../api/schemas.js';
import type { WorkflowStore } from '../workflows/store.js';
import { isFinished } from '../workflows/runner.js';
import type { ConfigMapKV } from './runtime/configmap-kv.js';
import { NotLeaderError, type StatusWriter } from './status-writer.js';

/** "Account/payments" <-> "Account.payments" (ConfigMap keys allow no slash; kinds have no dot). */
export const storeKey = (resourceKey: string): string => resourceKey.replace('/', '.');
export const resourceKeyOf = (key: string): string => key.replace('.', '/');

/** Default ConfigMap name for the workflows of one org namespace. */
export const workflowConfigMapName = (watchNamespace: string): string => `orgplane-workflows-${watchNamespace}`;

function splitKey(resourceKey: string): { kind: Kind; name: string } {
  const slash = resourceKey.indexOf('/');
  const kind = resourceKey.slice(0, slash) as Kind;
  const name = resourceKey.slice(slash + 1);
  if (slash < 0 || !KIND_NAMES.includes(kind) || !name) throw new Error(`workflow store: bad resource key "${resourceKey}"`);
  return { kind, name };
}

/** One stored value -> a workflow, or undefined when it is not one (it is then ignored). */
export function parseStored(text: string): WorkflowStatus | undefined {
  try {
    const v = JSON.parse(text) as Partial<WorkflowStatus> | null;
    if (!v || typeof v !== 'object' || typeof v.kind !== 'string' || typeof v.phase !== 'string') return undefined;
    return v as WorkflowStatus;
  } catch {
    return undefined;
  }
}

/** What status.workflow shows: kind, phase and message, never the snapshot. */
export const statusView = (wf: WorkflowStatus): Omit<WorkflowStatus, 'snapshot'> => ({
  kind: wf.kind,
  phase: wf.phase,
  ...(wf.startedAt ? { startedAt: wf.startedAt } : {}),
  ...(wf.message ? { message: wf.message } : {}),
});

export interface WorkflowStoreOptions {
  kv: ConfigMapKV;
  /** Writes the status.workflow view (output only). */
  status: StatusWriter;
  /** The org namespace the resources live in. */
  namespace: string;
  mayWrite: () => boolean;
}

export class ConfigMapWorkflowStore implements WorkflowStore {
  private entries = new Map<string, WorkflowStatus>();

  constructor(private readonly o: WorkflowStoreOptions) {}

  /** Re-reads the ConfigMap (the API server is the truth); call at the start of each reconcile. */
  async refresh(): Promise<void> {
    const data = await this.o.kv.read();
    const next = new Map<string, WorkflowStatus>();
    for (const [k, v] of Object.entries(data)) {
      const wf = parseStored(v);
      if (wf) next.set(resourceKeyOf(k), wf);
    }
    this.entries = next;
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

  /**
   * Stores an unfinished workflow; a finished one (or undefined) is removed, since nothing
   * resumes it and a ConfigMap holds 1 MiB: only workflows under way take space. Its final
   * phase stays visible in status.workflow.
   */
  async save(resourceKey: string, wf: WorkflowStatus | undefined): Promise<void> {
    const { kind, name } = splitKey(resourceKey);
    const had = this.entries.has(resourceKey);
    if (wf === undefined && !had) return;
    if (!this.o.mayWrite()) throw new NotLeaderError(`workflow of ${resourceKey}`);
    const keep = wf !== undefined && !isFinished(wf);
    if (keep || had) await this.o.kv.write(storeKey(resourceKey), keep ? JSON.stringify(wf) : undefined);
    if (keep) this.entries.set(resourceKey, structuredClone(wf));
    else this.entries.delete(resourceKey);
    await this.mirror(kind, name, wf);
  }

  /** The status.workflow view for `kubectl describe`; best effort (the ConfigMap is the record). */
  private async mirror(kind: Kind, name: string, wf: WorkflowStatus | undefined): Promise<void> {
    if (!('workflow' in (KINDS[kind].status.properties as Record<string, unknown>))) return;
    try {
      await this.o.status.patch(kind, name, this.o.namespace, { workflow: wf ? statusView(wf) : null });
    } catch (err) {
      if (err instanceof NotLeaderError) throw err;
    }
  }
}
