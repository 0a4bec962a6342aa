// Writes each resource's status through the status subresource with a merge patch, and only
// the fields that changed: a reconcile that changes nothing writes nothing.
import type { Logger } from 'pino';
import { KINDS, type AnyResource, type Condition, type Kind } from '../api/schemas.js';
import type { KubeApis } from './client.js';
import { errorMessage, httpStatus, mergePatch } from './client.js';
import { GROUP, PLURALS, VERSION } from './kinds.js';
import { mergeConditions } from '../status/conditions.js';
import { statusPatch, type StatusFields } from './conditions.js';

/** Status fields the status writer leaves alone: the workflow store owns status.workflow. */
const NOT_MINE = new Set(['workflow']);

/**
 * The status patch for one resource: conditions merged over the current ones (transition
 * times kept unless the status flips, observedGeneration = metadata.generation), then only the
 * changed fields. undefined = nothing to write.
 */
export function buildStatusPatch(obj: AnyResource, desired: StatusFields, now: string): Record<string, unknown> | undefined {
  const current = (obj.status ?? {}) as Record<string, unknown> & { conditions?: Condition[] };
  const generation = obj.metadata.generation;
  const next: Record<string, unknown> = {};
  // Only fields the CRD's status schema has: the API server prunes others, and a field that
  // never sticks would be rewritten on every reconcile.
  const known = KINDS[obj.kind].status.properties as Record<string, unknown>;
  for (const [k, v] of Object.entries(desired)) if (!NOT_MINE.has(k) && k in known) next[k] = v;
  if (desired.conditions) next.conditions = mergeConditions(current.conditions, desired.conditions, generation, now);
  if (generation !== undefined) next.observedGeneration = generation;
  next.lastSyncTime = now;
  return statusPatch(current, next);
}

export class StatusWriter {
  /** Patches sent (tests assert that a no-op reconcile sends none). */
  writes = 0;

  constructor(
    private readonly apis: KubeApis,
    private readonly log: Logger,
    private readonly mayWrite: () => boolean,
  ) {}

  /** Writes the changed part of `desired`; returns the patch sent, or undefined. */
  async write(obj: AnyResource, desired: StatusFields, now = new Date().toISOString()): Promise<Record<string, unknown> | undefined> {
    const patch = buildStatusPatch(obj, desired, now);
    if (!patch) return undefined;
    await this.patch(obj.kind, obj.metadata.name, obj.metadata.namespace ?? '', patch);
    // Later writes in this reconcile compare against what is now stored.
    obj.status = { ...(obj.status ?? {}), ...patch } as typeof obj.status;
    return patch;
  }

  /** Sends one status merge patch; a missing resource is fine unless `strict` (a workflow marker must land). */
  async patch(kind: Kind, name: string, namespace: string, status: Record<string, unknown>, strict = false): Promise<void> {
    if (!this.mayWrite()) throw new NotLeaderError(`status of ${kind}/${name}`);
    try {
      await this.apis.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: PLURALS[kind], name, body: { status } },
        mergePatch(),
      );
      this.writes++;
    } catch (err) {
      if (httpStatus(err) === 404 && !strict) {
        this.log.debug({ resource: `${kind}/${name}` }, 'resource gone before its status was written');
        return;
      }
      throw new Error(`writing status of ${kind}/${name}: ${errorMessage(err)}`);
    }
  }
}

export class NotLeaderError extends Error {
  constructor(what: string) {
    super(`not the leader: refusing to write ${what}`);
    this.name = 'NotLeaderError';
  }
}
