// `orgplane controller`: the Kubernetes controller process. runController() is the library
// entry (tests run it in-process); controllerMain() parses flags for the CLI.
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { Logger, LevelWithSilent } from 'pino';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { StopRequested } from '../aws/abort.js';
import { createAwsClients, type AwsClients } from '../aws/clients.js';
import { fraction, nonNegativeInt, positiveInt } from '../cli/options.js';
import { loadKubeConfig, makeApis, type KubeApis } from './client.js';
import { Controller } from './controller.js';
import { engineReconciler } from './engine-reconciler.js';
import { HealthServer } from './health.js';
import { createLogger } from './log.js';
import { ControllerMetrics } from './metrics.js';
import type { Reconciler } from './reconciler.js';
import { startOrgWebhook, type RunningWebhook, type WebhookConfig } from './webhook.js';
import { workflowConfigMapName } from './workflow-store.js';

export interface RunControllerOptions {
  /** The org namespace whose resources form the org graph (--watch-namespace). */
  namespace: string;
  /** The controller's own namespace: Lease, workflow ConfigMap, webhook Secret (default POD_NAMESPACE, else `namespace`). */
  controllerNamespace?: string;
  /** ConfigMap (in controllerNamespace) holding workflow snapshots; default orgplane-workflows-<namespace>. */
  workflowConfigMap?: string;
  /** Serve the validating admission webhook (off when undefined). */
  webhook?: WebhookConfig;
  kubeconfig?: string;
  apis?: KubeApis;
  /** AWS endpoint (an emulator), region and credentials; default: the SDK's chain. */
  endpoint?: string;
  region?: string;
  credentials?: AwsCredentialIdentity;
  /** Replaces the engine (tests of the Kubernetes side). */
  reconciler?: Reconciler;
  observeOnly?: boolean;
  identity?: string;
  leaderElection?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  renewDeadlineMs?: number;
  debounceMs?: number;
  maxDelayMs?: number;
  resyncMs?: number;
  requeueMs?: number;
  concurrency?: number;
  /** Client-side AWS requests per second for every service (0 = unlimited); default: per-service limits. */
  awsTps?: number;
  /** Operator's deletion guards (manifests may only lower them); default 0.25 and 1. */
  maxDeleteFraction?: number;
  maxClosuresPerRun?: number;
  /** How long Organizations tags are reused across reconciles (0 = read every time). */
  tagCacheTtlMs?: number;
  /** Health/metrics port; 0 = any free port; -1 = no server. */
  port?: number;
  host?: string;
  log?: Logger;
  logLevel?: LevelWithSilent;
  /** Stop the controller when leadership is lost (the CLI does, so the pod restarts clean). */
  exitOnLeadershipLoss?: boolean;
  /** Approvals are not separated: the orgplane.io/approve-migration annotation also approves a move (then is cleared). */
  allowSelfApproval?: boolean;
}

export interface ControllerHandle {
  controller: Controller;
  metrics: ControllerMetrics;
  clients?: AwsClients;
  /** Bound health/metrics port (undefined with port -1). */
  port?: number;
  /** Bound webhook port (undefined without a webhook). */
  webhookPort?: number;
  identity: string;
  log: Logger;
  /** Resolves with the reason when the controller stops on its own (leadership lost). */
  done: Promise<string>;
  /** Stops promptly: a running reconcile is aborted (reads end, writes in flight finish); `reason` says why. */
  stop(opts?: { releaseLease?: boolean; reason?: Error }): Promise<void>;
}

/** Long enough that steady-state reconciles skip the per-object tag reads; short enough to see out-of-band tag edits. */
export const DEFAULT_TAG_CACHE_TTL_MS = 30 * 60_000;

/** The engine reconciler over AWS clients built from the options (endpoint, region, rate limits). */
function awsReconciler(o: RunControllerOptions): { clients: AwsClients; reconciler: Reconciler } {
  const tps = o.awsTps;
  const rateLimits =
    tps === undefined
      ? undefined
      : Object.fromEntries((['Organizations', 'SSOAdmin', 'IAM', 'STS', 'Identitystore'] as const).map((s) => [s, { tps, burst: Math.max(1, tps) }]));
  const clients = createAwsClients({
    endpoint: o.endpoint,
    region: o.region,
    credentials: o.credentials,
    rateLimits,
    tagCacheTtlMs: o.tagCacheTtlMs ?? DEFAULT_TAG_CACHE_TTL_MS,
  });
  const reconciler = engineReconciler(clients, {
    concurrency: o.concurrency,
    guards: { maxDeleteFraction: o.maxDeleteFraction, maxAccountClosuresPerRun: o.maxClosuresPerRun },
  });
  return { clients, reconciler };
}

interface ControllerParts {
  apis: KubeApis;
  identity: string;
  controllerNamespace: string;
  reconciler: Reconciler;
  log: Logger;
  metrics: ControllerMetrics;
  clients: AwsClients | undefined;
  finish: (reason: string) => void;
}

/** The Controller with the options' defaults filled in (timings, Lease, workflow ConfigMap). */
function newController(
  o: RunControllerOptions,
  { apis, identity, controllerNamespace, reconciler, log, metrics, clients, finish }: ControllerParts,
): Controller {
  const renewIntervalMs = o.renewIntervalMs ?? 5000;
  const leaseDurationSeconds = o.leaseDurationSeconds ?? 15;
  return new Controller({
    apis,
    namespace: o.namespace,
    workflowConfigMap: { namespace: controllerNamespace, name: o.workflowConfigMap ?? workflowConfigMapName(o.namespace) },
    identity,
    reconciler,
    observeOnly: o.observeOnly ?? false,
    leaderElection: {
      enabled: o.leaderElection ?? true,
      namespace: o.leaseNamespace ?? controllerNamespace,
      name: o.leaseName ?? `orgplane-${o.namespace}`,
      leaseDurationSeconds,
      renewIntervalMs,
      renewDeadlineMs: o.renewDeadlineMs ?? Math.min((leaseDurationSeconds * 1000 * 2) / 3, renewIntervalMs * 2),
    },
    debounceMs: o.debounceMs ?? 2000,
    maxDelayMs: o.maxDelayMs ?? 10_000,
    resyncMs: o.resyncMs ?? 5 * 60_000,
    requeueMs: o.requeueMs ?? 10_000,
    log,
    metrics,
    awsCalls: clients?.calls,
    onLeadershipLost: (reason) => {
      if (o.exitOnLeadershipLoss) finish(`leadership lost: ${reason}`);
    },
    allowSelfApproval: o.allowSelfApproval,
  });
}

/** The health and metrics server; not started. */
function healthServer(o: RunControllerOptions, metrics: ControllerMetrics, controller: Controller, clients: AwsClients | undefined): HealthServer {
  return new HealthServer({
    port: o.port ?? 8080,
    host: o.host,
    registry: metrics.registry,
    readiness: () => controller.readiness(),
    beforeMetrics: () => {
      metrics.queueDepth.set(controller.scheduler.depth());
      if (clients) metrics.syncAwsCalls(clients.calls);
    },
  });
}

export async function runController(o: RunControllerOptions): Promise<ControllerHandle> {
  const identity = o.identity ?? `${process.env.POD_NAME ?? hostname()}_${process.pid}`;
  const log = o.log ?? createLogger(o.logLevel ?? 'info', { namespace: o.namespace, identity });
  const apis = o.apis ?? makeApis(loadKubeConfig(o.kubeconfig));
  const metrics = new ControllerMetrics(o.port !== -1);
  const controllerNamespace = o.controllerNamespace ?? process.env.POD_NAMESPACE ?? o.namespace;
  const { clients, reconciler } = o.reconciler ? { clients: undefined, reconciler: o.reconciler } : awsReconciler(o);
  let finish!: (reason: string) => void;
  const done = new Promise<string>((resolve) => {
    finish = resolve;
  });
  const controller = newController(o, { apis, identity, controllerNamespace, reconciler, log, metrics, clients, finish });
  const server = o.port === -1 ? undefined : healthServer(o, metrics, controller, clients);
  const port = await server?.start();
  await controller.start();
  let webhook: RunningWebhook | undefined;
  if (o.webhook) {
    const w = controller.watcher;
    webhook = await startOrgWebhook(
      apis,
      o.webhook,
      { namespace: o.namespace, cached: () => w.cached(), synced: () => w.synced(), fresh: () => w.listFresh() },
      log,
    );
  }
  log.info({ port, observeOnly: o.observeOnly ?? false, leaderElection: o.leaderElection ?? true }, 'controller started');
  let stopped = false;
  const stop = async (opts: { releaseLease?: boolean; reason?: Error } = {}) => {
    if (stopped) return;
    stopped = true;
    await controller.stop(opts);
    await webhook?.stop();
    await server?.stop();
    clients?.destroy();
    finish('stopped');
  };
  return { controller, metrics, clients, port, webhookPort: webhook?.port, identity, log, done, stop };
}

/** "500ms", "2s", "5m", "1h" or plain seconds -> milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`invalid duration "${v}" (use e.g. 500ms, 2s, 5m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

/** The `orgplane controller` command line: flags, defaults and help. */
function controllerCommand(): Command {
  return new Command('orgplane controller')
    .description('Kubernetes controller: reconcile the orgplane.io resources of one namespace to the AWS Organization')
    .option(
      '--watch-namespace <ns>',
      'the organization namespace: its orgplane resources form the organization graph (default WATCH_NAMESPACE, else POD_NAMESPACE)',
    )
    .option('-n, --namespace <ns>', 'deprecated alias of --watch-namespace')
    .option(
      '--controller-namespace <ns>',
      "the controller's own namespace: Lease, workflow ConfigMap, webhook Secret (default POD_NAMESPACE, else the watch namespace)",
      process.env.POD_NAMESPACE,
    )
    .option('--workflow-configmap <name>', 'ConfigMap in the controller namespace that keeps workflow snapshots (default orgplane-workflows-<watch namespace>)')
    .option('--webhook-port <n>', 'serve the validating admission webhook (HTTPS, path /validate) on this port; off when unset', (v) => Number.parseInt(v, 10))
    .option('--webhook-hosts <list>', 'comma-separated DNS names / IPv4 addresses of the webhook certificate', 'orgplane-webhook.orgplane-system.svc')
    .option('--webhook-config <name>', 'ValidatingWebhookConfiguration whose caBundle the controller sets', 'orgplane-validation')
    .option('--webhook-secret <name>', 'Secret in the controller namespace that keeps the webhook CA and certificate', 'orgplane-webhook-tls')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--endpoint <url>', 'AWS endpoint (an emulator such as moto); default AWS_ENDPOINT_URL or real AWS')
    .option('--region <region>', 'AWS region', process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1')
    .option('--observe-only', 'plan and report in status, never write to AWS')
    .option(
      '--allow-self-approval',
      'approvals are not separated from authoring: the orgplane.io/approve-migration annotation on an Account also approves its move (and is removed once the move is done); default: only Approval resources approve',
    )
    .option('--identity <id>', 'leader election identity (default: pod name + pid)')
    .option('--no-leader-election', 'reconcile without a Lease (one replica only)')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease (default: the controller namespace)')
    .option('--lease-name <name>', 'name of the leader Lease (default: orgplane-<namespace>)')
    .option('--lease-duration <d>', 'lease duration', '15s')
    .option('--renew-interval <d>', 'how often the leader renews', '5s')
    .option('--debounce <d>', 'quiet time after the last change before a reconcile', '2s')
    .option('--resync <d>', 'periodic drift resync', '5m')
    .option('--requeue <d>', 'recheck interval while deletions or workflows are under way', '10s')
    .option('--concurrency <n>', 'AWS writes in flight at once', positiveInt, 4)
    .option(
      '--max-delete-fraction <share>',
      'circuit breaker: refuse deletions of more than this share of managed objects in one run (a manifest may only lower it)',
      fraction,
      0.25,
    )
    .option('--max-closures-per-run <n>', 'account closures one run may start (a manifest may only lower it)', nonNegativeInt, 1)
    .option('--aws-tps <n>', 'client-side AWS requests per second per service, 0 = unlimited (default: per-service limits below AWS quotas)', (v) =>
      Number.parseFloat(v),
    )
    .option(
      '--tag-cache-ttl <d>',
      'reuse Organizations tags across reconciles this long (tags orgplane writes are refreshed at once; 0 = read every time)',
      '30m',
    )
    .option('--port <n>', 'health and metrics port (/healthz, /readyz, /metrics)', (v) => Number.parseInt(v, 10), 8080)
    .option('--log-level <level>', 'trace|debug|info|warn|error', process.env.LOG_LEVEL ?? 'info')
    .option('--shutdown-timeout <d>', "on SIGTERM, exit anyway after this long (keep it below the pod's terminationGracePeriodSeconds)", '20s')
    .exitOverride();
}

/** The parsed flags of `orgplane controller`. */
interface ControllerFlags {
  watchNamespace?: string;
  namespace?: string;
  controllerNamespace?: string;
  workflowConfigmap?: string;
  webhookPort?: number;
  webhookHosts: string;
  webhookConfig: string;
  webhookSecret: string;
  kubeconfig?: string;
  endpoint?: string;
  region: string;
  observeOnly?: boolean;
  allowSelfApproval?: boolean;
  identity?: string;
  leaderElection: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDuration: string;
  renewInterval: string;
  debounce: string;
  resync: string;
  requeue: string;
  concurrency: number;
  maxDeleteFraction: number;
  maxClosuresPerRun: number;
  awsTps?: number;
  tagCacheTtl: string;
  port: number;
  logLevel: LevelWithSilent;
  shutdownTimeout: string;
}

/** The flags as runController options (namespaces resolved, durations parsed). */
function runControllerOptions(f: ControllerFlags): RunControllerOptions {
  const namespace = f.watchNamespace ?? f.namespace ?? process.env.WATCH_NAMESPACE ?? process.env.POD_NAMESPACE ?? 'default';
  const controllerNamespace = f.controllerNamespace ?? namespace;
  return {
    namespace,
    controllerNamespace,
    workflowConfigMap: f.workflowConfigmap,
    webhook:
      f.webhookPort === undefined
        ? undefined
        : {
            port: f.webhookPort,
            hosts: f.webhookHosts
              .split(',')
              .map((h) => h.trim())
              .filter(Boolean),
            configName: f.webhookConfig,
            certSecret: { namespace: controllerNamespace, name: f.webhookSecret },
          },
    kubeconfig: f.kubeconfig,
    endpoint: f.endpoint,
    region: f.region,
    observeOnly: f.observeOnly,
    allowSelfApproval: f.allowSelfApproval ?? false,
    identity: f.identity,
    leaderElection: f.leaderElection,
    leaseNamespace: f.leaseNamespace,
    leaseName: f.leaseName,
    leaseDurationSeconds: Math.round(parseDuration(f.leaseDuration) / 1000),
    renewIntervalMs: parseDuration(f.renewInterval),
    debounceMs: parseDuration(f.debounce),
    resyncMs: parseDuration(f.resync),
    requeueMs: parseDuration(f.requeue),
    concurrency: f.concurrency,
    maxDeleteFraction: f.maxDeleteFraction,
    maxClosuresPerRun: f.maxClosuresPerRun,
    awsTps: f.awsTps,
    tagCacheTtlMs: parseDuration(f.tagCacheTtl),
    port: f.port,
    logLevel: f.logLevel,
    exitOnLeadershipLoss: true,
  };
}

export async function controllerMain(argv: string[]): Promise<void> {
  const cmd = controllerCommand();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    // --help and --version are not failures.
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')) return;
    throw err;
  }
  const f = cmd.opts<ControllerFlags>();
  const handle = await runController(runControllerOptions(f));
  process.exit(await runUntilStopped(handle, parseDuration(f.shutdownTimeout)));
}

/** Why the process ends: a signal (a clean stop) or a lost Lease. */
export type StopCause = { signal: NodeJS.Signals } | { lost: string };

/** The first of SIGTERM, SIGINT, or the controller stopping on its own. */
export function nextStopCause(done: Promise<string>): Promise<StopCause> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve({ signal });
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    void done.then((reason) => resolve({ lost: reason }));
  });
}

/**
 * Waits for a stop cause and stops; returns the exit code. On a signal the running reconcile is
 * aborted and the Lease released, so the follower takes over at once: exit 0. On a lost Lease:
 * exit 1 so the pod restarts clean (client-go does the same). A second signal, or a stop that
 * outlasts `timeoutMs` (a write that hangs), exits 1 at once; the Lease then simply expires.
 */
export async function runUntilStopped(handle: ControllerHandle, timeoutMs: number): Promise<number> {
  const { log } = handle;
  const cause = await nextStopCause(handle.done);
  const started = Date.now();
  const graceful = 'signal' in cause;
  log.info({ cause }, graceful ? `received ${cause.signal}: stopping` : 'stopping: leadership lost');
  const hurry = (why: string) => {
    log.error({ ms: Date.now() - started }, `${why}: exiting now, the Lease expires on its own`);
    process.exit(1);
  };
  // Not unref'd: it also keeps the process alive until the stop has really finished.
  const timer = setTimeout(() => hurry(`stop took longer than ${timeoutMs}ms`), timeoutMs);
  process.once('SIGTERM', () => hurry('second SIGTERM'));
  process.once('SIGINT', () => hurry('second SIGINT'));
  await handle.stop({ releaseLease: graceful, reason: graceful ? new StopRequested(cause.signal) : undefined });
  clearTimeout(timer);
  log.info({ ms: Date.now() - started, leaseReleased: graceful }, 'stopped');
  return graceful ? 0 : 1;
}

// `tsx controller/kube/main.ts [flags]` (or node dist/kube/main.js) runs the controller directly.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  controllerMain(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`orgplane controller: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
