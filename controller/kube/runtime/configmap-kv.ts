// A small string map kept in one ConfigMap: read whole, written one key at a time with a JSON
// merge patch (a null value deletes the key), created on first write. Knows nothing of orgplane.
// The ConfigMap lives wherever the caller says; the caller's RBAC decides who else may write it.
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { errorMessage, httpStatus, mergePatch } from '../client.js';

export interface ConfigMapKVOptions {
  core: CoreV1Api;
  namespace: string;
  name: string;
  labels?: Record<string, string>;
}

export class ConfigMapKV {
  constructor(private readonly o: ConfigMapKVOptions) {}

  get where(): string {
    return `ConfigMap ${this.o.namespace}/${this.o.name}`;
  }

  /** Every key (empty when the ConfigMap does not exist yet). */
  async read(): Promise<Record<string, string>> {
    try {
      const cm = await this.o.core.readNamespacedConfigMap({ name: this.o.name, namespace: this.o.namespace });
      return { ...(cm.data ?? {}) };
    } catch (err) {
      if (httpStatus(err) === 404) return {};
      throw new Error(`reading ${this.where}: ${errorMessage(err)}`);
    }
  }

  /** Sets (or, with undefined, removes) one key; creates the ConfigMap when it is missing. */
  async write(key: string, value: string | undefined): Promise<void> {
    try {
      await this.patch(key, value);
    } catch (err) {
      if (httpStatus(err) !== 404) throw new Error(`writing ${key} in ${this.where}: ${errorMessage(err)}`);
      if (value === undefined) return;
      await this.create(key, value);
    }
  }

  private async patch(key: string, value: string | undefined): Promise<void> {
    await this.o.core.patchNamespacedConfigMap({ name: this.o.name, namespace: this.o.namespace, body: { data: { [key]: value ?? null } } }, mergePatch());
  }

  private async create(key: string, value: string): Promise<void> {
    const body: V1ConfigMap = { metadata: { name: this.o.name, namespace: this.o.namespace, labels: this.o.labels }, data: { [key]: value } };
    try {
      await this.o.core.createNamespacedConfigMap({ namespace: this.o.namespace, body });
    } catch (err) {
      // Another writer created it meanwhile: patch that one.
      if (httpStatus(err) !== 409) throw new Error(`creating ${this.where}: ${errorMessage(err)}`);
      await this.patch(key, value);
    }
  }
}
