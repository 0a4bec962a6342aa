// The orgplane.io/finalizer on every resource: Kubernetes keeps a deleted resource until the
// controller has done what its deletionPolicy says in AWS, then the finalizer is removed.
// Both edits are merge patches carrying metadata.resourceVersion, so they fail (409) instead of
// overwriting a finalizer list someone else changed meanwhile.
import { FINALIZER, type AnyResource } from '../api/schemas.js';
import type { KubeApis } from './client.js';
import { errorMessage, httpStatus, mergePatch } from './client.js';
import { GROUP, PLURALS, VERSION } from './kinds.js';
import { NotLeaderError } from './status-writer.js';

export const hasFinalizer = (obj: AnyResource): boolean => (obj.metadata.finalizers ?? []).includes(FINALIZER);

/** What deleting this resource does in AWS (kinds without a policy are never deleted in AWS). */
export function deletionPolicyOf(obj: AnyResource): string {
  const spec = obj.spec as { deletionPolicy?: string } | undefined;
  return spec?.deletionPolicy ?? 'Retain';
}

export class Finalizers {
  constructor(
    private readonly apis: KubeApis,
    private readonly mayWrite: () => boolean,
  ) {}

  async add(obj: AnyResource): Promise<boolean> {
    if (hasFinalizer(obj) || obj.metadata.deletionTimestamp) return false;
    return this.set(obj, [...(obj.metadata.finalizers ?? []), FINALIZER]);
  }

  async remove(obj: AnyResource): Promise<boolean> {
    if (!hasFinalizer(obj)) return false;
    return this.set(
      obj,
      (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
  }

  private async set(obj: AnyResource, finalizers: string[]): Promise<boolean> {
    const { name, namespace = '', resourceVersion } = obj.metadata;
    if (!this.mayWrite()) throw new NotLeaderError(`finalizers of ${obj.kind}/${name}`);
    try {
      const res = (await this.apis.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace, plural: PLURALS[obj.kind], name, body: { metadata: { finalizers, resourceVersion } } },
        mergePatch(),
      )) as AnyResource;
      obj.metadata.finalizers = finalizers;
      if (res?.metadata?.resourceVersion) obj.metadata.resourceVersion = res.metadata.resourceVersion;
      return true;
    } catch (err) {
      const code = httpStatus(err);
      // Gone already, or changed meanwhile: the next reconcile sees the new version.
      if (code === 404 || code === 409) return false;
      throw new Error(`updating finalizers of ${obj.kind}/${name}: ${errorMessage(err)}`);
    }
  }
}
