// Approvals on a real kube-apiserver with the shipped install (RBAC, CRDs, webhooks) and the
// controller running as its ServiceAccount against moto: an author cannot approve (RBAC), an
// Approval for another destination or an old generation lets nothing through, the approver's
// Approval (pasted from the waiting Account's status) lets exactly that move through and is then
// Consumed; the approve-migration annotation only counts with --allow-self-approval.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { createOrganization, freePort, startMoto, TEST_CREDENTIALS, TEST_REGION, type MotoServer } from '../support/moto.js';
import { startFaultProxy, type FaultProxy, type ForwardedRequest } from '../support/fault-proxy.js';
import {
  KUBECTL,
  REPO,
  kubectlFor,
  shippedControllerFlags,
  startController,
  startTestenv,
  waitFor,
  type ControllerProcess,
  type Testenv,
} from './support/testenv.js';

const ORG_NS = 'orgplane-org';
const SYS_NS = 'orgplane-system';
const T = 240_000;
const LOGS = `/tmp/orgplane-e2e-approval-logs-${process.pid}`;

const env = await startTestenv();
const skip = 'skip' in env ? env.skip : undefined;
if (skip && process.env.CI) throw new Error(`[e2e] the real API server could not start: ${skip}`);
if (skip) console.warn(`[e2e] approval tests skipped: the real API server could not start: ${skip}`);

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Obj {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    id?: string;
    conditions?: Cond[];
    state?: string;
    message?: string;
    approves?: string;
    consumedAt?: string;
    consumedBy?: { op: string; summary: string };
  };
}
const cond = (o: Obj, t: string) => o.status?.conditions?.find((c) => c.type === t);

describe.skipIf(skip !== undefined)(`Approvals${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const te = env as Testenv;
  const kubectl = kubectlFor(te.kubeconfig);
  let moto: MotoServer;
  let proxy: FaultProxy;
  let org: OrganizationsClient;
  let webhookPort: number;
  const configs: Record<'controller' | 'author' | 'approver', string> = { controller: '', author: '', approver: '' };
  const forwarded: ForwardedRequest[] = [];
  let controller: ControllerProcess | undefined;
  const ids: Record<string, string> = {};

  /** kubectl as someone: resolves with {code, stdout, stderr}. */
  const as = (who: keyof typeof configs | 'admin', args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        KUBECTL,
        ['--kubeconfig', who === 'admin' ? te.kubeconfig : configs[who], ...args],
        { maxBuffer: 16 << 20 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const get = async (plural: string, name: string): Promise<Obj> => JSON.parse(await kubectl(['get', plural, name, '-n', ORG_NS, '-o', 'json'])) as Obj;
  const parentOf = async (accountId: string) => (await org.send(new ListParentsCommand({ ChildId: accountId }))).Parents?.[0]?.Id;
  const moves = (since: number) => forwarded.slice(since).filter((r) => r.key.endsWith('MoveAccount')).length;
  const approvalYaml = (name: string, spec: Record<string, unknown>) =>
    JSON.stringify({ apiVersion: 'orgplane.io/v1alpha1', kind: 'Approval', metadata: { name, namespace: ORG_NS }, spec });

  /** A kubeconfig that authenticates with a token of ServiceAccount NS/NAME. */
  const tokenConfig = async (ns: string, name: string): Promise<string> => {
    const token = (await kubectl(['create', 'token', name, '-n', ns, '--duration', '1h'])).trim();
    const admin = parseAllDocuments(await kubectl(['config', 'view', '--raw', '--minify'])).map((d) => d.toJS())[0] as {
      clusters: { name: string; cluster: Record<string, unknown> }[];
    };
    const file = path.join(LOGS, `${name}-kubeconfig.yaml`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        'current-context': name,
        contexts: [{ name, context: { cluster: admin.clusters[0].name, user: name, namespace: ORG_NS } }],
        users: [{ name, user: { token } }],
      }),
    );
    return file;
  };

  const startOrgController = async (name: string, extra: string[] = []) => {
    controller = await startController({
      name,
      kubeconfig: configs.controller,
      namespace: ORG_NS,
      endpoint: proxy.endpoint,
      dir: LOGS,
      extra: [...shippedControllerFlags(SYS_NS, webhookPort, '3s'), ...extra],
    });
    await waitFor(
      'the caBundle on both webhooks',
      async () => {
        const vwc = JSON.parse(await kubectl(['get', 'validatingwebhookconfiguration', 'orgplane-validation', '-o', 'json'])) as {
          webhooks: { clientConfig: { caBundle?: string } }[];
        };
        return vwc.webhooks.length === 2 && vwc.webhooks.every((w) => !!w.clientConfig.caBundle);
      },
      30_000,
    );
  };

  beforeAll(async () => {
    mkdirSync(LOGS, { recursive: true });
    const applied = await as('admin', ['apply', '-k', path.join(REPO, 'manifests/install')]);
    expect(applied.stderr).not.toMatch(/error/i);
    await kubectl(['wait', '--for', 'condition=established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=orgplane']);
    // No kube-proxy: the API server calls the controller process on loopback, for both webhooks.
    webhookPort = await freePort();
    const url = { url: `https://127.0.0.1:${webhookPort}/validate` };
    await kubectl([
      'patch',
      'validatingwebhookconfiguration',
      'orgplane-validation',
      '--type',
      'json',
      '-p',
      JSON.stringify([0, 1].map((i) => ({ op: 'replace', path: `/webhooks/${i}/clientConfig`, value: url }))),
    ]);
    // An author and an approver: ServiceAccount tokens bound to the shipped duty ClusterRoles.
    for (const who of ['author', 'approver'] as const) {
      await kubectl(['create', 'serviceaccount', who, '-n', ORG_NS]);
      await kubectl(['create', 'rolebinding', who, '-n', ORG_NS, '--clusterrole', `orgplane-${who}`, '--serviceaccount', `${ORG_NS}:${who}`]);
      configs[who] = await tokenConfig(ORG_NS, who);
    }
    configs.controller = await tokenConfig(SYS_NS, 'orgplane-controller');
    moto = await startMoto();
    await createOrganization(moto.endpoint);
    org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    proxy = await startFaultProxy({
      target: moto.endpoint,
      onForwarded: (r) => {
        forwarded.push(r);
      },
    });
    await startOrgController('first');
  }, 45 * 60_000);

  afterAll(async () => {
    await controller?.kill('SIGKILL');
    await proxy?.stop();
    await moto?.stop();
    org?.destroy();
    await te.stop();
  });

  it(
    'a move waits, and its status says exactly which Approval to create',
    async () => {
      const manifests = `
apiVersion: orgplane.io/v1alpha1
kind: Organization
metadata: { name: org }
spec: { migrationApproval: Always }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: sandbox }
spec: { name: Sandbox, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: workloads }
spec: { name: Workloads, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: security }
spec: { name: Security, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: dev }
spec: { name: Dev, email: aws-dev@approvals.example.com, parent: sandbox }
`;
      const r = await as('author', ['apply', '-f', '-'], manifests);
      expect(r.code, r.stderr).toBe(0);
      const dev = await waitFor(
        'dev created in sandbox',
        async () => {
          const o = await get('accounts', 'dev');
          return cond(o, 'Ready')?.status === 'True' && cond(o, 'Synced')?.status === 'True' ? o : undefined;
        },
        120_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${controller!.log().slice(-3000)}`);
      });
      ids.dev = dev.status!.id!;
      for (const ou of ['sandbox', 'workloads', 'security'])
        ids[ou] = await waitFor(`OU ${ou} id`, async () => (await get('organizationalunits', ou)).status?.id, 30_000);
      expect(await parentOf(ids.dev)).toBe(ids.sandbox);

      // The author moves dev to workloads: it waits for approval.
      expect((await as('author', ['patch', 'account', 'dev', '--type', 'merge', '-p', '{"spec":{"parent":"workloads"}}'])).code).toBe(0);
      const waiting = await waitFor(
        'dev to await approval',
        async () => {
          const o = await get('accounts', 'dev');
          return cond(o, 'Synced')?.reason === 'AwaitingApproval' ? o : undefined;
        },
        60_000,
      );
      const message = cond(waiting, 'Synced')!.message;
      console.log(`Synced message of Account/dev:\n${message}`);
      expect(message).toContain(`waiting for an Approval of exactly this move (Account/dev generation ${waiting.metadata.generation}, sandbox -> workloads)`);
      expect(message).toContain('kubectl create -n orgplane-org -f - <<EOF');
      expect(await parentOf(ids.dev)).toBe(ids.sandbox);
    },
    T,
  );

  it(
    'an author cannot create an Approval: RBAC denies it',
    async () => {
      const gen = (await get('accounts', 'dev')).metadata.generation!;
      const r = await as(
        'author',
        ['create', '-f', '-'],
        approvalYaml('self-approved', {
          resource: 'Account/dev',
          generation: gen,
          operation: { kind: 'Migration', from: 'sandbox', to: 'workloads' },
          grantedBy: `system:serviceaccount:${ORG_NS}:author`,
        }),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/forbidden: User "system:serviceaccount:orgplane-org:author" cannot create resource "approvals" in API group "orgplane.io"/);
      // Nor may an approver claim someone else granted it (the approval webhook, failurePolicy Fail).
      const forged = await as(
        'approver',
        ['create', '-f', '-'],
        approvalYaml('forged', {
          resource: 'Account/dev',
          generation: gen,
          operation: { kind: 'Migration', from: 'sandbox', to: 'workloads' },
          grantedBy: 'someone-else',
        }),
      );
      expect(forged.code).not.toBe(0);
      expect(forged.stderr).toContain(
        'admission webhook "approval.validate.orgplane.io" denied the request: spec.grantedBy: Invalid value: "someone-else": must be the user creating the Approval, "system:serviceaccount:orgplane-org:approver"',
      );
      expect((await as('admin', ['get', 'approvals', '-n', ORG_NS, '-o', 'name'])).stdout.trim()).toBe('');
    },
    T,
  );

  it(
    'an Approval for another destination, an old generation or past its expiry lets nothing through (Stale, Expired)',
    async () => {
      const gen = (await get('accounts', 'dev')).metadata.generation!;
      const approver = `system:serviceaccount:${ORG_NS}:approver`;
      const mark = forwarded.length;
      for (const [name, spec] of [
        [
          'dev-to-security',
          { resource: 'Account/dev', generation: gen, operation: { kind: 'Migration', from: 'sandbox', to: 'security' }, grantedBy: approver },
        ],
        [
          'dev-old-generation',
          { resource: 'Account/dev', generation: gen - 1, operation: { kind: 'Migration', from: 'sandbox', to: 'workloads' }, grantedBy: approver },
        ],
        // The right move, but lapsed.
        [
          'dev-expired',
          {
            resource: 'Account/dev',
            generation: gen,
            operation: { kind: 'Migration', from: 'sandbox', to: 'workloads' },
            grantedBy: approver,
            expiresAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
        ],
      ] as const) {
        const r = await as('approver', ['create', '-f', '-'], approvalYaml(name, spec));
        expect(r.code, r.stderr).toBe(0);
      }
      const wrong = await waitFor(
        'dev-to-security to go Stale',
        async () => {
          const a = await get('approvals', 'dev-to-security');
          return a.status?.state === 'Stale' ? a : undefined;
        },
        60_000,
      );
      expect(wrong.status?.message).toBe('the pending move of Account/dev is sandbox -> workloads, not sandbox -> security');
      const old = await waitFor(
        'dev-old-generation to go Stale',
        async () => {
          const a = await get('approvals', 'dev-old-generation');
          return a.status?.state === 'Stale' ? a : undefined;
        },
        60_000,
      );
      expect(old.status?.message).toBe(`Account/dev is at generation ${gen}; this approval is for generation ${gen - 1}`);
      const expired = await waitFor(
        'dev-expired to go Expired',
        async () => {
          const a = await get('approvals', 'dev-expired');
          return a.status?.state === 'Expired' ? a : undefined;
        },
        60_000,
      );
      expect(expired.status?.message).toMatch(/^expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // A few reconciles later: still waiting, nothing moved.
      const before = (controller!.log().match(/"msg":"reconciled"/g) ?? []).length;
      await waitFor('two more reconciles', async () => (controller!.log().match(/"msg":"reconciled"/g) ?? []).length >= before + 2, 60_000);
      const dev = await get('accounts', 'dev');
      expect(cond(dev, 'Synced')?.reason).toBe('AwaitingApproval');
      expect(cond(dev, 'Synced')?.message).toContain('Approval dev-to-security (Migration sandbox -> security) does not apply: it is Stale');
      expect(moves(mark)).toBe(0);
      expect(await parentOf(ids.dev)).toBe(ids.sandbox);
    },
    T,
  );

  it(
    "the approver's Approval, pasted from the status, lets exactly that move through and is Consumed",
    async () => {
      const message = cond(await get('accounts', 'dev'), 'Synced')!.message;
      const lines = message.split('\n');
      const snippet = lines
        .slice(
          lines.findIndex((l) => l.startsWith('kubectl create')),
          lines.indexOf('EOF') + 1,
        )
        .join('\n');
      const mark = forwarded.length;
      // Run as the approver, in a shell, exactly as printed (kubectl auth whoami fills in grantedBy).
      const ran = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(
          'bash',
          ['-c', snippet],
          { env: { ...process.env, KUBECONFIG: configs.approver, PATH: `${path.dirname(KUBECTL)}:${process.env.PATH ?? ''}` } },
          (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
        );
      });
      expect(ran.code, ran.out).toBe(0);
      const name = /approval.orgplane.io\/(\S+) created/.exec(ran.out)?.[1];
      expect(name).toBe(`dev-g${(await get('accounts', 'dev')).metadata.generation}-to-workloads`);
      const consumed = await waitFor(
        'the Approval to be Consumed',
        async () => {
          const a = await get('approvals', name!);
          return a.status?.state === 'Consumed' ? a : undefined;
        },
        90_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${controller!.log().slice(-3000)}`);
      });
      expect(await parentOf(ids.dev)).toBe(ids.workloads);
      expect(moves(mark)).toBe(1);
      expect(consumed.spec.grantedBy).toBe(`system:serviceaccount:${ORG_NS}:approver`);
      expect(consumed.status?.consumedAt).toBeTruthy();
      expect(consumed.status?.consumedBy?.op).toMatch(/^op-\d+$/);
      expect(consumed.status?.consumedBy?.summary).toMatch(new RegExp(`^move account Dev \\(${ids.dev}\\) from Sandbox .* to Workloads `));
      const events = await kubectl([
        'get',
        'events',
        '-n',
        ORG_NS,
        '--field-selector',
        `involvedObject.name=${name},involvedObject.kind=Approval`,
        '-o',
        'json',
      ]);
      expect((JSON.parse(events) as { items: { reason: string }[] }).items.map((e) => e.reason)).toContain('Consumed');
      await waitFor(
        'dev to converge',
        async () => {
          const o = await get('accounts', 'dev');
          return cond(o, 'Synced')?.status === 'True' ? o : undefined;
        },
        60_000,
      );
      const table = await kubectl(['get', 'approvals', '-n', ORG_NS]);
      writeFileSync(path.join(LOGS, 'kubectl-get-approvals.txt'), table);
      console.log(`kubectl get approvals -n ${ORG_NS}\n${table}`);
      expect(table).toMatch(new RegExp(`${name}\\s+Account/dev\\s+Migration sandbox -> workloads\\s+Consumed\\s+system:serviceaccount:orgplane-org:approver`));
      expect(table).toMatch(/dev-to-security\s+Account\/dev\s+Migration sandbox -> security\s+Stale/);
      expect(table).toMatch(/dev-expired\s+Account\/dev\s+Migration sandbox -> workloads\s+Expired/);
      // Nobody changes an Approval after the fact (CEL: the spec is immutable), not even an admin.
      const edit = await as('admin', [
        'patch',
        'approval',
        name!,
        '-n',
        ORG_NS,
        '--type',
        'merge',
        '-p',
        '{"spec":{"operation":{"kind":"Migration","from":"sandbox","to":"security"}}}',
      ]);
      expect(edit.stderr).toContain('is immutable: an Approval names one exact change; delete it and create another');
    },
    T,
  );

  it(
    'a consumed Approval does not approve the next move; the annotation does only with --allow-self-approval, and is then cleared',
    async () => {
      const mark = forwarded.length;
      await as('author', ['patch', 'account', 'dev', '--type', 'merge', '-p', '{"spec":{"parent":"security"}}']);
      // The author tries the old way: ignored, and the status says so.
      expect((await as('author', ['annotate', 'account', 'dev', 'orgplane.io/approve-migration=true'])).code).toBe(0);
      const waiting = await waitFor(
        'dev to await approval of the move to security',
        async () => {
          const o = await get('accounts', 'dev');
          const m = cond(o, 'Synced');
          return m?.reason === 'AwaitingApproval' && m.message.includes('workloads -> security') && m.message.includes('annotation is ignored') ? o : undefined;
        },
        60_000,
      );
      expect(cond(waiting, 'Synced')?.message).toContain('--allow-self-approval');
      expect(moves(mark)).toBe(0);
      expect(await parentOf(ids.dev)).toBe(ids.workloads);

      await controller!.kill('SIGTERM');
      await startOrgController('self-approval', ['--allow-self-approval']);
      await waitFor('dev to move to security', async () => (await parentOf(ids.dev)) === ids.security, 90_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${controller!.log().slice(-3000)}`);
      });
      const dev = await waitFor(
        'the annotation to be cleared',
        async () => {
          const o = await get('accounts', 'dev');
          return o.metadata.annotations?.['orgplane.io/approve-migration'] === undefined ? o : undefined;
        },
        60_000,
      );
      expect(dev.metadata.annotations?.['orgplane.io/approve-migration']).toBeUndefined();
      expect(moves(mark)).toBe(1);
    },
    T,
  );
});
