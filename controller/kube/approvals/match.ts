// Which Approval lets which change through: pure functions over plain data (no I/O, no clock of
// their own), so the rules are tested on their own. An Approval applies to one exact change: the
// same resource, the generation (or spec hash) it was granted for, and the same operation
// (a move from -> to, or an org-wide op by fingerprint); it is used at most once and lapses.
import { createHash } from 'node:crypto';
import {
  APPROVAL_DEFAULT_TTL,
  APPROVAL_MAX_TTL,
  type AnyResource,
  type ApprovalObject,
  type ApprovalOperation,
  type ApprovalState,
} from '../../api/schemas.js';
import { stableJson } from '../../model/json-data.js';
import type { IdRef } from '../../plan/operations.js';

/** The change a plan op asks for, in the terms an Approval names it. */
export type RequestedOperation =
  /** Every name each side is known by (AWS id, OrganizationalUnit metadata.name, "root"). */
  { kind: 'Migration'; from: readonly string[]; to: readonly string[] } | { kind: 'OrgWide'; fingerprint: string };

/** The resource as it is now: what an Approval's generation / spec hash must still match. */
export interface ResourceVersion {
  key: string;
  generation?: number;
  specHash: string;
  createdAt?: string;
}

export interface ChangeRequest {
  resource: ResourceVersion;
  operation: RequestedOperation;
}

export type Verdict = { ok: true } | { ok: false; why: string };

/** sha256 of the spec's canonical JSON (sorted keys): what `spec.specHash` names. */
export const specHash = (spec: unknown): string => `sha256:${createHash('sha256').update(stableJson(spec)).digest('hex')}`;

export const versionOf = (r: AnyResource): ResourceVersion => ({
  key: `${r.kind}/${r.metadata.name}`,
  generation: r.metadata.generation,
  specHash: specHash(r.spec),
  createdAt: r.metadata.creationTimestamp,
});

/** "30m", "24h", "1h30m", "90s" -> milliseconds; undefined when malformed or empty. */
export function ttlMs(ttl: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(ttl);
  if (!m || ttl === '') return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** RFC 3339 to the second, as Kubernetes writes times. */
export const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const MAX_TTL_MS = ttlMs(APPROVAL_MAX_TTL)!;
const DEFAULT_TTL_MS = ttlMs(APPROVAL_DEFAULT_TTL)!;

/**
 * When an Approval lapses: expiresAt, or creation + ttl (default 24h), never later than creation +
 * 168h (CEL caps ttl; expiresAt is capped here because CEL cannot see creationTimestamp).
 */
export function expiryOf(a: ApprovalObject): Date {
  const created = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const cap = created + MAX_TTL_MS;
  if (a.spec.expiresAt !== undefined) {
    const at = Date.parse(a.spec.expiresAt);
    return new Date(Number.isNaN(at) ? created : Math.min(at, cap));
  }
  const ttl = a.spec.ttl === undefined ? DEFAULT_TTL_MS : (ttlMs(a.spec.ttl) ?? 0);
  return new Date(Math.min(created + ttl, cap));
}

/** One line for `kubectl get approvals` (status.approves). */
export function describeOperation(op: ApprovalOperation): string {
  return op.kind === 'Migration' ? `Migration ${op.from ?? '?'} -> ${op.to ?? '?'}` : `OrgWide ${op.fingerprint ?? '?'}`;
}

const TERMINAL: ReadonlySet<ApprovalState> = new Set(['Consumed', 'Expired', 'Stale']);

export const isTerminal = (a: ApprovalObject): boolean => a.status?.state !== undefined && TERMINAL.has(a.status.state);

/**
 * Whether the Approval still stands for this version of its resource: not lapsed, same
 * generation / spec hash, and (for a generation) granted after the resource was created: a
 * resource deleted and created again starts at generation 1, and an old approval must not carry over.
 */
export function standing(a: ApprovalObject, current: ResourceVersion | undefined, now: Date): { state: ApprovalState; why?: string } {
  if (isTerminal(a)) return { state: a.status!.state! };
  const expiry = expiryOf(a);
  if (now.getTime() >= expiry.getTime()) return { state: 'Expired', why: `expired at ${isoSeconds(expiry)}` };
  if (!current) return { state: 'Pending', why: `${a.spec.resource} does not exist` };
  if (a.spec.generation !== undefined) {
    if (current.generation !== a.spec.generation) {
      return { state: 'Stale', why: `${current.key} is at generation ${current.generation ?? '?'}; this approval is for generation ${a.spec.generation}` };
    }
    const created = Date.parse(a.metadata.creationTimestamp ?? '');
    const resourceCreated = Date.parse(current.createdAt ?? '');
    if (created < resourceCreated) return { state: 'Stale', why: `${current.key} was created again after this approval` };
  } else if (a.spec.specHash !== current.specHash) {
    return {
      state: 'Stale',
      why: `the spec of ${current.key} changed (${current.specHash.slice(0, 19)}...); this approval is for ${a.spec.specHash?.slice(0, 19)}...`,
    };
  }
  return { state: 'Pending' };
}

/** Whether the Approval's operation is the requested one. */
export function sameOperation(approved: ApprovalOperation, requested: RequestedOperation): boolean {
  if (approved.kind !== requested.kind) return false;
  if (requested.kind === 'OrgWide') return approved.fingerprint === requested.fingerprint;
  return approved.from !== undefined && approved.to !== undefined && requested.from.includes(approved.from) && requested.to.includes(approved.to);
}

/** Why this Approval does (not) let this change through. */
export function verdict(a: ApprovalObject, req: ChangeRequest, now: Date): Verdict {
  if (a.spec.resource !== req.resource.key) return { ok: false, why: `it approves ${a.spec.resource}` };
  const s = standing(a, req.resource, now);
  if (s.state !== 'Pending') return { ok: false, why: s.why ?? `it is ${s.state}` };
  if (!sameOperation(a.spec.operation, req.operation)) return { ok: false, why: `it approves ${describeOperation(a.spec.operation)}` };
  return { ok: true };
}

/** The Approval that lets this change through (the oldest that does), or undefined. */
export function approvalFor(approvals: readonly ApprovalObject[], req: ChangeRequest, now: Date): ApprovalObject | undefined {
  const byAge = [...approvals].sort((x, y) => (x.metadata.creationTimestamp ?? '').localeCompare(y.metadata.creationTimestamp ?? ''));
  return byAge.find((a) => verdict(a, req, now).ok);
}

/** AWS id -> OrganizationalUnit metadata.name (from the ids the controller wrote in status), and the root. */
export function ouNameIndex(resources: readonly AnyResource[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const r of resources) {
    if (r.kind === 'OrganizationalUnit' && r.status?.id) names.set(r.status.id, r.metadata.name);
    if (r.kind === 'Organization' && r.status?.rootId) names.set(r.status.rootId, 'root');
  }
  return names;
}

/** Every name an OU of a plan op is known by: its id, its resource name, "root" for the root. */
export function ouAliases(ref: IdRef, names: ReadonlyMap<string, string>): string[] {
  if ('ref' in ref) {
    const [kind, name] = ref.ref.split('/');
    return kind === 'OrganizationalUnit' && name ? [name] : [ref.ref];
  }
  const out = [ref.id];
  const name = names.get(ref.id);
  if (name) out.push(name);
  if (ref.id.startsWith('r-') && !out.includes('root')) out.push('root');
  return out;
}

/** The name to show a person (and to put in an Approval): the resource name when known, else the id. */
export const ouDisplay = (ref: IdRef, names: ReadonlyMap<string, string>): string => {
  const a = ouAliases(ref, names);
  return a[a.length - 1];
};

/** A plan's account move, in the fields the matcher needs (MoveAccount op, or what a ResumeWorkflow op resumes). */
export interface MoveLike {
  resource: string;
  fromId: string;
  to: IdRef;
}

export const migrationOf = (move: MoveLike, names: ReadonlyMap<string, string>): RequestedOperation => ({
  kind: 'Migration',
  from: ouAliases({ id: move.fromId }, names),
  to: ouAliases(move.to, names),
});
