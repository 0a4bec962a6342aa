// The real kube-apiserver + etcd for e2e tests (scripts/testenv.sh), kubectl, and controller
// processes. Each e2e run gets its own state dir and ports, so it never disturbs a testenv a
// developer has running.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../support/moto.js';

const run = promisify(execFile);
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const KUBECTL = process.env.ORGPLANE_KUBECTL ?? (existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : 'kubectl');

export interface Testenv {
  kubeconfig: string;
  dir: string;
  stop(): Promise<void>;
}

/** Builds (cached) and starts the testenv; returns why not when it cannot. */
export async function startTestenv(): Promise<Testenv | { skip: string }> {
  if (process.env.ORGPLANE_E2E_KUBECONFIG) {
    return { kubeconfig: process.env.ORGPLANE_E2E_KUBECONFIG, dir: path.dirname(process.env.ORGPLANE_E2E_KUBECONFIG), stop: async () => {} };
  }
  const dir = `/tmp/orgplane-e2e-${process.pid}`;
  const env = {
    ...process.env,
    TESTENV_DIR: dir,
    TESTENV_ETCD_PORT: String(await freePort()),
    TESTENV_ETCD_PEER_PORT: String(await freePort()),
    TESTENV_APISERVER_PORT: String(await freePort()),
  };
  const script = path.join(REPO, 'scripts/testenv.sh');
  if (!existsSync(script)) return { skip: 'scripts/testenv.sh does not exist' };
  for (const step of ['build', 'start']) {
    try {
      await run('bash', [script, step], { env, timeout: 45 * 60_000, maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      return { skip: `scripts/testenv.sh ${step} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-8).join(' | ')}` };
    }
  }
  return {
    kubeconfig: path.join(dir, 'kubeconfig'),
    dir,
    stop: async () => {
      await run('bash', [script, 'stop'], { env }).catch(() => undefined);
    },
  };
}

export function kubectlFor(kubeconfig: string) {
  return async (args: string[], input?: string): Promise<string> => {
    return new Promise((resolve, reject) => {
      const child = execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 90_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 500)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ControllerProcess {
  name: string;
  identity: string;
  port: number;
  logFile: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  get(p: string): Promise<{ status: number; body: string }>;
}

/** Starts `orgplane controller` (controller/kube/main.ts under tsx) as a child process. */
export async function startController(o: {
  name: string;
  kubeconfig: string;
  namespace: string;
  endpoint: string;
  dir: string;
  extra?: string[];
}): Promise<ControllerProcess> {
  const port = await freePort();
  const identity = `e2e-${o.name}`;
  mkdirSync(o.dir, { recursive: true });
  const logFile = path.join(o.dir, `controller-${o.name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO, 'controller/kube/main.ts'),
      '--kubeconfig',
      o.kubeconfig,
      '--namespace',
      o.namespace,
      '--endpoint',
      o.endpoint,
      '--region',
      'us-east-1',
      '--identity',
      identity,
      '--port',
      String(port),
      '--lease-name',
      'orgplane-e2e',
      '--lease-duration',
      '4s',
      '--renew-interval',
      '1s',
      '--debounce',
      '300ms',
      '--requeue',
      '1s',
      '--aws-tps',
      '50',
      '--log-level',
      'debug',
      ...(o.extra ?? []),
    ],
    {
      cwd: REPO,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: ControllerProcess = {
    name: o.name,
    identity,
    port,
    logFile,
    child,
    exited,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    async get(p: string) {
      const r = await fetch(`http://127.0.0.1:${port}${p}`);
      return { status: r.status, body: await r.text() };
    },
  };
  await waitFor(
    `controller ${o.name} health endpoint`,
    async () => {
      if (child.exitCode !== null) throw new Error(`controller ${o.name} exited: ${proc.log().slice(-2000)}`);
      return (await proc.get('/healthz')).status === 200;
    },
    60_000,
    250,
  );
  return proc;
}

/** The flags of the controller as manifests/install runs it (orgplane-system, its Lease, ConfigMap and webhook), for a process on loopback. */
export function shippedControllerFlags(controllerNamespace: string, webhookPort: number, resync: string): string[] {
  return [
    '--controller-namespace',
    controllerNamespace,
    '--lease-name',
    'orgplane-controller',
    '--workflow-configmap',
    'orgplane-workflows',
    '--webhook-port',
    String(webhookPort),
    '--webhook-hosts',
    '127.0.0.1',
    '--webhook-config',
    'orgplane-validation',
    '--webhook-secret',
    'orgplane-webhook-tls',
    '--resync',
    resync,
  ];
}
