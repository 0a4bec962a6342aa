// The orgplane command as a user runs it: a child process against a real moto server, checked
// by exit code (0 no changes, 2 changes pending, 1 error) and by what it prints and writes.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useMoto } from '../support/moto.js';
import { clientsFor, shape } from '../support/engine.js';
import { orgplane } from '../support/cli.js';

const EXAMPLE = 'manifests/examples/eight-ou';

describe('orgplane CLI', () => {
  const moto = useMoto();

  it('plan exits 2 with changes, apply builds the org and prints the tree, then plan exits 0', async () => {
    const plan1 = await orgplane(['plan', '-f', EXAMPLE], moto.endpoint);
    expect(plan1.stderr).toBe('');
    expect(plan1.code).toBe(2);
    expect(plan1.stdout).toMatch(/\+ create OU Transitional under Root/);
    expect(plan1.stdout).toMatch(/Plan: \d+ to create/);

    const applied = await orgplane(
      ['apply', '--auto-approve', '-f', EXAMPLE, '--state', path.join(await mkdtemp(path.join(tmpdir(), 'op-')), 'wf.json')],
      moto.endpoint,
    );
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: \d+ succeeded, 0 failed, 0 skipped\./);
    expect(applied.stdout).toMatch(/├── Transitional ou-[a-z0-9-]+ .*managed by OrganizationalUnit\/transitional/);
    expect(applied.stdout).toMatch(/Legacy Shoppers \(single account\) \d{12} .*managed by Account\/legacy-shoppers/);

    const plan2 = await orgplane(['plan', '-f', EXAMPLE], moto.endpoint);
    expect(plan2.code).toBe(0);
    expect(plan2.stdout.trim()).toBe('No changes. The organization matches the manifests.');
  }, 120_000);

  it('plan -o json and -o markdown give machine- and PR-readable plans', async () => {
    const json = await orgplane(['plan', '-f', EXAMPLE, '-o', 'json'], moto.endpoint);
    expect(json.code).toBe(2);
    const parsed = JSON.parse(json.stdout) as { ops: { op: string }[] };
    expect(parsed.ops.filter((o) => o.op === 'CreateAccount')).toHaveLength(12);
    const md = await orgplane(['plan', '-f', EXAMPLE, '-o', 'markdown'], moto.endpoint);
    expect(md.code).toBe(2);
    expect(md.stdout).toMatch(/^#{1,3} /m);
    expect(md.stdout).toMatch(/\|/);
  }, 60_000);

  it('apply refuses to run without a terminal or --auto-approve, and writes nothing', async () => {
    const before = await shape(clientsFor(moto.endpoint));
    const r = await orgplane(['apply', '-f', EXAMPLE], moto.endpoint);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apply needs confirmation: stdin is not a terminal, pass --auto-approve to apply without asking');
    expect(await shape(clientsFor(moto.endpoint))).toEqual(before);
  }, 60_000);

  it('validate names the resource, field and rule, and exits 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'op-bad-'));
    await writeFile(
      path.join(dir, 'bad.yaml'),
      ['apiVersion: orgplane.io/v1alpha1', 'kind: Account', 'metadata: { name: dev }', 'spec: { email: not-an-email, parent: workload }', ''].join('\n'),
    );
    const r = await orgplane(['validate', '-f', dir], moto.endpoint);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Account\/dev: spec\.parent: .*\[unknown-reference\]/);
    expect(r.stderr).toMatch(/Account\/dev: spec\.email: .*\[email\]/);
    const good = await orgplane(['validate', '-f', EXAMPLE], moto.endpoint);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^\d+ resources valid\.$/m);
  }, 60_000);

  it('import writes manifests that plan to zero changes, and refuses to overwrite', async () => {
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'op-')), 'wf.json');
    expect((await orgplane(['apply', '--auto-approve', '-f', EXAMPLE, '--state', state], moto.endpoint)).code).toBe(0);
    const out = await mkdtemp(path.join(tmpdir(), 'op-import-'));
    const imp = await orgplane(['import', '-o', out], moto.endpoint);
    expect(imp.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['accounts.yaml', 'organization.yaml', 'ous.yaml', 'scps.yaml']);
    expect(await readFile(path.join(out, 'ous.yaml'), 'utf8')).toMatch(/name: Transitional/);
    const replan = await orgplane(['plan', '-f', out], moto.endpoint);
    expect(replan.stdout.trim()).toBe('No changes. The organization matches the manifests.');
    expect(replan.code).toBe(0);
    const again = await orgplane(['import', '-o', out], moto.endpoint);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists: pass --force to overwrite/);
  }, 120_000);

  it('status shows managed and unmanaged objects', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'op-status-'));
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'ou.yaml'),
      'apiVersion: orgplane.io/v1alpha1\nkind: OrganizationalUnit\nmetadata: { name: team }\nspec: { name: Team, parent: root }\n',
    );
    const state = path.join(dir, 'wf.json');
    expect((await orgplane(['apply', '--auto-approve', '-f', path.join(dir, 'ou.yaml'), '--state', state], moto.endpoint)).code).toBe(0);
    const { OrganizationsClient, ListRootsCommand, CreateOrganizationalUnitCommand } = await import('@aws-sdk/client-organizations');
    const org = new OrganizationsClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    await org.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'ClickOps' }));
    const st = await orgplane(['status', '-f', path.join(dir, 'ou.yaml')], moto.endpoint);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/Team ou-\S+ .*managed by OrganizationalUnit\/team/);
    expect(st.stdout).toMatch(/ClickOps ou-\S+ .*unmanaged/);
    expect(st.stdout).toMatch(/1 unmanaged object\(s\): .*ClickOps/);
  }, 60_000);
});
