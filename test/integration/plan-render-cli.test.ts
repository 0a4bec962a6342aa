// What a reviewer sees, through the orgplane command against a real moto server: an SCP change
// as a statement-level diff in every output format, AWS names escaped in the Markdown plan, the
// SCP path of a move into an allow-list OU, and import recording where FullAWSAccess is NOT
// attached, so that re-attaching it out of band shows up as an org-wide detach.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AttachPolicyCommand, CreateOrganizationalUnitCommand, DetachPolicyCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { orgClient } from '../support/engine.js';
import { orgplane } from '../support/cli.js';
import type { PlanDocument } from '../../controller/plan/render-json.js';

const regionsScp = (regions: string[], notAction: string[], extra = '') => `
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: workloads }
spec: { name: Workloads, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: ServiceControlPolicy
metadata: { name: regions }
spec:
  name: Regions
  targets: { organizationalUnits: [workloads] }
  document:
    Version: "2012-10-17"
    Statement:
      - Sid: DenyOutsideRegions
        Effect: Deny
        NotAction: ${JSON.stringify(notAction)}
        Resource: "*"
        Condition: { StringNotEquals: { "aws:RequestedRegion": ${JSON.stringify(regions)} } }${extra}
`;

const DENY_LEAVE = `
      - Sid: DenyLeave
        Effect: Deny
        Action: organizations:LeaveOrganization
        Resource: "*"`;

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

describe('plan output a reviewer can read (CLI against moto)', () => {
  const moto = useMoto();

  it('shows an SCP update as a statement diff in text, Markdown and JSON, with AWS names escaped', async () => {
    const dir = await tempDir('op-render-');
    const file = path.join(dir, 'org.yaml');
    await writeFile(file, regionsScp(['eu-west-1', 'us-east-1'], ['iam:*', 'sts:*']));
    const applied = await orgplane(['apply', '--auto-approve', '-f', file, '--state', path.join(dir, 'wf.json')], moto.endpoint);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    // Someone names an OU in the console the way an attacker would.
    const org = orgClient(moto.endpoint);
    const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: '<img src=x onerror=alert(1)> @admins' }));

    await writeFile(file, regionsScp(['eu-west-1'], ['iam:*', 'sts:*', 'support:*'], DENY_LEAVE));
    const text = await orgplane(['plan', '-f', file, '-o', 'text'], moto.endpoint);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/~ update SCP Regions \(p-[a-z0-9]+\): content {2}\[op-\d+\]\n {6}content:\n/);
    expect(text.stdout).toContain(
      [
        '        ~ Statement "DenyOutsideRegions"',
        '          + NotAction: support:*',
        '          - Condition: StringNotEquals aws:RequestedRegion = us-east-1',
        '        + Statement "DenyLeave"',
        '          + Effect: Deny',
        '          + Action: organizations:LeaveOrganization',
        '          + Resource: *',
      ].join('\n'),
    );
    expect(text.stdout).toContain('Plan: 0 to create, 1 to update, 0 to move, 0 to delete; 0 destructive, 0 org-wide.');

    const md = await orgplane(['plan', '-f', file, '-o', 'markdown'], moto.endpoint);
    expect(md.code).toBe(2);
    expect(md.stdout).toMatch(
      /```diff\n# ServiceControlPolicy\/regions\n! ~ update SCP Regions \(p-[a-z0-9]+\): content\n {6}content:\n!       Statement "DenyOutsideRegions"\n\+         NotAction: support:\*\n-         Condition: StringNotEquals aws:RequestedRegion = us-east-1\n\+       Statement "DenyLeave"\n/,
    );
    expect(md.stdout).toContain('&lt;img src=x onerror=alert\\(1\\)&gt; @\u2060admins');
    expect(md.stdout).not.toContain('<img');

    const json = await orgplane(['plan', '-f', file, '-o', 'json'], moto.endpoint);
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as PlanDocument;
    expect(doc.formatVersion).toBe('1.0');
    expect(doc.totals.actions.update).toBe(1);
    const rc = doc.resourceChanges.find((r) => r.address === 'ServiceControlPolicy/regions');
    expect(rc).toMatchObject({ actions: ['update'], risk: 'routine' });
    expect(rc?.before?.content).toMatchObject({
      Statement: [{ Sid: 'DenyOutsideRegions', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } } }],
    });
    expect(rc?.after?.content).toMatchObject({ Statement: [{ Sid: 'DenyOutsideRegions' }, { Sid: 'DenyLeave' }] });
    expect(rc?.patch?.content.length).toBeGreaterThan(0);
  }, 120_000);

  it('import records where FullAWSAccess is not attached: re-plan is empty, a re-attachment out of band is an org-wide detach', async () => {
    const dir = await tempDir('op-allowlist-');
    await writeFile(
      path.join(dir, 'org.yaml'),
      `
apiVersion: orgplane.io/v1alpha1
kind: Organization
metadata: { name: org }
spec: { enabledPolicyTypes: [SERVICE_CONTROL_POLICY] }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: prod }
spec: { name: Prod, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: sandbox }
spec: { name: Sandbox, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: shop }
spec: { name: Shop, email: shop@example.com, parent: prod }
---
apiVersion: orgplane.io/v1alpha1
kind: ServiceControlPolicy
metadata: { name: allow-s3 }
spec:
  name: allow-s3
  targets: { organizationalUnits: [sandbox] }
  document: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:*", Resource: "*" }] }
`,
    );
    const applied = await orgplane(['apply', '--auto-approve', '-f', dir, '--state', path.join(dir, 'wf.json')], moto.endpoint);
    expect(applied.code).toBe(0);
    const org = orgClient(moto.endpoint);
    const sandboxId = /Sandbox (ou-[a-z0-9-]+)/.exec(applied.stdout)?.[1];
    expect(sandboxId).toBeDefined();
    // Sandbox becomes an allow-list OU: only allow-s3 lets anything through.
    await org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: sandboxId! }));

    const out = await tempDir('op-import-');
    const imported = await orgplane(['import', '-o', out], moto.endpoint);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const scps = await readFile(path.join(out, 'scps.yaml'), 'utf8');
    expect(scps).toMatch(/name: FullAWSAccess\n {2}id: p-FullAWSAccess\n {2}awsManaged: true\n {2}exclusiveTargets: true\n/);
    const replan = await orgplane(['plan', '-f', out], moto.endpoint);
    expect(replan.stdout.trim()).toBe('No changes. The organization matches the manifests.');
    expect(replan.stderr).toBe('');
    expect(replan.code).toBe(0);

    // A move into the allow-list OU: FullAWSAccess is still on the root, but the account loses it.
    const accounts = path.join(out, 'accounts.yaml');
    const original = await readFile(accounts, 'utf8');
    await writeFile(accounts, original.replace(/parent: prod\b/, 'parent: sandbox'));
    const move = await orgplane(['plan', '-f', out], moto.endpoint);
    expect(move.code).toBe(2);
    expect(move.stdout).toMatch(
      /-> move account Shop \(\d{12}\) from Prod \(ou-[a-z0-9-]+\) to Sandbox \(ou-[a-z0-9-]+\) \(gains allow-s3; loses FullAWSAccess\)/,
    );
    expect(move.stdout).toMatch(/ {8}Sandbox \(ou-[a-z0-9-]+\): allow-s3 {2}\(allow-list\)\n/);
    expect(move.stdout).toMatch(/! now limited to what allow-s3 allows at Sandbox \(ou-[a-z0-9-]+\) \(allow-list\)/);
    await writeFile(accounts, original);

    await org.send(new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: sandboxId! }));
    const drift = await orgplane(['plan', '-f', out], moto.endpoint);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain(
      `Organization-wide changes (need --allow-org-wide):\n  ~ detach SCP FullAWSAccess from Sandbox (${sandboxId}) (not in spec.targets) [org-wide]`,
    );
    expect(drift.stdout).toContain('Plan: 0 to create, 1 to update, 0 to move, 0 to delete; 0 destructive, 1 org-wide.');
  }, 180_000);
});
