// Ctrl-C during `orgplane apply`, as a user presses it: a child process against moto behind the
// fault proxy, SIGINT sent while a CreateOrganizationalUnit is on the wire. The write finishes,
// nothing starts after it, the command exits 130 saying so, and the next apply finishes the job.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListOrganizationalUnitsForParentCommand, ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { startFaultProxy, type FaultProxy, type ForwardedRequest } from '../support/fault-proxy.js';
import { TEST_CREDENTIALS, TEST_REGION, useMoto } from '../support/moto.js';
import { orgplane } from '../support/cli.js';

const CHAIN = ['StopA', 'StopB', 'StopC']
  .map(
    (name, i, all) => `apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: ${name.toLowerCase()} }
spec: { name: ${name}, parent: ${i === 0 ? 'root' : all[i - 1].toLowerCase()} }
`,
  )
  .join('---\n');

describe('orgplane apply, interrupted', () => {
  const moto = useMoto();
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it('Ctrl-C lets the write in flight finish, starts nothing more, exits 130 and says so', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'op-int-'));
    await writeFile(path.join(dir, 'ous.yaml'), CHAIN);
    const state = path.join(dir, 'wf.json');
    let kill: ((s: NodeJS.Signals) => void) | undefined;
    let signalledAt = 0;
    // A chain of OUs: one create at a time. moto has made StopA; its answer waits for the Ctrl-C.
    const hold = async (r: ForwardedRequest) => {
      if (r.key !== 'organizations:CreateOrganizationalUnit' || signalledAt) return;
      signalledAt = Date.now();
      kill?.('SIGINT');
      await new Promise((res) => setTimeout(res, 800));
    };
    proxy = await startFaultProxy({ target: moto.endpoint, onForwarded: hold });
    const run = await orgplane(['apply', '--auto-approve', '-f', dir, '--state', state], proxy.endpoint, undefined, (k) => {
      kill = k;
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(run.exitedAt - signalledAt).toBeLessThan(5_000);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/SIGINT: stopping\. No new operation starts; the ones in flight finish first/);
    expect(run.stderr).toMatch(/Apply interrupted: 1 succeeded, 0 failed, 2 not started\./);
    expect(run.stdout).toMatch(/OrganizationalUnit\/stopa: CreatedOU/);

    const org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    try {
      const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
      const under = async (id: string) => (await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: id }))).OrganizationalUnits ?? [];
      const a = await under(rootId);
      expect(a.map((o) => o.Name)).toEqual(['StopA']);
      expect(await under(a[0].Id!)).toEqual([]);

      // The next apply picks up where the interrupted one stopped, and repeats nothing.
      const again = await orgplane(['apply', '--auto-approve', '-f', dir, '--state', state], moto.endpoint);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/Apply complete: 2 succeeded, 0 failed, 0 skipped\./);
      expect((await under(rootId)).map((o) => o.Name)).toEqual(['StopA']);
      expect((await under(a[0].Id!)).map((o) => o.Name)).toEqual(['StopB']);
    } finally {
      org.destroy();
    }
  }, 120_000);
});
