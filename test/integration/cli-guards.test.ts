// The operator's switches of issue 11 as a user runs them: `orgplane apply` refuses org-wide
// changes without --allow-org-wide, and --max-delete-fraction (not the manifest) sets the breaker.
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListPoliciesForTargetCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { clientsFor, orgClient, shape } from '../support/engine.js';
import { orgplane } from '../support/cli.js';

async function dirWith(yaml: string): Promise<{ dir: string; state: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'op-guards-'));
  await writeFile(path.join(dir, 'org.yaml'), yaml);
  return { dir, state: path.join(dir, 'wf.json') };
}

describe('orgplane apply: operator switches', () => {
  const moto = useMoto();

  it('refuses a deny-everything SCP on the root without --allow-org-wide and applies it with the flag', async () => {
    const { dir, state } = await dirWith(`
apiVersion: orgplane.io/v1alpha1
kind: ServiceControlPolicy
metadata: { name: freeze }
spec:
  name: Freeze
  targets: { root: true }
  document: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "*", Resource: "*" }] }
`);
    const org = orgClient(moto.endpoint);
    const rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
    const onRoot = async () =>
      (await org.send(new ListPoliciesForTargetCommand({ TargetId: rootId, Filter: 'SERVICE_CONTROL_POLICY' }))).Policies?.map((p) => p.Name).sort();

    const refused = await orgplane(['apply', '--auto-approve', '-f', dir, '--state', state], moto.endpoint);
    expect(refused.stderr).toMatch(/1 org-wide change\(s\) will not be applied without --allow-org-wide/);
    expect(refused.stdout).toMatch(/OrgWideNotAllowed: org-wide change "attach SCP Freeze to Root"/);
    expect(refused.code).toBe(1); // blocked: a person must decide (exit 1, like any blocked resource)
    expect(await onRoot()).toEqual(['FullAWSAccess']);

    const allowed = await orgplane(['apply', '--auto-approve', '--allow-org-wide', '-f', dir, '--state', state], moto.endpoint);
    expect(allowed.code).toBe(0);
    expect(await onRoot()).toEqual(['Freeze', 'FullAWSAccess']);
  }, 120_000);

  it('--max-delete-fraction, not the manifest, lifts the circuit breaker', async () => {
    const ous = ['a', 'b', 'c'].map(
      (n) => `
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: ${n} }
spec: { name: ${n.toUpperCase()}, parent: root, deletionPolicy: Delete }`,
    );
    const org = `
apiVersion: orgplane.io/v1alpha1
kind: Organization
metadata: { name: org }
spec: { deletion: { maxDeleteFraction: 1 } }`;
    const all = await dirWith([...ous, org].join('\n---\n'));
    expect((await orgplane(['apply', '--auto-approve', '-f', all.dir, '--state', all.state], moto.endpoint)).code).toBe(0);
    const truncated = await dirWith([ous[2], org].join('\n---\n'));
    const held = await orgplane(['apply', '--auto-approve', '-f', truncated.dir, '--state', truncated.state], moto.endpoint);
    expect(held.stdout).toMatch(/spec.deletion.maxDeleteFraction 1 is above the operator's limit 0.25 \(--max-delete-fraction\)/);
    expect((await shape(clientsFor(moto.endpoint))).ous).toEqual(['Root/A', 'Root/B', 'Root/C']);
    const lifted = await orgplane(['apply', '--auto-approve', '--max-delete-fraction', '1', '-f', truncated.dir, '--state', truncated.state], moto.endpoint);
    expect(lifted.code).toBe(0);
    expect((await shape(clientsFor(moto.endpoint))).ous).toEqual(['Root/C']);
  }, 120_000);
});
