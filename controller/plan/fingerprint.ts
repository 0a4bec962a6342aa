// Fingerprints of what a plan was computed from: the manifests (the loaded resources) and the
// organization snapshot the planner read (ActualOrg: only the parts this manifest set made it
// read). Each is a hash of the whole plus one small print per object, so that a saved plan that
// no longer matches can say WHAT changed ("account 1234 (dev): moved from ou-a to ou-b").
import { createHash } from 'node:crypto';
import type { AnyResource } from '../api/schemas.js';
import type { ActualOrg } from '../model/actual.js';
import { asSet, stableJson } from '../model/json-data.js';

/** One object: a name a person recognises and each field as its value (short scalars) or a hash. */
export interface ObjectPrint {
  label: string;
  fields: Record<string, string>;
}

export interface Fingerprint {
  /** sha256 over every object print. */
  hash: string;
  objects: Record<string, ObjectPrint>;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A short scalar stays readable (ids, names, states); anything else is a hash. Every list in
 * ActualOrg is a set (targets, trusted services, ...) whose order is the order AWS happened to
 * list it in, so lists hash as sets here.
 */
function fieldPrint(v: unknown): string {
  if ((typeof v === 'string' && v.length <= 80) || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `sha256:${sha(stableJson(v, asSet)).slice(0, 16)}`;
}

function print(label: string, obj: object, skip: readonly string[] = []): ObjectPrint {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && !skip.includes(k)) fields[k] = fieldPrint(v);
  return { label, fields };
}

function finish(objects: Record<string, ObjectPrint>): Fingerprint {
  return { hash: sha(stableJson(objects)), objects };
}

/** The manifests as loaded: spec, labels and annotations of each resource. */
export function manifestFingerprint(resources: readonly AnyResource[]): Fingerprint {
  const objects: Record<string, ObjectPrint> = {};
  for (const r of resources) {
    const key = `${r.kind}/${r.metadata.name}`;
    const { labels, annotations, namespace } = r.metadata;
    objects[key] = print(key, { apiVersion: r.apiVersion, namespace, labels, annotations, spec: r.spec });
  }
  return finish(objects);
}

/** The organization as the planner read it (readAt, the time of the read, is not part of it). */
export function organizationFingerprint(actual: ActualOrg): Fingerprint {
  const objects: Record<string, ObjectPrint> = {};
  const { root, ous, accounts, policies, access, readAt: _readAt, ...org } = actual;
  objects.organization = print(`organization ${actual.id}`, org);
  objects[`root/${root.id}`] = print(`root ${root.id}`, root);
  for (const ou of Object.values(ous)) objects[`ou/${ou.id}`] = print(`OU ${ou.name} (${ou.id})`, ou);
  for (const a of Object.values(accounts)) objects[`account/${a.id}`] = print(`account ${a.id} (${a.name})`, a);
  for (const p of Object.values(policies)) objects[`policy/${p.id}`] = print(`SCP ${p.name} (${p.id})`, p);
  if (access) {
    // Which accounts' roles could not be read matters to the plan; the error text (request ids) does not.
    const { permissionSets, roles, roleReadErrors, ...rest } = access;
    objects['identity-center'] = print('Identity Center', { ...rest, roleReadErrors: Object.keys(roleReadErrors).sort() });
    for (const ps of Object.values(permissionSets)) objects[`permission-set/${ps.arn}`] = print(`permission set ${ps.name}`, ps);
    for (const [k, role] of Object.entries(roles)) objects[`role/${k}`] = print(`role ${role.roleName} in account ${role.accountId}`, role);
  }
  return finish(objects);
}

const FIELD_WORDS: Record<string, (a: string, b: string) => string> = {
  parentId: (a, b) => `moved from ${a} to ${b}`,
};

function fieldChange(field: string, before: string | undefined, after: string | undefined): string {
  if (before === undefined) return `${field} added`;
  if (after === undefined) return `${field} removed`;
  if (before.startsWith('sha256:') || after.startsWith('sha256:')) return `${field} changed`;
  return FIELD_WORDS[field]?.(before, after) ?? `${field} ${before} -> ${after}`;
}

/** What differs between two fingerprints, one line per object, most specific first. */
export function describeDifferences(before: Fingerprint, after: Fingerprint, limit = 20): string[] {
  const lines: string[] = [];
  for (const [key, b] of Object.entries(before.objects)) {
    const a = after.objects[key];
    if (!a) {
      lines.push(`${b.label} is gone`);
      continue;
    }
    const fields = [...new Set([...Object.keys(b.fields), ...Object.keys(a.fields)])].sort();
    const changed = fields.filter((f) => b.fields[f] !== a.fields[f]).map((f) => fieldChange(f, b.fields[f], a.fields[f]));
    if (changed.length) lines.push(`${b.label}: ${changed.join(', ')}`);
  }
  for (const [key, a] of Object.entries(after.objects)) if (!before.objects[key]) lines.push(`${a.label} is new`);
  if (lines.length === 0 && before.hash !== after.hash) lines.push('contents changed');
  return lines.length > limit ? [...lines.slice(0, limit), `... and ${lines.length - limit} more`] : lines;
}
