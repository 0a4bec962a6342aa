// Organizations has no batch tag read: every OU, SCP and tagged account costs one
// ListTagsForResource per reconcile. A long-running controller keeps the answers for a while
// instead, so a steady-state reconcile does not grow with tagged accounts. Tags orgplane writes
// itself invalidate their entry at once (middleware below); changes made outside orgplane are
// seen when the entry expires (the controller's --tag-cache-ttl).
import type { InitializeMiddleware, MetadataBearer, Pluggable } from '@aws-sdk/types';
import type { Tags } from '../model/actual.js';

export class TagCache {
  private readonly entries = new Map<string, { tags: Tags; at: number }>();
  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): Tags | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (this.now() - e.at >= this.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return { ...e.tags };
  }

  set(id: string, tags: Tags): void {
    this.entries.set(id, { tags: { ...tags }, at: this.now() });
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Organizations calls that change a resource's tags, by the input field naming the resource. */
const TAG_WRITES: Record<string, string> = { TagResourceCommand: 'ResourceId', UntagResourceCommand: 'ResourceId' };

/** Drops the cached tags of whatever a tag write touches, before and after the call. */
export function tagInvalidationPlugin(cache: TagCache): Pluggable<object, MetadataBearer> {
  const mw: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const field = TAG_WRITES[String(context.commandName)];
    const id = field ? (args.input as Record<string, unknown>)[field] : undefined;
    if (typeof id !== 'string') return next(args);
    cache.invalidate(id);
    try {
      return await next(args);
    } finally {
      cache.invalidate(id);
    }
  };
  return {
    applyToStack: (stack) => {
      stack.add(mw, { step: 'initialize', name: 'orgplaneTagCacheInvalidation' });
    },
  };
}
