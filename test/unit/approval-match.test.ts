// The Approval rules on plain data: which Approval lets which change through, when it lapses or
// goes stale, what the gate records for the controller to consume, who may be named as granter.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AnyResource, ApprovalObject, ApprovalSpec } from '../../controller/api/schemas.js';
import { approvalFor, expiryOf, ouAliases, specHash, standing, ttlMs, verdict, versionOf, type ChangeRequest } from '../../controller/kube/approvals/match.js';
import { ApprovalGate, orgWideApprover } from '../../controller/kube/approvals/gate.js';
import { admitApproval } from '../../controller/kube/approvals/admission.js';
import { approvalCommand, awaitingApprovalMessage, suggestedName, unusable } from '../../controller/kube/approvals/hint.js';
import type { AdmissionRequest } from '../../controller/kube/runtime/admission.js';

const T0 = '2026-12-01T10:00:00Z';
const at = (iso: string) => new Date(iso);
const NOW = at('2026-12-01T12:00:00Z');

const account = (o: { generation?: number; parent?: string; created?: string } = {}): AnyResource => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'Account',
  metadata: { name: 'dev', generation: o.generation ?? 3, creationTimestamp: o.created ?? '2026-11-01T00:00:00Z' },
  spec: { email: 'dev@example.com', parent: o.parent ?? 'workloads' },
});
const ou = (name: string, id: string): AnyResource => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'OrganizationalUnit',
  metadata: { name, generation: 1 },
  spec: { parent: 'root' },
  status: { id },
});
const org = (): AnyResource => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'Organization',
  metadata: { name: 'org', generation: 2 },
  spec: {},
  status: { rootId: 'r-root' },
});

const approval = (
  name: string,
  spec: Partial<ApprovalSpec>,
  o: { created?: string; state?: 'Pending' | 'Consumed' | 'Expired' | 'Stale' } = {},
): ApprovalObject => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'Approval',
  metadata: { name, creationTimestamp: o.created ?? T0, uid: `uid-${name}` },
  spec: { resource: 'Account/dev', generation: 3, operation: { kind: 'Migration', from: 'sandbox', to: 'workloads' }, grantedBy: 'bob', ...spec },
  ...(o.state ? { status: { state: o.state } } : {}),
});

const names = new Map([
  ['ou-sb-11111111', 'sandbox'],
  ['ou-wl-22222222', 'workloads'],
  ['r-root', 'root'],
]);
const move = (from = 'ou-sb-11111111', to = 'ou-wl-22222222'): ChangeRequest => ({
  resource: versionOf(account()),
  operation: { kind: 'Migration', from: ouAliases({ id: from }, names), to: ouAliases({ id: to }, names) },
});

describe('expiry', () => {
  it('reads ttl durations', () => {
    expect([ttlMs('30m'), ttlMs('24h'), ttlMs('1h30m'), ttlMs('90s'), ttlMs(''), ttlMs('2d')]).toEqual([
      1_800_000,
      86_400_000,
      5_400_000,
      90_000,
      undefined,
      undefined,
    ]);
  });
  it('lapses after ttl (default 24h), at expiresAt, and never later than 168h after creation', () => {
    expect(expiryOf(approval('a', {})).toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(expiryOf(approval('a', { ttl: '30m' })).toISOString()).toBe('2026-12-01T10:30:00.000Z');
    expect(expiryOf(approval('a', { expiresAt: '2026-12-01T11:00:00Z' })).toISOString()).toBe('2026-12-01T11:00:00.000Z');
    expect(expiryOf(approval('a', { expiresAt: '2027-06-01T00:00:00Z' })).toISOString()).toBe('2026-12-08T10:00:00.000Z');
  });
});

describe('which Approval lets a move through', () => {
  it('the exact move: same resource, generation, from -> to (by OU name, "root", or AWS id)', () => {
    expect(verdict(approval('a', {}), move(), NOW)).toEqual({ ok: true });
    expect(verdict(approval('a', { operation: { kind: 'Migration', from: 'ou-sb-11111111', to: 'ou-wl-22222222' } }), move(), NOW)).toEqual({ ok: true });
    expect(verdict(approval('a', { operation: { kind: 'Migration', from: 'sandbox', to: 'root' } }), move('ou-sb-11111111', 'r-root'), NOW)).toEqual({
      ok: true,
    });
  });

  it('not another destination, source or resource', () => {
    expect(verdict(approval('a', { operation: { kind: 'Migration', from: 'sandbox', to: 'security' } }), move(), NOW)).toEqual({
      ok: false,
      why: 'it approves Migration sandbox -> security',
    });
    expect(verdict(approval('a', { operation: { kind: 'Migration', from: 'security', to: 'workloads' } }), move(), NOW).ok).toBe(false);
    expect(verdict(approval('a', { resource: 'Account/prod' }), move(), NOW)).toEqual({ ok: false, why: 'it approves Account/prod' });
    expect(verdict(approval('a', { operation: { kind: 'OrgWide', fingerprint: 'x' } }), move(), NOW).ok).toBe(false);
  });

  it('not a stale generation, nor an approval older than the resource (a re-created resource restarts at generation 1)', () => {
    const v = verdict(approval('a', { generation: 2 }), move(), NOW);
    expect(v).toEqual({ ok: false, why: 'Account/dev is at generation 3; this approval is for generation 2' });
    expect(standing(approval('a', { generation: 2 }), versionOf(account()), NOW).state).toBe('Stale');
    const recreated = versionOf(account({ created: '2026-12-01T11:00:00Z' }));
    expect(standing(approval('a', {}), recreated, NOW)).toEqual({ state: 'Stale', why: 'Account/dev was created again after this approval' });
  });

  it('a spec hash instead of a generation: the same spec, whatever the generation', () => {
    const hash = specHash(account().spec);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(specHash({ parent: 'workloads', email: 'dev@example.com' })).toBe(hash);
    const byHash = approval('h', { generation: undefined, specHash: hash });
    expect(verdict(byHash, move(), NOW)).toEqual({ ok: true });
    const other = versionOf(account({ parent: 'security' }));
    expect(standing(byHash, other, NOW).state).toBe('Stale');
  });

  it('not once consumed, expired or stale; expired by the clock', () => {
    for (const state of ['Consumed', 'Expired', 'Stale'] as const) expect(verdict(approval('a', {}, { state }), move(), NOW).ok).toBe(false);
    expect(verdict(approval('a', { ttl: '1h' }), move(), NOW)).toEqual({ ok: false, why: 'expired at 2026-12-01T11:00:00Z' });
    expect(standing(approval('a', { ttl: '1h' }), versionOf(account()), NOW).state).toBe('Expired');
  });

  it('the oldest usable one is used', () => {
    const list = [
      approval('newer', {}, { created: '2026-12-01T11:00:00Z' }),
      approval('wrong-dest', { operation: { kind: 'Migration', from: 'sandbox', to: 'security' } }, { created: '2026-12-01T09:00:00Z' }),
      approval('older', {}, { created: '2026-12-01T10:00:00Z' }),
    ];
    expect(approvalFor(list, move(), NOW)?.metadata.name).toBe('older');
    expect(approvalFor([list[1]], move(), NOW)).toBeUndefined();
  });

  it('org-wide ops by fingerprint', () => {
    const req: ChangeRequest = {
      resource: versionOf(org()),
      operation: { kind: 'OrgWide', fingerprint: 'DisablePolicyType:Organization/org:SERVICE_CONTROL_POLICY' },
    };
    const a = approval('ow', {
      resource: 'Organization/org',
      generation: 2,
      operation: { kind: 'OrgWide', fingerprint: 'DisablePolicyType:Organization/org:SERVICE_CONTROL_POLICY' },
    });
    expect(verdict(a, req, NOW)).toEqual({ ok: true });
    expect(verdict(a, { ...req, operation: { kind: 'OrgWide', fingerprint: 'DisableServiceAccess:Organization/org:sso.amazonaws.com' } }, NOW).ok).toBe(false);
  });
});

describe('the gate of one reconcile', () => {
  const resources = [account(), ou('sandbox', 'ou-sb-11111111'), ou('workloads', 'ou-wl-22222222'), org()];
  const op = { id: 'op-2', resource: 'Account/dev', summary: 'move account 111 to workloads', fromId: 'ou-sb-11111111', to: { id: 'ou-wl-22222222' } };

  it('answers from the Approvals and records which one let which op through', () => {
    const gate = new ApprovalGate({ resources, approvals: [approval('a', {})], now: NOW });
    expect(gate.migration(op)).toBe(true);
    expect(gate.grantFor(op)).toMatchObject({ approval: { metadata: { name: 'a' } }, opId: 'op-2', approves: 'Migration sandbox -> workloads' });
    expect(gate.migration({ ...op, id: 'op-3', to: { id: 'r-root' } })).toBe(false);
    expect(gate.grantFor({ ...op, id: 'op-3' })).toBeUndefined();
  });

  it('a destination OU created by the same plan is named by its resource name', () => {
    const gate = new ApprovalGate({ resources, approvals: [approval('a', { operation: { kind: 'Migration', from: 'sandbox', to: 'newou' } })], now: NOW });
    expect(gate.migration({ ...op, to: { ref: 'OrganizationalUnit/newou' } })).toBe(true);
  });

  it('org-wide: the function the planner plugs into allowOrgWide', () => {
    const fp = 'DisablePolicyType:Organization/org:SERVICE_CONTROL_POLICY';
    const ow = approval('ow', { resource: 'Organization/org', generation: 2, operation: { kind: 'OrgWide', fingerprint: fp } });
    const gate = new ApprovalGate({ resources, approvals: [ow], now: NOW });
    const allow = orgWideApprover(resources, [ow], gate);
    const disable = { resource: 'Organization/org', risk: 'org-wide', summary: 'disable SERVICE_CONTROL_POLICY' };
    expect(allow(disable, fp)).toBe(true);
    expect(gate.grantFor(disable)?.approval?.metadata.name).toBe('ow');
    expect(allow(disable, 'DisableServiceAccess:Organization/org:sso.amazonaws.com')).toBe(false);
    expect(orgWideApprover(resources, [])(disable, fp)).toBe(false);
  });
});

describe('admission: who granted it', () => {
  const req = (user: string | undefined, grantedBy: string, operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest => ({
    uid: 'u',
    kind: { group: 'orgplane.io', version: 'v1alpha1', kind: 'Approval' },
    namespace: 'orgplane-org',
    name: 'a',
    operation,
    userInfo: user === undefined ? {} : { username: user },
    object: { spec: { grantedBy } },
  });
  it('spec.grantedBy must be the requesting user', () => {
    expect(admitApproval(req('bob', 'bob'))).toEqual({ allowed: true });
    expect(admitApproval(req('alice', 'bob'))).toEqual({
      allowed: false,
      message: 'spec.grantedBy: Invalid value: "bob": must be the user creating the Approval, "alice" (see kubectl auth whoami)',
    });
    expect(admitApproval(req(undefined, 'bob')).allowed).toBe(false);
    expect(admitApproval(req('alice', 'bob', 'DELETE'))).toEqual({ allowed: true });
  });
});

describe('the status of a move waiting for approval', () => {
  const hint = { namespace: 'orgplane-org', resource: 'Account/dev', generation: 3, from: 'sandbox', to: 'workloads' };
  it('holds a kubectl command that creates exactly the Approval the gate accepts', () => {
    const cmd = approvalCommand(hint);
    expect(cmd.split('\n')[0]).toBe('kubectl create -n orgplane-org -f - <<EOF');
    const manifest = parse(
      cmd
        .split('\n')
        .slice(1, -1)
        .join('\n')
        .replace(/\$\(kubectl auth whoami[^)]*\)/, 'bob'),
    ) as ApprovalObject;
    expect(manifest).toMatchObject({ apiVersion: 'orgplane.io/v1alpha1', kind: 'Approval', metadata: { name: 'dev-g3-to-workloads' } });
    const created: ApprovalObject = { ...manifest, metadata: { ...manifest.metadata, creationTimestamp: T0 } };
    expect(verdict(created, move(), NOW)).toEqual({ ok: true });
    expect(suggestedName({ ...hint, to: 'ou-AB_12' })).toBe('dev-g3-to-ou-ab-12');
  });
  it('lists why the newest Approvals of the resource do not apply, leaving out consumed ones', () => {
    const list = [
      approval('old-dest', { operation: { kind: 'Migration', from: 'sandbox', to: 'security' } }, { created: '2026-12-01T09:00:00Z' }),
      approval('used', {}, { state: 'Consumed' }),
      approval('old-gen', { generation: 2 }, { created: '2026-12-01T11:00:00Z' }),
      approval('other', { resource: 'Account/prod' }),
    ];
    expect(unusable(list, move(), NOW)).toEqual([
      'Approval old-gen (Migration sandbox -> workloads) does not apply: Account/dev is at generation 3; this approval is for generation 2',
      'Approval old-dest (Migration sandbox -> security) does not apply: it approves Migration sandbox -> security',
    ]);
  });
  it('says when the annotation is ignored', () => {
    const m = awaitingApprovalMessage({ summaries: ['move account 1'], hint, unusable: ['Approval x does not apply: y'], annotationIgnored: true });
    expect(m.split('\n')[0]).toBe(
      'move account 1: waiting for an Approval of exactly this move (Account/dev generation 3, sandbox -> workloads). An orgplane-approver creates it with:',
    );
    expect(m).toContain('Approval x does not apply: y');
    expect(m).toContain('--allow-self-approval');
  });
});
