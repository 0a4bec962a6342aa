// The controller against a real kube-apiserver (scripts/testenv.sh) and a real moto, driven with
// the machine's kubectl the way a user would: apply the SecureCart example, wait for
// convergence, read `kubectl get` / `kubectl describe`, move an account, delete with every
// deletion policy, kill the controller mid-migration and mid-CreateAccount, run two replicas.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  OrganizationsClient,
  ListAccountsCommand,
  ListParentsCommand,
  DescribeOrganizationalUnitCommand,
  ListRootsCommand,
  ListOrganizationalUnitsForParentCommand,
  type Account as AwsAccount,
} from '@aws-sdk/client-organizations';
import { startMoto, createOrganization, TEST_CREDENTIALS, TEST_REGION, type MotoServer } from '../support/moto.js';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { createAwsClients } from '../../controller/aws/clients.js';
import { startFaultProxy, type FaultProxy, type ForwardedRequest } from '../support/fault-proxy.js';
import { REPO, kubectlFor, startController, startTestenv, waitFor, type ControllerProcess, type Testenv } from './support/testenv.js';

const NS = 'securecart';
/** Per-test budget: a few reconciles of the whole graph against moto each. */
const T = 300_000;
const EXAMPLE = path.join(REPO, 'manifests/examples/securecart');
const env = await startTestenv();
/** Controller logs outlive the testenv state dir (removed on stop). */
const LOGS = `/tmp/orgplane-e2e-logs-${process.pid}`;
const skip = 'skip' in env ? env.skip : undefined;
// In CI a missing API server is a failure, not a quiet skip: the suite must really run there.
if (skip && process.env.CI) throw new Error(`[e2e] the real API server could not start: ${skip}`);
if (skip) console.warn(`[e2e] controller tests skipped: the real API server could not start: ${skip}`);

interface Obj {
  kind: string;
  metadata: { name: string; uid: string; resourceVersion: string; finalizers?: string[]; annotations?: Record<string, string>; generation?: number };
  spec: Record<string, unknown>;
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    id?: string;
    ou?: string;
    state?: string;
    workflow?: { kind: string; phase: string } | null;
    parentId?: string;
  };
}
const cond = (o: Obj, t: string) => o.status?.conditions?.find((c) => c.type === t);
/** Ready and Synced, no workflow under way, and the controller has seen the current spec. */
const converged = (o: Obj) =>
  cond(o, 'Ready')?.status === 'True' &&
  cond(o, 'Synced')?.status === 'True' &&
  cond(o, 'Progressing')?.status !== 'True' &&
  o.status?.conditions?.every((c) => (c as { observedGeneration?: number }).observedGeneration === o.metadata.generation);

describe.skipIf(skip !== undefined)(`orgplane controller on a real API server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const te = env as Testenv;
  const kubectl = kubectlFor(te.kubeconfig);
  let moto: MotoServer;
  let proxy: FaultProxy;
  let proxyUrl: string;
  let org: OrganizationsClient;
  let onForwarded: ((r: ForwardedRequest) => Promise<void> | void) | undefined;
  const controllers: ControllerProcess[] = [];
  let leader: ControllerProcess;

  const list = async (plural: string): Promise<Obj[]> => (JSON.parse(await kubectl(['get', plural, '-n', NS, '-o', 'json'])) as { items: Obj[] }).items;
  const get = async (plural: string, name: string): Promise<Obj | undefined> => {
    try {
      return JSON.parse(await kubectl(['get', plural, name, '-n', NS, '-o', 'json'])) as Obj;
    } catch (e) {
      if (/NotFound/.test(String(e))) return undefined;
      throw e;
    }
  };
  const awsAccounts = async (): Promise<AwsAccount[]> => (await org.send(new ListAccountsCommand({}))).Accounts ?? [];
  const byEmail = async (email: string) => (await awsAccounts()).filter((a) => a.Email === email);
  const parentName = async (accountId: string): Promise<string> => {
    const p = (await org.send(new ListParentsCommand({ ChildId: accountId }))).Parents![0];
    if (p.Type === 'ROOT') return 'Root';
    return (await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: p.Id! }))).OrganizationalUnit!.Name!;
  };
  const rootOUs = async () => {
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    return (await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }))).OrganizationalUnits ?? [];
  };
  const start = async (name: string, extra: string[] = []) => {
    // One namespace, one admin: approvals are not separated here, so the approve-migration annotation approves.
    const c = await startController({
      name,
      kubeconfig: te.kubeconfig,
      namespace: NS,
      endpoint: proxyUrl,
      dir: LOGS,
      extra: ['--allow-self-approval', ...extra],
    });
    controllers.push(c);
    return c;
  };
  const leaseHolder = async () =>
    (JSON.parse(await kubectl(['get', 'lease', 'orgplane-e2e', '-n', NS, '-o', 'json'])) as { spec: { holderIdentity?: string } }).spec.holderIdentity ?? '';
  const waitConverged = async (what: string, plurals = ['organizationalunits', 'accounts', 'servicecontrolpolicies', 'organizations'], timeout = 120_000) =>
    waitFor(
      what,
      async () => {
        const all = (await Promise.all(plurals.map(list))).flat();
        const bad = all
          .filter((o) => !converged(o))
          .map((o) => `${o.kind}/${o.metadata.name}: ${JSON.stringify(o.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]))}`);
        return bad.length === 0 ? all : (void (lastBad = bad), false);
      },
      timeout,
      1000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nnot converged:\n${lastBad.join('\n')}\nleader log: ${leader?.logFile}`);
    });
  let lastBad: string[] = [];

  beforeAll(async () => {
    await kubectl(['apply', '-k', path.join(REPO, 'crds')]);
    await kubectl(['wait', '--for', 'condition=established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=orgplane']);
    await kubectl(['create', 'namespace', NS]);
    moto = await startMoto();
    await createOrganization(moto.endpoint);
    org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    proxy = await startFaultProxy({
      target: moto.endpoint,
      onForwarded: async (r) => {
        await onForwarded?.(r);
      },
    });
    proxyUrl = proxy.endpoint;
  }, 45 * 60_000);

  afterAll(async () => {
    for (const c of controllers) await c.kill('SIGKILL');
    await proxy?.stop();
    await moto?.stop();
    org?.destroy();
    await te.stop();
  });

  it(
    'converges the SecureCart example applied with kubectl, and shows it in kubectl get/describe',
    async () => {
      leader = await start('a', ['--resync', '3s']);
      await kubectl(['apply', '-n', NS, '-f', EXAMPLE]);
      const all = await waitConverged('SecureCart to converge');
      expect(all.filter((o) => o.kind === 'Account')).toHaveLength(6);

      // Every resource carries the finalizer.
      for (const o of all) expect(o.metadata.finalizers).toContain('orgplane.io/finalizer');

      // kubectl get accounts: the printer columns, and AWS agrees with every row.
      const table = (await kubectl(['get', 'accounts', '-n', NS])).trim().split('\n');
      expect(table[0].split(/\s{2,}/)).toEqual(['NAME', 'ACCOUNT-ID', 'OU', 'STATE', 'READY', 'AGE']);
      const specs = parseAllDocuments(readFileSync(path.join(EXAMPLE, 'accounts.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
      const ous = parseAllDocuments(readFileSync(path.join(EXAMPLE, 'ous.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
      const ouName = (ref: string) => (ous.find((o) => o.metadata.name === ref)?.spec.name as string | undefined) ?? ref;
      for (const spec of specs) {
        const row = table.find((l) => l.startsWith(`${spec.metadata.name} `))!.split(/\s+/);
        const [, id, ou, state, ready] = row;
        expect(id).toMatch(/^\d{12}$/);
        expect(ou).toBe(ouName(spec.spec.parent as string));
        expect(state).toBe('ACTIVE');
        expect(ready).toBe('True');
        const aws = await byEmail(spec.spec.email as string);
        expect(aws.map((a) => a.Id)).toEqual([id]);
        expect(await parentName(id)).toBe(ouName(spec.spec.parent as string));
      }

      // kubectl describe: conditions and the controller's events.
      const describe = await kubectl(['describe', 'account', 'dev', '-n', NS]);
      expect(describe).toMatch(/Conditions:/);
      expect(describe).toMatch(/Type:\s+Ready/);
      expect(describe).toMatch(/Reason:\s+Available/);
      expect(describe).toMatch(/Events:/);
      expect(describe).toMatch(/Normal\s+CreatedAccount\s+.*orgplane-controller/);

      // Health and metrics of the leader.
      expect((await leader.get('/readyz')).status).toBe(200);
      const metrics = (await leader.get('/metrics')).body;
      expect(metrics).toContain('orgplane_leader 1');
      expect(metrics).toMatch(/orgplane_aws_calls_total\{api="Organizations:CreateAccount",outcome="ok"\} 6/);
      expect(metrics).toMatch(/orgplane_reconcile_duration_seconds_count\{result="success"\} [1-9]/);
      expect(await leaseHolder()).toBe(leader.identity);
    },
    T,
  );

  it(
    'writes nothing on no-op resyncs (no status write storms)',
    async () => {
      const before = new Map(
        (await Promise.all(['organizationalunits', 'accounts', 'servicecontrolpolicies', 'organizations'].map(list)))
          .flat()
          .map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
      );
      const reconciles = (leader.log().match(/"msg":"reconciled"/g) ?? []).length;
      // Two more whole-graph resyncs (every 3s) that find nothing to do.
      await waitFor('two more resyncs', async () => (leader.log().match(/"msg":"reconciled"/g) ?? []).length >= reconciles + 2, 90_000);
      const after = new Map(
        (await Promise.all(['organizationalunits', 'accounts', 'servicecontrolpolicies', 'organizations'].map(list)))
          .flat()
          .map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
      );
      expect(after).toEqual(before);
    },
    T,
  );

  it(
    'moves an account when its manifest is edited, and AWS and status agree',
    async () => {
      const edited = readFileSync(path.join(EXAMPLE, 'accounts.yaml'), 'utf8').replace(/(name: staging\n(?:.*\n)*?\s+parent:) workloads/, '$1 shared-services');
      expect(edited).not.toBe(readFileSync(path.join(EXAMPLE, 'accounts.yaml'), 'utf8'));
      const file = path.join(te.dir, 'accounts-moved.yaml');
      writeFileSync(file, edited);
      await kubectl(['apply', '-n', NS, '-f', file]);
      // A move may wait for approval (SCPs change): approve it the documented way.
      const staging = await waitFor('staging to move or await approval', async () => {
        const o = await get('accounts', 'staging');
        if (o?.status?.workflow?.phase === 'AwaitingApproval' && !o.metadata.annotations?.['orgplane.io/approve-migration']) {
          await kubectl(['annotate', 'account', 'staging', '-n', NS, 'orgplane.io/approve-migration=true']);
        }
        return o && converged(o) && o.status?.ou === 'SharedServicesOU' ? o : undefined;
      });
      expect(await parentName(staging.status!.id!)).toBe('SharedServicesOU');
      expect(await kubectl(['describe', 'account', 'staging', '-n', NS])).toMatch(/Normal\s+MovedAccount/);
    },
    T,
  );

  it(
    'deletes by deletionPolicy: Retain leaves AWS alone, Delete/Close/Remove act before the finalizer goes',
    async () => {
      const extra = `
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata: { name: sandbox }
spec: { name: SandboxOU, parent: root, deletionPolicy: Delete }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: temp-close }
spec: { name: Temp Close, email: temp-close@securecart.example.com, parent: workloads, deletionPolicy: Close }
---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: temp-remove }
spec: { name: Temp Remove, email: temp-remove@securecart.example.com, parent: workloads, deletionPolicy: Remove }
`;
      await kubectl(['apply', '-n', NS, '-f', '-'], extra);
      await waitConverged('the extra resources to converge');
      const prod = (await get('accounts', 'production'))!;
      const close = (await get('accounts', 'temp-close'))!;
      expect((await rootOUs()).map((o) => o.Name)).toContain('SandboxOU');

      // Retain (production): gone from Kubernetes at once, untouched in AWS.
      await kubectl(['delete', 'account', 'production', '-n', NS, '--wait=true', '--timeout=60s']);
      const [prodAws] = await byEmail('aws-production@securecart.example.com');
      expect(prodAws.Status).toBe('ACTIVE');
      expect(await parentName(prodAws.Id!)).toBe('WorkloadsOU');
      expect(prodAws.Id).toBe(prod.status!.id);

      // Delete (OU): the OU is deleted in AWS, then the resource goes.
      await kubectl(['delete', 'organizationalunit', 'sandbox', '-n', NS, '--wait=true', '--timeout=90s']);
      expect((await rootOUs()).map((o) => o.Name)).not.toContain('SandboxOU');

      // Close: the account is closed (SUSPENDED / PENDING_CLOSURE) before the resource goes.
      await kubectl(['delete', 'account', 'temp-close', '-n', NS, '--wait=true', '--timeout=90s']);
      const [closed] = await byEmail('temp-close@securecart.example.com');
      expect(closed.Id).toBe(close.status!.id);
      expect(['SUSPENDED', 'PENDING_CLOSURE']).toContain(closed.Status);

      // Remove: the account leaves the organization.
      await kubectl(['delete', 'account', 'temp-remove', '-n', NS, '--wait=true', '--timeout=90s']);
      expect(await byEmail('temp-remove@securecart.example.com')).toEqual([]);

      const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'reason=Retained', '-o', 'json']);
      expect((JSON.parse(events) as { items: { involvedObject: { name: string; uid: string } }[] }).items.map((e) => e.involvedObject)).toContainEqual(
        expect.objectContaining({ name: 'production', uid: prod.metadata.uid }),
      );
      await waitConverged('the rest to stay converged');
    },
    T,
  );

  it(
    'removes the roles of a CrossAccountRole with deletionPolicy Delete deleted with kubectl before the finalizer goes',
    async () => {
      await kubectl(
        ['apply', '-n', NS, '-f', '-'],
        `
apiVersion: orgplane.io/v1alpha1
kind: CrossAccountRole
metadata: { name: e2e-temp-role }
spec:
  roleName: E2eTempRole
  deletionPolicy: Delete
  targets: { accounts: [dev] }
  trust: { principalArns: ["111122223333"] }
`,
      );
      const aws = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
      const devId = (await get('accounts', 'dev'))?.status?.id as string;
      expect(devId).toMatch(/^\d{12}$/);
      const roleInDev = async () => {
        const { iam } = await aws.forAccount(devId, 'OrganizationAccountAccessRole');
        return iam.send(new GetRoleCommand({ RoleName: 'E2eTempRole' })).then(
          (r) => r.Role?.RoleName,
          () => undefined,
        );
      };
      await waitFor('the role to exist in dev', async () => (await roleInDev()) === 'E2eTempRole', 120_000, 1000);
      await kubectl(['delete', 'crossaccountrole', 'e2e-temp-role', '-n', NS, '--wait=true', '--timeout=120s']);
      // The resource is gone only once the finalizer was dropped, which needs the role deleted first.
      expect(await get('crossaccountroles', 'e2e-temp-role')).toBeUndefined();
      expect(await roleInDev()).toBeUndefined();
      aws.destroy();
    },
    T,
  );

  it(
    'resumes a migration after the controller is killed right after MoveAccount reached AWS',
    async () => {
      let killed = false;
      onForwarded = async (r) => {
        if (r.key === 'organizations:MoveAccount' && !killed) {
          killed = true;
          await leader.kill('SIGKILL');
        }
      };
      await kubectl([
        'patch',
        'account',
        'dev',
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        '{"spec":{"parent":"security"},"metadata":{"annotations":{"orgplane.io/approve-migration":"true"}}}',
      ]);
      await waitFor(
        'the controller to be killed mid-migration',
        async () => killed && (leader.child.exitCode !== null || leader.child.signalCode !== null),
        60_000,
      );
      onForwarded = undefined;
      const mid = (await get('accounts', 'dev'))!;
      // The workflow snapshot was persisted before the AWS call it guards.
      expect(mid.status?.workflow?.kind).toBe('migrate');
      const [devAws] = await byEmail('aws-dev@securecart.example.com');
      expect(await parentName(devAws.Id!)).toBe('SecurityOU');

      leader = await start('b');
      const dev = await waitFor('dev to finish its migration', async () => {
        const o = await get('accounts', 'dev');
        return o && converged(o) && o.status?.ou === 'SecurityOU' ? o : undefined;
      });
      expect(dev.status?.id).toBe(devAws.Id);
      expect(await byEmail('aws-dev@securecart.example.com')).toHaveLength(1);
    },
    T,
  );

  it(
    'adopts, not duplicates, an account whose CreateAccount reached AWS before the controller died',
    async () => {
      let killed = false;
      onForwarded = async (r) => {
        if (r.key === 'organizations:CreateAccount' && !killed) {
          killed = true;
          await leader.kill('SIGKILL');
        }
      };
      await kubectl(
        ['apply', '-n', NS, '-f', '-'],
        `
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: analytics }
spec: { name: Analytics, email: aws-analytics@securecart.example.com, parent: workloads }
`,
      );
      await waitFor(
        'the controller to be killed after CreateAccount',
        async () => killed && (leader.child.exitCode !== null || leader.child.signalCode !== null),
        60_000,
      );
      onForwarded = undefined;
      expect(await byEmail('aws-analytics@securecart.example.com')).toHaveLength(1);
      leader = await start('c');
      const a = await waitFor('analytics to be adopted', async () => {
        const o = await get('accounts', 'analytics');
        return o && converged(o) ? o : undefined;
      });
      const aws = await byEmail('aws-analytics@securecart.example.com');
      expect(aws).toHaveLength(1);
      expect(a.status?.id).toBe(aws[0].Id);
      expect(await parentName(aws[0].Id!)).toBe('WorkloadsOU');
    },
    T,
  );

  it(
    'runs two replicas with one writer, and hands over when the leader goes',
    async () => {
      await waitFor('c to lead', async () => (await leaseHolder()) === leader.identity, 30_000);
      const follower = await start('d');
      await waitFor('the follower to be ready', async () => (await follower.get('/readyz')).status === 200, 30_000);
      expect((await follower.get('/metrics')).body).toContain('orgplane_leader 0');
      expect(await leaseHolder()).toBe(leader.identity);

      await kubectl(
        ['apply', '-n', NS, '-f', '-'],
        `
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata: { name: twin }
spec: { name: Twin, email: aws-twin@securecart.example.com, parent: shared-services }
`,
      );
      await waitFor('twin to converge', async () => {
        const o = await get('accounts', 'twin');
        return o && converged(o) ? o : undefined;
      });
      expect(await byEmail('aws-twin@securecart.example.com')).toHaveLength(1);
      expect(follower.log()).not.toMatch(/"msg":"reconciled"/);
      expect(follower.log()).not.toMatch(/"msg":"became leader"/);

      // A graceful stop releases the lease: the follower takes over without waiting it out.
      await leader.kill('SIGTERM');
      await waitFor('d to take the lease', async () => (await leaseHolder()) === follower.identity, 20_000);
      leader = follower;
      await kubectl(['patch', 'account', 'twin', '-n', NS, '--type', 'merge', '-p', '{"spec":{"tags":{"team":"twins"}}}']);
      await waitFor('d to reconcile the change', async () => {
        const o = await get('accounts', 'twin');
        return o && converged(o) && o.status?.conditions?.every((c) => (c as { observedGeneration?: number }).observedGeneration === o.metadata.generation)
          ? o
          : undefined;
      });
      expect(follower.log()).toMatch(/"msg":"reconciled"/);
      // Still no duplicate of anything.
      const emails = (await awsAccounts()).map((a) => a.Email);
      expect(new Set(emails).size).toBe(emails.length);
    },
    T,
  );

  // The shipped install (orgplane-system, the ServiceAccount token, its RBAC) is test/e2e/cluster.test.ts.

  it(
    'observe-only: reports pending changes in status and writes nothing to AWS',
    async () => {
      await leader.kill('SIGTERM');
      const observer = await start('observe', ['--observe-only']);
      leader = observer;
      await kubectl(['patch', 'account', 'cicd', '-n', NS, '--type', 'merge', '-p', '{"spec":{"parent":"workloads"}}']);
      const o = await waitFor('cicd to report ObserveOnly', async () => {
        const x = await get('accounts', 'cicd');
        return x && cond(x, 'Synced')?.reason === 'ObserveOnly' && cond(x, 'Synced')?.status === 'False' ? x : undefined;
      });
      expect(cond(o, 'Synced')?.message).toMatch(/pending/);
      const [cicd] = await byEmail('aws-cicd@securecart.example.com');
      expect(await parentName(cicd.Id!)).toBe('SharedServicesOU');
    },
    T,
  );
});
