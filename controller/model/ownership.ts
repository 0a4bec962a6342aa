// orgplane records on each AWS object it manages who owns it and what to do when the manifest
// is gone, so that a CLI run with no state file still knows what it manages.
export const TAG_MANAGED_BY = 'orgplane.io/managed-by';
export const TAG_OWNER = 'orgplane.io/owner';
export const TAG_DELETION_POLICY = 'orgplane.io/deletion-policy';
export const MANAGED_BY_VALUE = 'orgplane';
export const RESERVED_TAG_PREFIX = 'orgplane.io/';

/** Owner tag value: "<namespace>/<Kind>/<name>". */
export const ownerValue = (namespace: string, key: string): string => `${namespace}/${key}`;

export function ownershipTags(namespace: string, key: string, deletionPolicy: string): Record<string, string> {
  return {
    [TAG_MANAGED_BY]: MANAGED_BY_VALUE,
    [TAG_OWNER]: ownerValue(namespace, key),
    [TAG_DELETION_POLICY]: deletionPolicy,
  };
}
