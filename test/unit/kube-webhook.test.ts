import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../../controller/api/schemas.js';
import { admit, beforeAndAfter, decide, graphErrors, irrelevant, orgAdmissionHandler } from '../../controller/kube/webhook.js';
import { admissionResponse, type AdmissionRequest } from '../../controller/kube/runtime/admission.js';
import type { ValidationError } from '../../controller/model/desired.js';

const NS = 'orgplane-org';
const ou = (name: string, parent: string): AnyResource => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'OrganizationalUnit',
  metadata: { name, namespace: NS },
  spec: { parent },
});
const account = (name: string, email: string, parent = 'root'): AnyResource => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'Account',
  metadata: { name, namespace: NS },
  spec: { email, parent },
});
const req = (
  operation: AdmissionRequest['operation'],
  obj: AnyResource | undefined,
  old?: AnyResource,
  name = (obj ?? old)!.metadata.name,
): AdmissionRequest => ({
  uid: 'u1',
  kind: { group: 'orgplane.io', version: 'v1alpha1', kind: (obj ?? old)!.kind },
  namespace: NS,
  name,
  operation,
  object: obj,
  oldObject: old,
});
const chain = (n: number): AnyResource[] => Array.from({ length: n }, (_, i) => ou(`l${i + 1}`, i === 0 ? 'root' : `l${i}`));

describe('admission: graph validation of the namespace after the request', () => {
  it('refuses a sixth OU level with the orgplane validate message', () => {
    const d = admit(chain(5), req('CREATE', ou('l6', 'l5')), NS);
    expect(d.allowed).toBe(false);
    expect(d.message).toBe(
      '1 validation error:\n  OrganizationalUnit/l6: spec.parent: OU would be 6 levels below the root; AWS allows at most 5: root/l1/l2/l3/l4/l5/l6 [ou-depth]',
    );
  });

  it('refuses the OU that closes a cycle, naming every member', () => {
    const d = admit([ou('alpha', 'beta'), ou('beta', 'gamma')], req('CREATE', ou('gamma', 'alpha')), NS);
    expect(d.allowed).toBe(false);
    expect(d.message).toContain('OrganizationalUnit/gamma: spec.parent: parent chain forms a cycle: gamma -> alpha -> beta -> gamma [ou-cycle]');
    expect(d.message).toContain('OrganizationalUnit/alpha: spec.parent: parent chain forms a cycle: alpha -> beta -> gamma -> alpha [ou-cycle]');
  });

  it('refuses a duplicate email on create and on update, not an unrelated edit of a namespace that already has the error', () => {
    const a = account('a', 'x@example.com');
    expect(admit([a], req('CREATE', account('b', 'X@example.com')), NS).allowed).toBe(false);
    const b = account('b', 'y@example.com');
    expect(admit([a, b], req('UPDATE', account('b', 'x@example.com'), b), NS).message).toMatch(
      /Account\/b: spec.email: email "x@example.com" is also used by Account\/a/,
    );
    // Already broken: a and b share an email. Adding c (fine) is allowed, and so is fixing b.
    const broken = [a, account('b', 'x@example.com')];
    expect(admit(broken, req('CREATE', account('c', 'c@example.com')), NS)).toEqual({ allowed: true });
    expect(admit(broken, req('UPDATE', account('b', 'b@example.com'), broken[1]), NS)).toEqual({ allowed: true });
  });

  it('only warns about references to resources that do not exist yet (kubectl apply -f DIR order)', () => {
    const d = admit([], req('CREATE', account('dev', 'dev@example.com', 'workloads')), NS);
    expect(d.allowed).toBe(true);
    expect(d.warnings).toEqual([expect.stringMatching(/^Account\/dev: spec.parent: parent "workloads" not found: .* \[unknown-reference\]$/)]);
    // Deleting a parent that accounts still name warns too (deletion order is the user's).
    const d2 = admit([ou('workloads', 'root'), account('dev', 'dev@example.com', 'workloads')], req('DELETE', undefined, ou('workloads', 'root')), NS);
    expect(d2.allowed).toBe(true);
    expect(d2.warnings?.[0]).toMatch(/\[unknown-reference\]$/);
  });

  it('builds before/after: deleting objects count as gone, the request object replaces the stored one', () => {
    const gone = { ...ou('old', 'root'), metadata: { name: 'old', deletionTimestamp: '2026-01-01T00:00:00Z' } } as AnyResource;
    const { before, after } = beforeAndAfter([gone, ou('x', 'root')], req('UPDATE', ou('x', 'y'), ou('x', 'root')), 'OrganizationalUnit');
    expect(before.map((r) => `${r.metadata.name}:${(r.spec as { parent: string }).parent}`)).toEqual(['x:root']);
    expect(after.map((r) => `${r.metadata.name}:${(r.spec as { parent: string }).parent}`)).toEqual(['x:y']);
  });

  it('skips requests that cannot change the graph', () => {
    const a = account('a', 'a@example.com');
    expect(irrelevant(req('UPDATE', { ...a, metadata: { ...a.metadata, finalizers: ['orgplane.io/finalizer'] } }, a), NS)).toBe(true);
    expect(irrelevant({ ...req('CREATE', a), namespace: 'other' }, NS)).toBe(true);
    expect(irrelevant({ ...req('CREATE', a), kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }, NS)).toBe(true);
    expect(irrelevant(req('CREATE', a), NS)).toBe(false);
  });

  it('decide() refuses new order-independent errors only', () => {
    const e = (rule: string, resource = 'Account/a'): ValidationError => ({ resource, field: 'spec.x', rule, message: 'm' });
    expect(decide([e('email')], [e('email')])).toEqual({ allowed: true });
    expect(decide([], [e('dependency-invalid')])).toEqual({ allowed: true, warnings: ['Account/a: spec.x: m [dependency-invalid]'] });
    expect(decide([], [e('email')])).toMatchObject({ allowed: false, message: '1 validation error:\n  Account/a: spec.x: m [email]' });
  });

  it('graphErrors() is what orgplane validate reports (policy JSON included)', () => {
    const scp = { apiVersion: 'orgplane.io/v1alpha1', kind: 'ServiceControlPolicy', metadata: { name: 'bad' }, spec: { document: '{not json' } } as AnyResource;
    expect(graphErrors([scp], NS).map((x) => x.rule)).toContain('policy-json');
  });

  it('the handler judges on a fresh read, and on the cache only when that read fails', async () => {
    let reads = 0;
    const stale = [ou('x', 'root')];
    const fresh = [ou('x', 'root'), ...chain(5)];
    const h = orgAdmissionHandler({
      namespace: NS,
      cached: () => stale,
      synced: () => true,
      fresh: async () => {
        reads++;
        return fresh;
      },
    });
    // The cache lacks l1..l5 (a watch event behind): the fresh read sees the sixth level.
    expect((await h(req('CREATE', ou('l6', 'l5')))).allowed).toBe(false);
    expect(reads).toBe(1);
    // Requests that cannot change the graph read nothing.
    const a = account('a', 'a@example.com');
    expect(await h(req('UPDATE', { ...a, metadata: { ...a.metadata, annotations: { x: 'y' } } }, a))).toEqual({ allowed: true });
    expect(reads).toBe(1);
    const failing = async (): Promise<AnyResource[]> => {
      throw new Error('connection reset');
    };
    const fromCache = orgAdmissionHandler({ namespace: NS, cached: () => chain(5), synced: () => true, fresh: failing });
    expect((await fromCache(req('CREATE', ou('l6', 'l5')))).allowed).toBe(false);
    const unsynced = orgAdmissionHandler({ namespace: NS, cached: () => [], synced: () => false, fresh: failing });
    expect(await unsynced(req('CREATE', ou('l6', 'l5')))).toEqual({
      allowed: true,
      warnings: ['orgplane: not validated (the namespace could not be read: connection reset)'],
    });
  });

  it('answers with an AdmissionReview that kubectl shows', () => {
    expect(admissionResponse('u1', { allowed: false, message: 'no', warnings: ['w'] })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no' }, warnings: ['w'] },
    });
  });
});
