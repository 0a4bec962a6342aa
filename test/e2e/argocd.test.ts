// Argo CD for real: the application-controller and repo-server built from the Go module proxy
// (scripts/argocd.sh), a git repository served by `git daemon` on loopback, a real
// kube-apiserver (scripts/testenv.sh), the orgplane controller as a process against moto.
// Argo CD syncs the app of apps of manifests/argocd from git; every health verdict below is
// Argo CD's own (its Lua runtime running the argocd-cm health checks), read back with kubectl.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OrganizationsClient,
  DescribeOrganizationalUnitCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { EXAMPLE_GROUPS } from '../../scripts/emulator-seed.js';
import { createOrganization, freePort, startMoto, TEST_CREDENTIALS, TEST_REGION, type MotoServer } from '../support/moto.js';
import { KUBECTL, REPO, kubectlFor, startController, startTestenv, waitFor, type ControllerProcess, type Testenv } from './support/testenv.js';

const run = promisify(execFile);
/** The namespace of the organization's resources (manifests/argocd/apps/securecart.yaml's destination). */
const NS = 'orgplane-org';
const ARGO_NS = 'argocd';
const T = 600_000;
const LOGS = `/tmp/orgplane-e2e-argocd-logs-${process.pid}`;
const ARGO_DIR = `/tmp/orgplane-e2e-argocd-${process.pid}`;
const SCRIPT = path.join(REPO, 'scripts/argocd.sh');

const env = await startTestenv();
let skip = 'skip' in env ? env.skip : undefined;
if (!skip) {
  // The Argo CD build is cached (~/.cache/orgplane/argocd/VERSION); the first one takes a while.
  try {
    await run('bash', [SCRIPT, 'build'], { timeout: 60 * 60_000, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    skip = `scripts/argocd.sh build failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-8).join(' | ')}`;
  }
}
if (skip && process.env.CI) throw new Error(`[e2e] Argo CD suite could not start: ${skip}`);
if (skip) console.warn(`[e2e] Argo CD tests skipped: ${skip}`);

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Obj {
  kind: string;
  metadata: { name: string; creationTimestamp: string; deletionTimestamp?: string; finalizers?: string[]; generation?: number };
  spec: Record<string, unknown>;
  status?: { conditions?: Cond[]; id?: string; ou?: string; workflow?: { phase: string } | null };
}
interface AppResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
  status?: string;
  health?: { status: string; message?: string };
  requiresPruning?: boolean;
}
interface App {
  metadata: { name: string; creationTimestamp: string };
  status?: {
    sync?: { status: string; revision?: string };
    health?: { status: string; message?: string };
    resources?: AppResource[];
    operationState?: {
      phase: string;
      message?: string;
      syncResult?: { revision: string; resources?: { kind: string; name: string; message?: string; status?: string; syncPhase?: string }[] };
    };
  };
}

describe.skipIf(skip !== undefined)(`Argo CD syncs orgplane from git${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const te = env as Testenv;
  const kubectl = kubectlFor(te.kubeconfig);
  let moto: MotoServer;
  let org: OrganizationsClient;
  let controller: ControllerProcess | undefined;
  let argoEnv: NodeJS.ProcessEnv;
  /** A clone of the served repository; commits are pushed to the bare repository by path. */
  const work = path.join(ARGO_DIR + '-work');
  let bare: string;

  const git = async (...args: string[]) =>
    (await run('git', ['-C', work, '-c', 'user.name=orgplane-e2e', '-c', 'user.email=e2e@orgplane.invalid', ...args])).stdout.trim();
  /** Commits the working copy (if it changed), pushes, and asks Argo CD to refresh at once (what a git webhook does). */
  const commit = async (message: string): Promise<string> => {
    if (await git('status', '--porcelain')) {
      await git('add', '-A');
      await git('commit', '-qm', message);
    }
    await git('push', '-q', bare, 'HEAD:main');
    for (const app of ['orgplane', 'orgplane-securecart']) {
      await kubectl(['annotate', 'application', app, '-n', ARGO_NS, 'argocd.argoproj.io/refresh=normal', '--overwrite']).catch(() => undefined);
    }
    return git('rev-parse', 'HEAD');
  };
  const edit = (file: string, f: (s: string) => string) => {
    const p = path.join(work, file);
    const before = readFileSync(p, 'utf8');
    const after = f(before);
    expect(after).not.toBe(before);
    writeFileSync(p, after);
  };

  const app = async (name: string): Promise<App> => JSON.parse(await kubectl(['get', 'application', name, '-n', ARGO_NS, '-o', 'json'])) as App;
  /** `kubectl get applications`: NAME, SYNC STATUS, HEALTH STATUS, as a user reads them. */
  const appTable = async (): Promise<{ text: string; rows: Map<string, { sync: string; health: string }> }> => {
    const text = await kubectl(['get', 'applications', '-n', ARGO_NS]);
    const [header, ...lines] = text.trim().split('\n');
    expect(header.trim().split(/\s{2,}/)).toEqual(['NAME', 'SYNC STATUS', 'HEALTH STATUS']);
    return { text, rows: new Map(lines.map((l) => l.trim().split(/\s+/)).map(([n, sync, health]) => [n, { sync, health }])) };
  };
  /** The table, once every named Application is Synced and Healthy (at git revision `sha`, when given). */
  const allSyncedHealthy = async (names: string[], sha?: string) => {
    const { rows, text } = await appTable();
    if (!names.every((n) => rows.get(n)?.sync === 'Synced' && rows.get(n)?.health === 'Healthy')) return undefined;
    if (sha) for (const n of names) if ((await app(n)).status?.sync?.revision !== sha) return undefined;
    return text;
  };
  const get = async (plural: string, name: string): Promise<Obj | undefined> => {
    try {
      return JSON.parse(await kubectl(['get', plural, name, '-n', NS, '-o', 'json'])) as Obj;
    } catch (e) {
      if (/NotFound/.test(String(e))) return undefined;
      throw e;
    }
  };
  const list = async (plural: string): Promise<Obj[]> => (JSON.parse(await kubectl(['get', plural, '-n', NS, '-o', 'json'])) as { items: Obj[] }).items;
  /** Argo CD's health of one resource of the securecart Application. */
  const argoHealth = async (kind: string, name: string) =>
    (await app('orgplane-securecart')).status?.resources?.find((r) => r.kind === kind && r.name === name)?.health;
  const parentName = async (accountId: string): Promise<string> => {
    const p = (await org.send(new ListParentsCommand({ ChildId: accountId }))).Parents![0];
    if (p.Type === 'ROOT') return 'Root';
    return (await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: p.Id! }))).OrganizationalUnit!.Name!;
  };
  const awsAccount = async (email: string) => ((await org.send(new ListAccountsCommand({}))).Accounts ?? []).find((a) => a.Email === email);
  const rootOUs = async () => {
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    return ((await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }))).OrganizationalUnits ?? []).map((o) => o.Name);
  };
  const diagnostics = async () => {
    const parts = [await kubectl(['get', 'applications', '-n', ARGO_NS, '-o', 'wide']).catch((e: Error) => e.message)];
    for (const n of ['orgplane', 'orgplane-install', 'orgplane-securecart']) {
      const a = await app(n).catch(() => undefined);
      parts.push(
        `${n}: ${JSON.stringify({ health: a?.status?.health, op: a?.status?.operationState?.phase, msg: a?.status?.operationState?.message, unhealthy: a?.status?.resources?.filter((r) => r.health && r.health.status !== 'Healthy') })}`,
      );
    }
    return `${parts.join('\n')}\nlogs: ${ARGO_DIR}/*.log, ${LOGS}`;
  };
  const waitApps = async (what: string, names: string[], sha?: string, timeout = 300_000) =>
    waitFor(what, () => allSyncedHealthy(names, sha), timeout, 1000).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${await diagnostics()}`);
    });

  beforeAll(async () => {
    mkdirSync(LOGS, { recursive: true });
    moto = await startMoto({ iamManagedPolicies: true });
    await createOrganization(moto.endpoint, EXAMPLE_GROUPS);
    org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    argoEnv = {
      ...process.env,
      KUBECONFIG: te.kubeconfig,
      KUBECTL,
      ARGOCD_DIR: ARGO_DIR,
      ARGOCD_REPO_SRC: REPO,
      ARGOCD_REDIS_PORT: String(await freePort()),
      ARGOCD_REPO_PORT: String(await freePort()),
      ARGOCD_GIT_PORT: String(await freePort()),
      ARGOCD_METRICS_PORT: String(await freePort()),
      ARGOCD_REPO_METRICS_PORT: String(await freePort()),
    };
    await run('bash', [SCRIPT, 'start'], { env: argoEnv, timeout: 5 * 60_000, maxBuffer: 16 << 20 });
    bare = path.join(ARGO_DIR, 'git/orgplane.git');
    const url = (await run('bash', [SCRIPT, 'repo-url'], { env: argoEnv })).stdout.trim();
    // Clone over the git protocol Argo CD uses, from the daemon.
    await run('git', ['clone', '-q', url, work]);
  }, 15 * 60_000);

  afterAll(async () => {
    await controller?.kill('SIGTERM');
    if (argoEnv) {
      // Keep Argo CD's logs next to the controller's: the state dir goes away on stop.
      await run('bash', ['-c', `cp "${ARGO_DIR}"/*.log "${LOGS}/" 2>/dev/null || true`]);
      await run('bash', [SCRIPT, 'stop'], { env: argoEnv }).catch(() => undefined);
    }
    await run('rm', ['-rf', work]);
    await moto?.stop();
    org?.destroy();
    await te.stop();
  }, 120_000);

  it(
    'syncs the app of apps in waves: CRDs first, then the organization; Argo CD reports every resource and Application Healthy',
    async () => {
      // The root Application, as manifests/argocd/application.yaml has it, pointed at the test app
      // of apps (its install has no controller Deployment: no kubelet here).
      const root = readFileSync(path.join(work, 'manifests/argocd/application.yaml'), 'utf8');
      expect(root).toContain(`repoURL: ${(await run('bash', [SCRIPT, 'repo-url'], { env: argoEnv })).stdout.trim()}`);
      await kubectl(['apply', '-f', '-'], root.replace('path: manifests/argocd/apps', 'path: manifests/argocd/test/apps'));

      // Wave -1: orgplane-install (CRDs, namespace, RBAC) becomes Synced and Healthy by itself.
      await waitApps('orgplane-install to be Synced and Healthy', ['orgplane-install']);
      for (const crd of ['accounts', 'organizationalunits', 'servicecontrolpolicies', 'organizations', 'permissionsets', 'crossaccountroles']) {
        expect(await kubectl(['get', 'crd', `${crd}.orgplane.io`, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'])).toBe('True');
      }

      // Wave 0: orgplane-securecart starts only now. No orgplane controller runs yet, so its wave 1
      // (the OUs) is applied and stays Progressing in Argo CD's eyes, and wave 2 (Accounts) waits.
      const ou = await waitFor(
        'wave 1 (OUs) to be applied and Progressing',
        async () => {
          const h = await argoHealth('OrganizationalUnit', 'workloads');
          return h?.status === 'Progressing' ? h : undefined;
        },
        180_000,
        1000,
      );
      expect(ou.message).toBe('Waiting for the orgplane controller');
      expect((await list('organizationalunits')).map((o) => o.metadata.name).sort()).toEqual(['security', 'shared-services', 'workloads']);
      expect(await list('accounts')).toEqual([]);
      const crdCreated = Date.parse(
        JSON.parse(await kubectl(['get', 'crd', 'organizationalunits.orgplane.io', '-o', 'json'])).metadata.creationTimestamp as string,
      );
      for (const o of await list('organizationalunits')) expect(Date.parse(o.metadata.creationTimestamp)).toBeGreaterThanOrEqual(crdCreated);
      // kubectl get applications: the organization is Missing (wave 2 not created yet), and the
      // root, through the Application health check, Progressing rather than Healthy.
      await waitFor(
        'the root Application to show Progressing',
        async () => {
          const { rows } = await appTable();
          return rows.get('orgplane-securecart')?.health === 'Missing' && rows.get('orgplane')?.health === 'Progressing';
        },
        60_000,
        1000,
      );

      // The orgplane controller (a process: no kubelet) reconciles against moto; every wave goes Healthy.
      controller = await startController({
        name: 'argocd',
        kubeconfig: te.kubeconfig,
        namespace: NS,
        endpoint: moto.endpoint,
        dir: LOGS,
        extra: ['--debounce', '2s', '--resync', '10s'],
      });
      const table = await waitApps(
        'all three Applications to be Synced and Healthy',
        ['orgplane', 'orgplane-install', 'orgplane-securecart'],
        undefined,
        480_000,
      );
      writeFileSync(path.join(LOGS, 'kubectl-get-applications.txt'), table);
      console.log(`kubectl get applications -n ${ARGO_NS}\n${table}`);

      // Argo CD's own health for every orgplane resource of the organization.
      const cart = (await app('orgplane-securecart')).status!;
      const orgplane = (cart.resources ?? []).filter((r) => r.group === 'orgplane.io');
      expect(orgplane.map((r) => r.kind).sort()).toEqual([
        ...Array(6).fill('Account'),
        ...Array(3).fill('CrossAccountRole'),
        'Organization',
        ...Array(3).fill('OrganizationalUnit'),
        ...Array(3).fill('PermissionSet'),
        ...Array(4).fill('ServiceControlPolicy'),
      ]);
      for (const r of orgplane) {
        expect(r.status, `${r.kind}/${r.name}`).toBe('Synced');
        expect(r.health?.status, `${r.kind}/${r.name}: ${r.health?.message}`).toBe('Healthy');
      }
      // ... and the child Applications as the root sees them (the Application health check).
      const rootApp = (await app('orgplane')).status!;
      expect(rootApp.resources?.map((r) => [r.name, r.health?.status]).sort()).toEqual([
        ['orgplane-install', 'Healthy'],
        ['orgplane-securecart', 'Healthy'],
      ]);
      // AWS agrees: all six accounts exist where the manifests say.
      const staging = await awsAccount('aws-staging@securecart.example.com');
      expect(await parentName(staging!.Id!)).toBe('WorkloadsOU');
      expect((await rootOUs()).sort()).toEqual(['SecurityOU', 'SharedServicesOU', 'WorkloadsOU']);
    },
    T,
  );

  it(
    'a committed move: Argo CD syncs it, the account moves in AWS, and its health goes Progressing then Healthy',
    async () => {
      const stagingId = (await get('accounts', 'staging'))!.status!.id!;
      edit('manifests/examples/securecart/accounts.yaml', (s) => s.replace(/(name: staging\n(?:.*\n)*?\s+parent:) workloads/, '$1 shared-services'));
      const sha = await commit('move staging to shared-services');

      // Argo CD's health of the Account, sampled while Argo CD syncs and the controller moves it.
      const seen: string[] = [];
      await waitFor(
        'staging to move and be Healthy again at the new revision',
        async () => {
          const [h, a, o] = await Promise.all([argoHealth('Account', 'staging'), app('orgplane-securecart'), get('accounts', 'staging')]);
          const label = `${h?.status}: ${h?.message}`;
          if (h && seen.at(-1) !== label) seen.push(label);
          // A move that changes the account's SCPs may wait for a person: approve it the documented way.
          if (o?.status?.workflow?.phase === 'AwaitingApproval') {
            await kubectl(['annotate', 'account', 'staging', '-n', NS, 'orgplane.io/approve-migration=true', '--overwrite']);
          }
          return a.status?.sync?.revision === sha && a.status.sync.status === 'Synced' && o?.status?.ou === 'SharedServicesOU' && h?.status === 'Healthy';
        },
        300_000,
        250,
      ).catch(async (e: Error) => {
        throw new Error(`${e.message}\nhealth seen: ${JSON.stringify(seen)}\n${await diagnostics()}`);
      });
      console.log(`Argo CD health of Account staging during the move: ${JSON.stringify(seen)}`);
      const firstProgressing = seen.findIndex((s) => s.startsWith('Progressing'));
      expect(firstProgressing, JSON.stringify(seen)).toBeGreaterThan(-1);
      expect(seen.at(-1)).toMatch(/^Healthy/);
      expect(await parentName(stagingId)).toBe('SharedServicesOU');
      expect(await waitApps('all Applications Healthy after the move', ['orgplane', 'orgplane-securecart'], sha)).toMatch(
        /orgplane-securecart\s+Synced\s+Healthy/,
      );
    },
    T,
  );

  it(
    'an invalid manifest committed: Argo CD reports it Degraded with the validation message; reverting heals',
    async () => {
      edit(
        'manifests/examples/securecart/ous.yaml',
        (s) => `${s}---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata:
  name: broken
spec:
  name: BrokenOU
  parent: no-such-ou
`,
      );
      const bad = await commit('add an OU under a parent that does not exist');
      const h = await waitFor(
        'Argo CD to report OU broken Degraded',
        async () => {
          const x = await argoHealth('OrganizationalUnit', 'broken');
          return x?.status === 'Degraded' ? x : undefined;
        },
        180_000,
        1000,
      ).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await diagnostics()}`);
      });
      // The message is the controller's validation message, through Argo CD's health check.
      const synced = (await get('organizationalunits', 'broken'))!.status!.conditions!.find((c) => c.type === 'Synced')!;
      expect(synced.reason).toBe('InvalidSpec');
      expect(synced.message).toContain('no-such-ou');
      expect(h.message).toBe(`InvalidSpec: ${synced.message}`);
      const { rows, text } = await waitFor(
        'kubectl get applications to show Degraded',
        async () => {
          const t = await appTable();
          return t.rows.get('orgplane-securecart')?.health === 'Degraded' && t.rows.get('orgplane')?.health === 'Degraded' ? t : undefined;
        },
        120_000,
        1000,
      );
      writeFileSync(path.join(LOGS, 'kubectl-get-applications-degraded.txt'), text);
      console.log(`kubectl get applications -n ${ARGO_NS} (invalid commit ${bad.slice(0, 7)})\n${text}`);
      expect(rows.get('orgplane-install')).toEqual({ sync: 'Synced', health: 'Healthy' });
      // Nothing was created for it in AWS.
      expect(await rootOUs()).not.toContain('BrokenOU');

      // Revert in git: the next sync (retry.refresh: the retry takes the newest commit) prunes it.
      await git('revert', '--no-edit', 'HEAD');
      const fixed = await commit('revert the broken OU');
      await waitApps('all Applications Healthy after the revert', ['orgplane', 'orgplane-securecart'], fixed);
      expect(await get('organizationalunits', 'broken')).toBeUndefined();
    },
    T,
  );

  it(
    'deleting resources from git: Argo CD prunes them and the deletionPolicy decides what happens in AWS',
    async () => {
      edit(
        'manifests/examples/securecart/ous.yaml',
        (s) => `${s}---
apiVersion: orgplane.io/v1alpha1
kind: OrganizationalUnit
metadata:
  name: sandbox
spec:
  name: SandboxOU
  parent: root
  deletionPolicy: Delete
`,
      );
      edit(
        'manifests/examples/securecart/accounts.yaml',
        (s) => `${s}---
apiVersion: orgplane.io/v1alpha1
kind: Account
metadata:
  name: temp
spec:
  name: Temp
  email: aws-temp@securecart.example.com
  parent: workloads
`,
      );
      const added = await commit('add a sandbox OU (deletionPolicy Delete) and a temp account (Retain, the default)');
      await waitApps('the additions to be Synced and Healthy', ['orgplane', 'orgplane-securecart'], added);
      // The Application can report the new revision Healthy a refresh before its resource list
      // holds the new objects; wait until Argo CD's own health of each of them is Healthy.
      for (const [kind, name] of [
        ['OrganizationalUnit', 'sandbox'],
        ['Account', 'temp'],
      ]) {
        await waitFor(`Argo CD's health of ${kind}/${name} to be Healthy`, async () => (await argoHealth(kind, name))?.status === 'Healthy', 180_000, 1000);
      }
      expect(await rootOUs()).toContain('SandboxOU');
      const temp = await awsAccount('aws-temp@securecart.example.com');
      expect(temp?.Status).toBe('ACTIVE');
      for (const [plural, name] of [
        ['organizationalunits', 'sandbox'],
        ['accounts', 'temp'],
      ]) {
        expect((await get(plural, name))!.metadata.finalizers).toContain('orgplane.io/finalizer');
      }

      await git('revert', '--no-edit', 'HEAD');
      const removed = await commit('remove the sandbox OU and the temp account');

      // Delete: Argo CD's prune sets deletionTimestamp; the finalizer holds the OU until AWS is done.
      const states: string[] = [];
      await waitFor(
        'both to be gone from Kubernetes',
        async () => {
          const [ou, acct] = await Promise.all([get('organizationalunits', 'sandbox'), get('accounts', 'temp')]);
          if (ou?.metadata.deletionTimestamp) {
            const s = `sandbox deleting, finalizers=${JSON.stringify(ou.metadata.finalizers)}`;
            if (!states.includes(s)) states.push(s);
          }
          return ou === undefined && acct === undefined;
        },
        300_000,
        200,
      ).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await diagnostics()}`);
      });
      console.log(`prune: ${JSON.stringify(states)}`);
      expect(states).toContain('sandbox deleting, finalizers=["orgplane.io/finalizer"]');
      // Delete: the OU is gone from AWS. Retain: the account is untouched.
      expect(await rootOUs()).not.toContain('SandboxOU');
      const after = await awsAccount('aws-temp@securecart.example.com');
      expect(after?.Status).toBe('ACTIVE');
      expect(await parentName(after!.Id!)).toBe('WorkloadsOU');
      const events = await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=sandbox', '-o', 'jsonpath={.items[*].reason}']);
      expect(events.split(' ')).toContain('DeletedOU');
      await waitApps('all Applications Synced and Healthy after the prune', ['orgplane', 'orgplane-install', 'orgplane-securecart'], removed);
    },
    T,
  );
});
