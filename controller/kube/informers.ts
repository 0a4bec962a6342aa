// One informer per orgplane kind in the watched namespace. They are the controller's trigger
// (spec, annotation and deletion changes; not our own status writes) and its readiness signal.
// An informer that stops on an error is restarted with capped, jittered backoff.
import { makeInformer, type Informer, type KubernetesObject, type KubernetesListObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ANNOTATION_PAUSED, KIND_NAMES, type AnyResource, type Kind } from '../api/schemas.js';
import type { KubeApis } from './client.js';
import { errorMessage, httpStatus } from './client.js';
import { GROUP, PLURALS, VERSION, watchPath } from './kinds.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';

export interface WatcherOptions {
  apis: KubeApis;
  namespace: string;
  log: Logger;
  /** Called on every change that can alter the plan. */
  onChange: (reason: string) => void;
  backoff?: BackoffOptions;
  onRestart?: (kind: Kind) => void;
}

/**
 * What about an object can change the plan: its spec (generation), deletion, finalizers (our
 * own removal ends a deletion) and the paused annotation. Status-only updates are left out, or
 * every status write would trigger another reconcile.
 */
export function changeFingerprint(obj: KubernetesObject): string {
  const m = obj.metadata ?? {};
  return JSON.stringify([
    m.generation ?? null,
    m.deletionTimestamp ?? null,
    m.annotations?.[ANNOTATION_PAUSED] ?? null,
    // Approves a move only under --allow-self-approval; then annotating should not wait for a resync.
    m.annotations?.['orgplane.io/approve-migration'] ?? null,
  ]);
}

interface KindWatch {
  kind: Kind;
  informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  synced: boolean;
  backoff: Backoff;
  restartTimer?: NodeJS.Timeout;
}

export class ResourceWatcher {
  private readonly watches: KindWatch[] = [];
  private readonly seen = new Map<string, string>();
  private stopped = false;
  /** Informer restarts after errors, by kind (exported as a metric). */
  readonly restarts = new Map<Kind, number>();

  constructor(private readonly opts: WatcherOptions) {}

  async start(): Promise<void> {
    const { apis, namespace } = this.opts;
    for (const kind of KIND_NAMES) {
      const plural = PLURALS[kind];
      const w = {} as KindWatch;
      const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
        const res = (await apis.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
        })) as KubernetesListObject<KubernetesObject>;
        w.synced = true;
        return res;
      };
      const informer = makeInformer(apis.kc, watchPath(kind, namespace), list);
      Object.assign(w, { kind, informer, synced: false, backoff: new Backoff(this.opts.backoff ?? DEFAULT_BACKOFF) });
      informer.on('add', (o) => this.changed(kind, o, 'add'));
      informer.on('update', (o) => this.changed(kind, o, 'update'));
      informer.on('delete', (o) => {
        this.seen.delete(this.key(kind, o));
        this.opts.onChange(`delete ${kind}/${o.metadata?.name}`);
      });
      informer.on('error', (err: unknown) => this.failed(w, err));
      this.watches.push(w);
    }
    await Promise.all(this.watches.map((w) => this.startOne(w)));
  }

  private async startOne(w: KindWatch): Promise<void> {
    if (this.stopped) return;
    try {
      await w.informer.start();
    } catch (err) {
      this.failed(w, err);
    }
  }

  private failed(w: KindWatch, err: unknown): void {
    if (this.stopped || w.restartTimer) return;
    const delay = w.backoff.next();
    this.restarts.set(w.kind, (this.restarts.get(w.kind) ?? 0) + 1);
    this.opts.onRestart?.(w.kind);
    this.opts.log.warn({ kind: w.kind, status: httpStatus(err), err: errorMessage(err), retryInMs: delay }, 'informer stopped; restarting');
    w.restartTimer = setTimeout(() => {
      w.restartTimer = undefined;
      void this.startOne(w);
    }, delay);
    w.restartTimer.unref?.();
  }

  private key(kind: Kind, o: KubernetesObject): string {
    return `${kind}/${o.metadata?.name ?? ''}`;
  }

  private changed(kind: Kind, o: KubernetesObject, verb: string): void {
    const k = this.key(kind, o);
    const fp = changeFingerprint(o);
    if (this.seen.get(k) === fp) return;
    this.seen.set(k, fp);
    this.opts.onChange(`${verb} ${k}`);
  }

  /** True once every kind has been listed at least once. */
  synced(): boolean {
    return this.watches.length === KIND_NAMES.length && this.watches.every((w) => w.synced);
  }

  /** The informers' cached objects (may lag the API server by a watch event). */
  cached(): AnyResource[] {
    return this.watches.flatMap((w) => (w.informer.list(this.opts.namespace) as unknown as AnyResource[]).map((o) => ({ ...o, kind: w.kind }) as AnyResource));
  }

  /** One consistent read of every kind straight from the API server (one LIST per kind). */
  async listFresh(): Promise<AnyResource[]> {
    const { apis, namespace } = this.opts;
    const lists = await Promise.all(
      KIND_NAMES.map(async (kind) => {
        const res = (await apis.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURALS[kind] })) as {
          items?: AnyResource[];
        };
        return (res.items ?? []).map((o) => ({ ...o, kind }) as AnyResource);
      }),
    );
    return lists.flat();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches) {
      if (w.restartTimer) clearTimeout(w.restartTimer);
      await w.informer.stop().catch(() => undefined);
    }
  }
}
