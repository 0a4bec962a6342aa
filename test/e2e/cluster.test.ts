// The shipped install on a real kube-apiserver: the controller runs from orgplane-system as its
// ServiceAccount (a token, the shipped RBAC) against the org namespace orgplane-org, keeps its
// workflow snapshots where users cannot write, and serves the admission webhook that refuses
// bad manifests with the messages `orgplane validate` prints. There is no kubelet or kube-proxy
// here, so the test points the ValidatingWebhookConfiguration at the controller process by URL.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { OrganizationsClient, CreateAccountCommand, DescribeAccountCommand, ListAccountsCommand } from '@aws-sdk/client-organizations';
import { startMoto, createOrganization, freePort, TEST_CREDENTIALS, TEST_REGION, type MotoServer } from '../support/moto.js';
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
const SA = `system:serviceaccount:${SYS_NS}:orgplane-controller`;
const T = 240_000;
const LOGS = `/tmp/orgplane-e2e-cluster-logs-${process.pid}`;
const FIXTURES = path.join(REPO, 'test/fixtures/invalid');
const run = promisify(execFile);

const env = await startTestenv();
const skip = 'skip' in env ? env.skip : undefined;
if (skip && process.env.CI) throw new Error(`[e2e] the real API server could not start: ${skip}`);
if (skip) console.warn(`[e2e] cluster tests skipped: the real API server could not start: ${skip}`);

interface Obj {
  kind: string;
  metadata: { name: string; generation?: number };
  spec: Record<string, unknown>;
  status?: {
    id?: string;
    workflow?: { kind: string; phase: string; snapshot?: string };
    conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[];
  };
}
const cond = (o: Obj, t: string) => o.status?.conditions?.find((c) => c.type === t);
const converged = (o: Obj) =>
  cond(o, 'Ready')?.status === 'True' &&
  cond(o, 'Synced')?.status === 'True' &&
  o.status?.conditions?.every((c) => c.observedGeneration === o.metadata.generation);

/** What `orgplane validate -f FILE` prints for each error, without the "(file:line)" suffix. */
async function validateMessages(file: string): Promise<string[]> {
  const r = await run(process.execPath, ['--import', 'tsx', path.join(REPO, 'controller/cli/main.ts'), 'validate', '-f', file], { cwd: REPO }).then(
    () => ({ stderr: '' }),
    (e: { stderr?: string }) => ({ stderr: e.stderr ?? '' }),
  );
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim().replace(/ \([^()]*:\d+\)$/, ''));
}

describe.skipIf(skip !== undefined)(
  `the shipped install: orgplane-system controller, admission, unforgeable workflows${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const te = env as Testenv;
    const kubectl = kubectlFor(te.kubeconfig);
    /** kubectl that resolves with {code, stdout, stderr} instead of throwing. */
    const kubectlResult = (args: string[], input?: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(KUBECTL, ['--kubeconfig', te.kubeconfig, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
        if (input !== undefined) child.stdin?.end(input);
      });
    /** `kubectl auth can-i`; "kind/status" asks about the status subresource (kind/NAME otherwise names an object). */
    const can = async (as: string, verb: string, what: string, ns: string) => {
      const sub = /^(.*)\/status$/.exec(what);
      const target = sub ? [sub[1], '--subresource', 'status'] : [what];
      return (await kubectlResult(['auth', 'can-i', verb, ...target, '-n', ns, '--as', as])).stdout.trim();
    };
    /** A SubjectAccessReview: works for resources the API server does not serve yet (approvals). */
    const allowed = async (user: string, verb: string, resource: string, ns: string): Promise<boolean> => {
      const sar = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user, resourceAttributes: { group: 'orgplane.io', resource, verb, namespace: ns } },
      };
      return (JSON.parse(await kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify(sar))) as { status: { allowed?: boolean } }).status.allowed === true;
    };
    let moto: MotoServer;
    let proxy: FaultProxy;
    let org: OrganizationsClient;
    let saConfig: string;
    let webhookPort: number;
    const forwarded: ForwardedRequest[] = [];
    let controller: ControllerProcess | undefined;

    const get = async (plural: string, name: string): Promise<Obj> => JSON.parse(await kubectl(['get', plural, name, '-n', ORG_NS, '-o', 'json'])) as Obj;
    const startOrgController = async (name: string) => {
      controller = await startController({
        name,
        kubeconfig: saConfig,
        namespace: ORG_NS,
        endpoint: proxy.endpoint,
        dir: LOGS,
        extra: [...shippedControllerFlags(SYS_NS, webhookPort, '2s')],
      });
      // The controller writes the caBundle when it starts; the API server then trusts its certificate.
      await waitFor(
        'the caBundle to be set',
        async () => {
          const vwc = JSON.parse(await kubectl(['get', 'validatingwebhookconfiguration', 'orgplane-validation', '-o', 'json'])) as {
            webhooks: { clientConfig: { caBundle?: string } }[];
          };
          return !!vwc.webhooks[0].clientConfig.caBundle;
        },
        30_000,
      );
      return controller;
    };

    beforeAll(async () => {
      const applied = await kubectlResult(['apply', '-k', path.join(REPO, 'manifests/install')]);
      expect(applied.stderr).not.toMatch(/error|PodSecurity|violate/i);
      await kubectl(['wait', '--for', 'condition=established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=orgplane']);
      // No kube-proxy here: the API server reaches the webhook on loopback by URL instead of the Service.
      webhookPort = await freePort();
      await kubectl([
        'patch',
        'validatingwebhookconfiguration',
        'orgplane-validation',
        '--type',
        'json',
        '-p',
        JSON.stringify(
          [0, 1].map((i) => ({ op: 'replace', path: `/webhooks/${i}/clientConfig`, value: { url: `https://127.0.0.1:${webhookPort}/validate` } })),
        ),
      ]);
      // A kubeconfig that authenticates as the controller's ServiceAccount, like the pod's mounted token.
      const token = (await kubectl(['create', 'token', 'orgplane-controller', '-n', SYS_NS, '--duration', '1h'])).trim();
      const admin = parseAllDocuments(await kubectl(['config', 'view', '--raw', '--minify'])).map((d) => d.toJS())[0] as {
        clusters: { name: string; cluster: Record<string, unknown> }[];
      };
      mkdirSync(LOGS, { recursive: true });
      saConfig = path.join(LOGS, 'sa-kubeconfig.yaml');
      writeFileSync(
        saConfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: admin.clusters,
          'current-context': 'sa',
          contexts: [{ name: 'sa', context: { cluster: admin.clusters[0].name, user: 'sa' } }],
          users: [{ name: 'sa', user: { token } }],
        }),
      );
      moto = await startMoto();
      await createOrganization(moto.endpoint);
      org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
      proxy = await startFaultProxy({
        target: moto.endpoint,
        onForwarded: (r) => {
          forwarded.push(r);
        },
      });
    }, 45 * 60_000);

    afterAll(async () => {
      await controller?.kill('SIGKILL');
      await proxy?.stop();
      await moto?.stop();
      org?.destroy();
      await te.stop();
    });

    it(
      'the shipped RBAC: the controller reaches the org namespace and its own state, authors reach neither status nor approvals',
      async () => {
        expect(await can(SA, 'patch', 'accounts.orgplane.io/status', ORG_NS)).toBe('yes');
        expect(await can(SA, 'watch', 'servicecontrolpolicies.orgplane.io', ORG_NS)).toBe('yes');
        expect(await can(SA, 'create', 'events', ORG_NS)).toBe('yes');
        expect(await can(SA, 'update', 'accounts.orgplane.io', ORG_NS)).toMatch(/^no/);
        expect(await allowed(SA, 'create', 'approvals', ORG_NS)).toBe(false);
        expect(await allowed(SA, 'list', 'approvals', ORG_NS)).toBe(true);
        expect(await can(SA, 'update', 'leases.coordination.k8s.io/orgplane-controller', SYS_NS)).toBe('yes');
        expect(await can(SA, 'patch', 'configmaps/orgplane-workflows', SYS_NS)).toBe('yes');
        expect(await can(SA, 'patch', 'configmaps/kube-root-ca.crt', SYS_NS)).toMatch(/^no/);
        expect(await can(SA, 'list', 'secrets', SYS_NS)).toMatch(/^no/);
        expect(await can(SA, 'create', 'pods', SYS_NS)).toMatch(/^no/);
        expect(await can(SA, 'list', 'accounts.orgplane.io', 'default')).toMatch(/^no/);
        expect(await can(SA, 'patch', 'validatingwebhookconfigurations/orgplane-validation', 'default')).toBe('yes');
        expect(await can(SA, 'patch', 'validatingwebhookconfigurations/someone-elses', 'default')).toMatch(/^no/);

        // alice is an author (and has the built-in edit role) in the org namespace only.
        await kubectl(['create', 'rolebinding', 'alice-author', '-n', ORG_NS, '--clusterrole', 'orgplane-author', '--user', 'alice']);
        await kubectl(['create', 'rolebinding', 'alice-edit', '-n', ORG_NS, '--clusterrole', 'edit', '--user', 'alice']);
        await kubectl(['create', 'rolebinding', 'bob-approver', '-n', ORG_NS, '--clusterrole', 'orgplane-approver', '--user', 'bob']);
        expect(await can('alice', 'create', 'accounts.orgplane.io', ORG_NS)).toBe('yes');
        expect(await can('alice', 'patch', 'accounts.orgplane.io/status', ORG_NS)).toMatch(/^no/);
        expect(await allowed('alice', 'create', 'approvals', ORG_NS)).toBe(false);
        expect(await allowed('alice', 'list', 'approvals', ORG_NS)).toBe(true);
        expect(await allowed('bob', 'create', 'approvals', ORG_NS)).toBe(true);
        expect(await allowed('bob', 'create', 'approvals', 'default')).toBe(false);
        expect(await can('bob', 'update', 'accounts.orgplane.io', ORG_NS)).toMatch(/^no/);
        // Running as the controller means a pod in orgplane-system (a pod uses a ServiceAccount of its
        // own namespace) or a token for it: alice may do neither, nor touch the controller's state.
        expect(await can('alice', 'create', 'pods', SYS_NS)).toMatch(/^no/);
        expect(await can('alice', 'create', 'serviceaccounts/token', SYS_NS)).toMatch(/^no/);
        expect(await can('alice', 'patch', 'configmaps/orgplane-workflows', SYS_NS)).toMatch(/^no/);
        expect(await can('alice', 'impersonate', `serviceaccounts/orgplane-controller`, SYS_NS)).toMatch(/^no/);
      },
      T,
    );

    it(
      'runs from orgplane-system as its ServiceAccount and reconciles orgplane-org; workflows go to its ConfigMap',
      async () => {
        const c = await startOrgController('sa');
        await kubectl(
          ['apply', '-n', ORG_NS, '-f', '-'],
          `
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: platform }
spec: { name: PlatformOU, parent: root }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: tooling }
spec: { name: Tooling, email: aws-tooling@platform.example.com, parent: platform }
`,
        );
        const tooling = await waitFor(
          'the controller to converge',
          async () => {
            const o = await get('accounts', 'tooling');
            return converged(o) ? o : undefined;
          },
          120_000,
        ).catch((e: Error) => {
          throw new Error(`${e.message}\n${c.log().slice(-3000)}`);
        });
        expect(tooling.status?.id).toMatch(/^\d{12}$/);
        const lease = JSON.parse(await kubectl(['get', 'lease', 'orgplane-controller', '-n', SYS_NS, '-o', 'json'])) as { spec: { holderIdentity: string } };
        expect(lease.spec.holderIdentity).toBe(c.identity);
        // A finished workflow leaves the ConfigMap; status.workflow keeps its last phase, without the snapshot.
        expect(tooling.status?.workflow?.kind).toBe('create');
        expect(tooling.status?.workflow?.snapshot).toBeUndefined();
        // A workflow under way is kept in the ConfigMap: a move that waits for approval.
        await kubectl(
          ['apply', '-n', ORG_NS, '-f', '-'],
          `
apiVersion: orgplane.io/v1alpha1
kind: Organization
metadata: { name: approvals-on }
spec: { migrationApproval: Always }
`,
        );
        await kubectl(['patch', 'account', 'tooling', '-n', ORG_NS, '--type', 'merge', '-p', '{"spec":{"parent":"root"}}']);
        const waiting = await waitFor(
          'the move to wait for approval, stored in the ConfigMap',
          async () => {
            const cm = JSON.parse(await kubectl(['get', 'configmap', 'orgplane-workflows', '-n', SYS_NS, '-o', 'json'])) as {
              data?: Record<string, string>;
              metadata: { labels?: Record<string, string> };
            };
            const wf = cm.data?.['Account.tooling'];
            return wf && (JSON.parse(wf) as { phase: string }).phase === 'AwaitingApproval' ? cm : undefined;
          },
          60_000,
        );
        expect(waiting.metadata.labels?.['orgplane.io/watch-namespace']).toBe(ORG_NS);
        expect(JSON.parse(waiting.data!['Account.tooling'])).toMatchObject({ kind: 'migrate', snapshot: expect.stringContaining('account-migrate') });
        expect((await get('accounts', 'tooling')).status?.workflow).toMatchObject({ kind: 'migrate', phase: 'AwaitingApproval' });
        // Approved with an Approval of exactly this move (the annotation counts only with --allow-self-approval).
        const generation = (await get('accounts', 'tooling')).metadata.generation;
        await kubectl(
          ['create', '-n', ORG_NS, '-f', '-'],
          JSON.stringify({
            apiVersion: 'orgplane.io/v1alpha1',
            kind: 'Approval',
            metadata: { name: 'tooling-to-root' },
            spec: { resource: 'Account/tooling', generation, operation: { kind: 'Migration', from: 'platform', to: 'root' }, grantedBy: 'testenv-admin' },
          }),
        );
        await waitFor(
          'the move to finish and leave the ConfigMap',
          async () => {
            const cm = JSON.parse(await kubectl(['get', 'configmap', 'orgplane-workflows', '-n', SYS_NS, '-o', 'json'])) as { data?: Record<string, string> };
            const o = await get('accounts', 'tooling');
            return cm.data?.['Account.tooling'] === undefined && converged(o);
          },
          90_000,
        );
        await kubectl(['delete', 'organization', 'approvals-on', '-n', ORG_NS, '--wait=true', '--timeout=60s']);
        expect(c.log()).not.toMatch(/forbidden/i);
      },
      T,
    );

    it(
      'a forged status.workflow (CloseAccount of an unmanaged account) causes no AWS write',
      async () => {
        // An account orgplane does not manage.
        const created = await org.send(new CreateAccountCommand({ AccountName: 'Victim', Email: 'victim@elsewhere.example.com' }));
        const victimId = (await org.send(new ListAccountsCommand({}))).Accounts!.find((a) => a.Email === 'victim@elsewhere.example.com')!.Id!;
        expect(created.CreateAccountStatus?.State).toBe('SUCCEEDED');
        // mallory (a ServiceAccount token of the org namespace) may patch accounts/status there, nothing else.
        await kubectl(['create', 'serviceaccount', 'mallory', '-n', ORG_NS]);
        await kubectl([
          'create',
          'role',
          'status-patcher',
          '-n',
          ORG_NS,
          '--verb=get,patch,update',
          '--resource=accounts.orgplane.io/status,accounts.orgplane.io',
        ]);
        await kubectl(['create', 'rolebinding', 'mallory', '-n', ORG_NS, '--role', 'status-patcher', '--serviceaccount', `${ORG_NS}:mallory`]);
        const mallory = `system:serviceaccount:${ORG_NS}:mallory`;
        const malloryToken = (await kubectl(['create', 'token', 'mallory', '-n', ORG_NS, '--duration', '1h'])).trim();
        const snapshot = JSON.stringify({
          machine: 'account-close',
          version: 1,
          value: 'closing',
          status: 'active',
          context: {
            resource: 'Account/tooling',
            accountId: victimId,
            name: 'Victim',
            closuresAllowed: 1,
            deadline: Date.now() + 3600_000,
            pollBaseMs: 100,
            pollMaxMs: 100,
            pollAttempts: 0,
            attempts: 0,
          },
        });
        const forged = { status: { workflow: { kind: 'close', phase: 'Closing', snapshot, startedAt: new Date().toISOString(), message: 'closing' } } };
        const mark = forwarded.length;
        const reconcilesBefore = (controller!.log().match(/"msg":"reconciled"/g) ?? []).length;
        await kubectl([
          'patch',
          'account',
          'tooling',
          '-n',
          ORG_NS,
          '--subresource=status',
          '--type',
          'merge',
          '-p',
          JSON.stringify(forged),
          '--token',
          malloryToken,
        ]);
        // The forged record is stored (the API server accepted it) ...
        expect((await get('accounts', 'tooling')).status?.workflow?.snapshot).toBe(snapshot);
        // ... and mallory could not have put it where the controller reads workflows.
        expect(await can(mallory, 'patch', 'configmaps/orgplane-workflows', SYS_NS)).toMatch(/^no/);
        expect(await can(mallory, 'patch', 'accounts.orgplane.io/status', ORG_NS)).toBe('yes');
        // Several whole-graph reconciles (resync every 2s) later:
        await waitFor('three more reconciles', async () => (controller!.log().match(/"msg":"reconciled"/g) ?? []).length >= reconcilesBefore + 3, 60_000);
        const writes = forwarded
          .slice(mark)
          .filter((r) => r.write)
          .map((r) => r.key);
        expect(writes).toEqual([]);
        expect((await org.send(new DescribeAccountCommand({ AccountId: victimId }))).Account?.Status).toBe('ACTIVE');
      },
      T,
    );

    const refuses = async (fixture: string, refusedName: string) => {
      const file = path.join(FIXTURES, fixture);
      const expected = (await validateMessages(file)).filter((m) => !/\[(dependency-invalid|unknown-reference)\]$/.test(m));
      expect(expected.length).toBeGreaterThan(0);
      const r = await kubectlResult(['apply', '-n', ORG_NS, '-f', file]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`error when creating .*${fixture}.*admission webhook "graph.validate.orgplane.io" denied the request`));
      for (const m of expected) expect(r.stderr).toContain(m);
      expect((await kubectlResult(['get', '-n', ORG_NS, ...refusedName.split('/')])).stderr).toMatch(/NotFound/);
      await kubectlResult(['delete', '-n', ORG_NS, '-f', file, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    };

    it(
      'kubectl apply of a cycle, a depth-6 OU and a duplicate email is refused with the orgplane validate messages',
      async () => {
        await refuses('ou-cycle.yaml', 'organizationalunit/gamma');
        await refuses('ou-too-deep.yaml', 'organizationalunit/l6');
        await refuses('duplicate-email.yaml', 'account/app-copy');
      },
      T,
    );

    it(
      'the valid examples are accepted',
      async () => {
        // Server-side dry runs go through admission without storing anything; securecart is applied for real.
        for (const example of ['eight-ou', 'reference']) {
          const r = await kubectlResult(['apply', '--dry-run=server', '-n', ORG_NS, '-f', path.join(REPO, 'manifests/examples', example)]);
          expect(r.code, r.stderr).toBe(0);
        }
        const r = await kubectlResult(['apply', '-n', ORG_NS, '-f', path.join(REPO, 'manifests/examples/securecart')]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/account.orgplane.io\/production created/);
        // accounts.yaml comes before ous.yaml: the not-yet-created parents are warnings, not refusals.
        expect(r.stderr).toMatch(/Warning: Account\/\S+: spec.parent: parent "\S+" not found/);
      },
      T,
    );

    it(
      'with the webhook down, kubectl apply is accepted (failurePolicy Ignore) and the engine reports the error in status',
      async () => {
        await controller!.kill('SIGTERM');
        const dup = `
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: tooling-twin }
spec: { email: aws-tooling@platform.example.com, parent: platform }
`;
        await kubectl(['apply', '-n', ORG_NS, '-f', '-'], dup);
        await startOrgController('again');
        const twin = await waitFor(
          'tooling-twin to report InvalidSpec',
          async () => {
            const o = await get('accounts', 'tooling-twin');
            return [cond(o, 'Ready')?.reason, cond(o, 'Synced')?.reason].includes('InvalidSpec') ? o : undefined;
          },
          120_000,
        );
        const message = [cond(twin, 'Ready')?.message, cond(twin, 'Synced')?.message].join('\n');
        expect(message).toContain('email "aws-tooling@platform.example.com" is also used by Account/tooling');
        const accounts = (await org.send(new ListAccountsCommand({}))).Accounts ?? [];
        expect(accounts.filter((a) => a.Email === 'aws-tooling@platform.example.com')).toHaveLength(1);
        // With the webhook up again, a change that adds an error is refused.
        const again = await kubectlResult(['apply', '-n', ORG_NS, '-f', '-'], dup.replace('tooling-twin', 'tooling-triplet'));
        expect(again.code).not.toBe(0);
        expect(again.stderr).toContain('Account/tooling-triplet: spec.email: email "aws-tooling@platform.example.com" is also used by');
      },
      T,
    );
  },
);
