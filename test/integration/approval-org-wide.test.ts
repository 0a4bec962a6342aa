// Org-wide ops approved by Approvals, through the real planner and `reconcile` against moto: the
// gate the controller passes as allowOrgWide lets an org-wide op run only with an Approval of its
// exact fingerprint and spec, and records which Approval let it through (the controller then marks
// that one Consumed).
import { describe, expect, it } from 'vitest';
import { ListPoliciesForTargetCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { clientsFor, manifests, orgClient } from '../support/engine.js';
import type { AnyResource, ApprovalObject } from '../../controller/api/schemas.js';
import { reconcile } from '../../controller/engine.js';
import { opFingerprint } from '../../controller/plan/org-wide.js';
import { MemoryWorkflowStore } from '../../controller/workflows/store.js';
import { ApprovalGate } from '../../controller/kube/approvals/gate.js';
import { specHash } from '../../controller/kube/approvals/match.js';

const DENY_ALL_SCP = `
apiVersion: orgplane.io/v1alpha1
kind: ServiceControlPolicy
metadata: { name: freeze, creationTimestamp: "2026-12-01T00:00:00Z" }
spec:
  name: Freeze
  targets: { root: true }
  document: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "*", Resource: "*" }] }
`;

const approval = (name: string, resource: AnyResource, fingerprint: string): ApprovalObject => ({
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'Approval',
  metadata: { name, creationTimestamp: new Date(Date.now() - 1000).toISOString() },
  spec: {
    resource: `${resource.kind}/${resource.metadata.name}`,
    specHash: specHash(resource.spec),
    operation: { kind: 'OrgWide', fingerprint },
    grantedBy: 'bob',
  },
});

describe('org-wide ops approved by an Approval', () => {
  const moto = useMoto();

  it('runs only with an Approval of the exact fingerprint and spec, and says which one', async () => {
    const clients = clientsFor(moto.endpoint);
    const org = orgClient(moto.endpoint);
    const rs = manifests(DENY_ALL_SCP);
    const run = (approvals: ApprovalObject[]) => {
      const gate = new ApprovalGate({ resources: rs, approvals, now: new Date() });
      const result = reconcile(rs, {
        clients,
        namespace: 'default',
        workflowStore: new MemoryWorkflowStore(),
        apply: true,
        allowOrgWide: (op) => gate.orgWide(op, opFingerprint(op)),
      });
      return { gate, result };
    };
    const rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
    const onRoot = async () =>
      (await org.send(new ListPoliciesForTargetCommand({ TargetId: rootId, Filter: 'SERVICE_CONTROL_POLICY' }))).Policies?.map((p) => p.Name).sort();

    const none = await run([]).result;
    const attach = none.plan.ops.find((o) => o.op === 'AttachPolicy');
    expect(attach?.risk).toBe('org-wide');
    expect(none.plan.blocked).toEqual([expect.objectContaining({ resource: 'ServiceControlPolicy/freeze', reason: 'OrgWideNotAllowed' })]);
    expect(none.plan.blocked[0].message).toContain(
      'creates an Approval with resource: ServiceControlPolicy/freeze, its generation, operation: {kind: OrgWide, fingerprint: "AttachPolicy:ServiceControlPolicy/freeze:',
    );
    expect(await onRoot()).toEqual(['FullAWSAccess']);

    // The policy exists now; the plan's attach names it by id. Its fingerprint is what an approver copies.
    const fingerprint = opFingerprint((await run([]).result).plan.ops.find((o) => o.op === 'AttachPolicy')!);
    expect(fingerprint).toMatch(/^AttachPolicy:ServiceControlPolicy\/freeze:p-\w+@r-\w+$/);

    const wrong = run([approval('other-target', rs[0], fingerprint.replace(/@r-\w+$/, '@ou-none-00000000'))]);
    expect((await wrong.result).applied.map((x) => x.op.op)).toEqual([]);
    expect(await onRoot()).toEqual(['FullAWSAccess']);

    const edited = manifests(DENY_ALL_SCP.replace('name: Freeze', 'name: Freeze2'))[0];
    const staleSpec = run([approval('old-spec', edited, fingerprint)]);
    expect((await staleSpec.result).applied.map((x) => x.op.op)).toEqual([]);
    expect(await onRoot()).toEqual(['FullAWSAccess']);

    const right = run([approval('freeze-root', rs[0], fingerprint)]);
    const done = await right.result;
    const applied = done.applied.find((x) => x.op.op === 'AttachPolicy');
    expect(applied?.status).toBe('succeeded');
    expect(await onRoot()).toEqual(['Freeze', 'FullAWSAccess']);
    expect(right.gate.grantFor(applied!.op)?.approval?.metadata.name).toBe('freeze-root');
  });
});
