// core/v1 Events on the orgplane resources (involvedObject with uid, so `kubectl describe`
// lists them). Repeats of one event are aggregated the way kubelet's recorder does: the first
// is created, later ones bump count and lastTimestamp on the same Event instead of adding more.
import { randomBytes } from 'node:crypto';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION } from '../api/schemas.js';
import type { KubeApis } from './client.js';
import { errorMessage, httpStatus, mergePatch } from './client.js';

export interface InvolvedObject {
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Aggregation key: one Event per object, type, reason and message. */
export const aggregationKey = (obj: InvolvedObject, e: EventSpec): string => [obj.uid, e.type, e.reason, e.message].join('\u0000');

interface Seen {
  name: string;
  count: number;
}

export const COMPONENT = 'orgplane-controller';
const MAX_MESSAGE = 1024;
const CACHE_LIMIT = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  /** Events created and aggregated (for tests and logs). */
  created = 0;
  aggregated = 0;

  constructor(
    private readonly apis: KubeApis,
    private readonly identity: string,
    private readonly log: Logger,
    /** Checked before each write: only the leader records events. */
    private readonly mayWrite: () => boolean = () => true,
  ) {}

  async record(obj: InvolvedObject, e: EventSpec): Promise<void> {
    if (!this.mayWrite()) return;
    const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE - 3)}...` : e.message;
    const spec = { ...e, message };
    const key = aggregationKey(obj, spec);
    const now = new Date();
    const prior = this.seen.get(key);
    try {
      if (prior) {
        prior.count++;
        await this.apis.core.patchNamespacedEvent(
          { name: prior.name, namespace: obj.namespace, body: { count: prior.count, lastTimestamp: now.toISOString() } },
          mergePatch(),
        );
        this.aggregated++;
        this.touch(key, prior);
        return;
      }
    } catch (err) {
      // The Event expired (events have a TTL) or was deleted: start a new one.
      if (httpStatus(err) !== 404) {
        this.log.warn({ err: errorMessage(err), reason: e.reason }, 'could not update event');
        return;
      }
      this.seen.delete(key);
    }
    const name = `${obj.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: obj.namespace },
      involvedObject: { apiVersion: API_VERSION, kind: obj.kind, name: obj.name, namespace: obj.namespace, uid: obj.uid, resourceVersion: obj.resourceVersion },
      type: spec.type,
      reason: spec.reason,
      message: spec.message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: COMPONENT },
      reportingComponent: `orgplane.io/${COMPONENT}`,
      reportingInstance: this.identity,
      action: spec.reason,
    };
    try {
      await this.apis.core.createNamespacedEvent({ namespace: obj.namespace, body });
      this.created++;
      this.touch(key, { name, count: 1 });
    } catch (err) {
      this.log.warn({ err: errorMessage(err), reason: e.reason }, 'could not create event');
    }
  }

  /** Keeps the aggregation cache bounded (least recently used goes first). */
  private touch(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    if (this.seen.size > CACHE_LIMIT) this.seen.delete(this.seen.keys().next().value as string);
  }
}
