// ResourceControlPolicy and ManagementPolicy end to end on a real moto server: the guardrails
// example built from empty (policy types enabled before their policies), re-planned to zero,
// changed, deleted, and imported back. moto implements RCPs, tag and AI opt-out policies.
import { describe, expect, it } from 'vitest';
import { useMoto } from '../support/moto.js';
import { apply, clientsFor, edit, example, plan } from '../support/engine.js';
import { readOrganization } from '../../controller/aws/read-org.js';
import { importOrganization } from '../../controller/model/import.js';
import type { ActualOrg } from '../../controller/model/actual.js';
import type { AnyResource } from '../../controller/api/schemas.js';

const named = (a: ActualOrg, type: string) =>
  Object.values(a.policies)
    .filter((p) => p.type === type && !p.awsManaged)
    .map((p) => `${p.name} -> ${(p.targets ?? []).map((t) => (t === a.root.id ? 'Root' : (a.ous[t]?.name ?? t))).join(',')}`)
    .sort();

const ok = (r: Awaited<ReturnType<typeof apply>>) => {
  expect(r.errors).toEqual([]);
  expect(r.applied.filter((x) => x.status !== 'succeeded')).toEqual([]);
};

describe('policy kinds on moto', () => {
  const moto = useMoto();

  it('enables each type before creating and attaching its policies, then re-plans to zero', async () => {
    const clients = clientsFor(moto.endpoint);
    const resources = example('guardrails');
    const first = await plan(resources, clients);
    const ops = first.plan.ops;
    const enableRcp = ops.find((o) => o.op === 'EnablePolicyType' && o.policyType === 'RESOURCE_CONTROL_POLICY');
    const createRcp = ops.find((o) => o.op === 'CreatePolicy' && o.name === 'DataPerimeter');
    expect(createRcp).toMatchObject({ policyType: 'RESOURCE_CONTROL_POLICY', summary: 'create RCP DataPerimeter' });
    expect(createRcp?.deps).toContain(enableRcp?.id);
    const attachTag = ops.find((o) => o.op === 'AttachPolicy' && o.policyName === 'CostCenter');
    const enableTag = ops.find((o) => o.op === 'EnablePolicyType' && o.policyType === 'TAG_POLICY');
    expect(attachTag?.deps).toContain(enableTag?.id);

    ok(await apply(resources, clients));
    const a = await readOrganization(clients);
    expect(a.root.enabledPolicyTypes).toEqual(['AISERVICES_OPT_OUT_POLICY', 'RESOURCE_CONTROL_POLICY', 'SERVICE_CONTROL_POLICY', 'TAG_POLICY']);
    expect(named(a, 'RESOURCE_CONTROL_POLICY')).toEqual(['DataPerimeter -> Workloads']);
    expect(named(a, 'TAG_POLICY')).toEqual(['CostCenter -> Root', 'WorkloadsCostCenter -> Workloads']);
    expect(named(a, 'AISERVICES_OPT_OUT_POLICY')).toEqual(['AIServicesOptOut -> Root']);

    clients.calls.reset();
    const second = await plan(resources, clients);
    expect(second.plan.ops.map((o) => o.summary)).toEqual([]);
    expect(clients.calls.writes()).toBe(0);
    clients.destroy();
  });

  it('updates a document and a target, deletes a removed policy (deletionPolicy Delete), never detaches RCPFullAWSAccess', async () => {
    const clients = clientsFor(moto.endpoint);
    const base = edit(example('guardrails'), 'ManagementPolicy/ai-opt-out', (r) => {
      if (r.kind === 'ManagementPolicy') r.spec.deletionPolicy = 'Delete';
    });
    // AWS attaches RCPFullAWSAccess everywhere (moto does not): a manifest that names it with an
    // exclusive target list must still never plan a detach.
    const fullRcp: AnyResource = {
      apiVersion: 'orgplane.io/v1alpha1',
      kind: 'ResourceControlPolicy',
      metadata: { name: 'rcp-full-access' },
      spec: { name: 'RCPFullAWSAccess', awsManaged: true, exclusiveTargets: true, targets: { root: true, organizationalUnits: ['workloads', 'sandbox'] } },
    };
    ok(await apply([...base, fullRcp], clients));
    const changed = edit(base, 'ResourceControlPolicy/data-perimeter', (r) => {
      if (r.kind !== 'ResourceControlPolicy') return;
      r.spec.targets = { organizationalUnits: ['sandbox'] };
      r.spec.description = 'moved to Sandbox';
    }).filter((r) => r.metadata.name !== 'ai-opt-out');
    const onlyRoot: AnyResource = { ...fullRcp, spec: { ...fullRcp.spec, targets: { root: true } } } as AnyResource;
    const p = await plan([...changed, onlyRoot], clients);
    expect(p.plan.ops.map((o) => o.summary.replace(/\((ou|p)-[a-z0-9-]+\)/g, '($1-…)')).sort()).toEqual([
      'attach RCP DataPerimeter to Sandbox (ou-…)',
      'delete AI opt-out policy AIServicesOptOut (p-…) (deletionPolicy Delete, manifest removed)',
      'detach AI opt-out policy AIServicesOptOut from Root before deleting it',
      'detach RCP DataPerimeter from Workloads (ou-…) (not in spec.targets)',
      'update RCP DataPerimeter (p-…): description',
    ]);
    expect(p.plan.ops.filter((o) => o.op === 'DetachPolicy' && o.policyName === 'RCPFullAWSAccess')).toEqual([]);
    expect(p.plan.warnings.join('\n')).toContain('RCPFullAWSAccess is attached by AWS everywhere and cannot be detached');
    ok(await apply([...changed, onlyRoot], clients));
    const a = await readOrganization(clients);
    expect(named(a, 'RESOURCE_CONTROL_POLICY')).toEqual(['DataPerimeter -> Sandbox']);
    expect(named(a, 'AISERVICES_OPT_OUT_POLICY')).toEqual([]);
    expect((await plan([...changed, onlyRoot], clients)).plan.ops).toEqual([]);
    clients.destroy();
  });

  it('import writes RCP and management policy manifests that re-plan to zero', async () => {
    const clients = clientsFor(moto.endpoint);
    ok(await apply(example('guardrails'), clients));
    const actual = await readOrganization(clients);
    const imported = importOrganization(actual);
    const rcp = imported.find((r) => r.kind === 'ResourceControlPolicy');
    expect(rcp).toMatchObject({ metadata: { name: 'data-perimeter' }, spec: { name: 'DataPerimeter', targets: { organizationalUnits: ['workloads'] } } });
    const tags = imported
      .filter((r) => r.kind === 'ManagementPolicy')
      .map((r) => r.kind === 'ManagementPolicy' && `${r.spec.type} ${r.spec.name}`)
      .sort();
    expect(tags).toEqual(['AISERVICES_OPT_OUT_POLICY AIServicesOptOut', 'TAG_POLICY CostCenter', 'TAG_POLICY WorkloadsCostCenter']);
    const again = await plan(imported, clients);
    expect(again.errors).toEqual([]);
    expect(again.plan.ops.map((o) => o.summary)).toEqual([]);
    clients.destroy();
  });
});
