// One place that builds every AWS SDK client orgplane uses, pointed at real AWS or at a local
// emulator (--endpoint / AWS_ENDPOINT_URL), with the call counting every benchmark and test reads.
// Rate limiting and retries are SDK middleware (aws/middleware.ts) on every client, so any code
// holding an AwsClients gets them without thinking about it; so is stopping: a call made inside
// withAbortSignal (aws/abort.ts) is cut off when that signal fires, if it is a read.
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { TagCache, tagInvalidationPlugin } from './tag-cache.js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpHandlerOptions, Pluggable, RequestHandler } from '@aws-sdk/types';
import { currentAbortSignal } from './abort.js';
import { DEFAULT_RATE_LIMITS, DEFAULT_RETRY, createLimiter, orgplanePlugin, type RateLimit, type RetryOptions, type ServiceName } from './middleware.js';
import type { RateLimiter } from './rate-limiter.js';

export interface AwsOptions {
  endpoint?: string;
  region?: string;
  credentials?: AwsCredentialIdentity;
}

export interface CreateAwsClientsOptions extends AwsOptions {
  /** Per-service client-side limits; merged over DEFAULT_RATE_LIMITS. tps 0 = unlimited. */
  rateLimits?: Partial<Record<ServiceName, Partial<RateLimit>>>;
  retry?: Partial<RetryOptions>;
  /** Session name for sts:AssumeRole in forAccount. */
  roleSessionName?: string;
  /**
   * SourceIdentity sent on every sts:AssumeRole (default "orgplane"): CloudTrail in the member
   * account shows orgplane behind every call, and docs/iam-policy.json allows AssumeRole only with it.
   */
  sourceIdentity?: string;
  /** Keep Organizations tags this long across reads (a long-running controller); 0/unset = always read. */
  tagCacheTtlMs?: number;
}

/** Counts of AWS calls by "Service:Operation", and of their outcomes. */
export class CallLog {
  readonly byOperation = new Map<string, number>();
  readonly byOutcome = new Map<string, number>();
  total = 0;
  record(operation: string, outcome: string): void {
    this.total++;
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + 1);
    const k = `${operation}:${outcome}`;
    this.byOutcome.set(k, (this.byOutcome.get(k) ?? 0) + 1);
  }
  /** Calls whose operation name does not start with List/Describe/Get. */
  writes(): number {
    let n = 0;
    for (const [op, c] of this.byOperation) if (!/:(List|Describe|Get)/.test(op)) n += c;
    return n;
  }
  reset(): void {
    this.byOperation.clear();
    this.byOutcome.clear();
    this.total = 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.byOperation].sort());
  }
}

export interface AccountClients {
  accountId: string;
  iam: IAMClient;
}

export interface AwsClients {
  options: AwsOptions;
  organizations: OrganizationsClient;
  iam: IAMClient;
  ssoAdmin: SSOAdminClient;
  sts: STSClient;
  identityStore: IdentitystoreClient;
  calls: CallLog;
  /** Tags kept across reads (controller); undefined = every read asks AWS. */
  tagCache?: TagCache;
  /** IAM client in a member account, through sts:AssumeRole of roleName there (cached per account). */
  forAccount(accountId: string, roleName: string): Promise<AccountClients>;
  destroy(): void;
}

/** Re-assume this long before the session expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;

interface ClientConfig {
  endpoint?: string;
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts: number;
}

// biome-ignore lint/suspicious/noExplicitAny: SDK boundary, each client's handler has its own request/response types
type SdkRequestHandler = RequestHandler<any, any, HttpHandlerOptions>;
interface Usable {
  // biome-ignore lint/suspicious/noExplicitAny: SDK boundary, one middleware plugged into clients with different input/output types
  middlewareStack: { use(p: Pluggable<any, any>): void };
  destroy(): void;
  config: { requestHandler: SdkRequestHandler };
}

/**
 * Makes the client's HTTP handler abort a request when the abort signal of its call's scope
 * fires. The SDK closes the options given to send() over its final handler, out of reach of any
 * middleware, so the handler itself is the one place that sees both the request and a signal.
 * The orgplane middleware sets that scope per call: the reconcile's signal for a read, none for
 * a write. The client owns its handler instance alone, so wrapping its method affects nobody else.
 */
function abortOnScopeSignal(handler: SdkRequestHandler): void {
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options = {}) => {
    const scoped = currentAbortSignal();
    if (!scoped) return handle(request, options);
    const own = options.abortSignal;
    return handle(request, { ...options, abortSignal: own instanceof AbortSignal ? AbortSignal.any([own, scoped]) : scoped });
  };
}

export function createAwsClients(opts: CreateAwsClientsOptions = {}): AwsClients {
  const endpoint = opts.endpoint ?? (process.env.AWS_ENDPOINT_URL || undefined);
  const region = opts.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const options: AwsOptions = { endpoint, region, credentials: opts.credentials };
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...opts.retry };
  const calls = new CallLog();
  const limiters = new Map<ServiceName, RateLimiter | undefined>();
  const limiterFor = (service: ServiceName): RateLimiter | undefined => {
    if (!limiters.has(service)) {
      limiters.set(service, createLimiter({ ...DEFAULT_RATE_LIMITS[service], ...opts.rateLimits?.[service] }));
    }
    return limiters.get(service);
  };
  const owned: Usable[] = [];
  // maxAttempts: 1 turns the SDK's retries off; ours count and pace every attempt.
  const base: ClientConfig = { endpoint, region, credentials: opts.credentials, maxAttempts: 1 };
  function instrument<C extends Usable>(client: C, service: ServiceName): C {
    client.middlewareStack.use(orgplanePlugin({ service, calls, limiter: limiterFor(service), retry }));
    abortOnScopeSignal(client.config.requestHandler);
    owned.push(client);
    return client;
  }

  const sts = instrument(new STSClient(base), 'STS');
  const accountCache = new Map<string, Promise<AccountClients>>();
  const sessionName = opts.roleSessionName ?? 'orgplane';
  const sourceIdentity = opts.sourceIdentity ?? 'orgplane';

  async function assume(accountId: string, roleName: string): Promise<AwsCredentialIdentity> {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: sessionName,
        SourceIdentity: sourceIdentity,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new Error(`sts:AssumeRole into ${accountId} role ${roleName} returned no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }

  async function openAccount(accountId: string, roleName: string): Promise<AccountClients> {
    // First AssumeRole up front so that a denied role fails here, not on some later IAM call.
    let current = await assume(accountId, roleName);
    const provider: AwsCredentialIdentityProvider = async () => {
      const exp = current.expiration?.getTime();
      if (exp !== undefined && exp - Date.now() < REFRESH_MARGIN_MS) current = await assume(accountId, roleName);
      return current;
    };
    const iam = instrument(new IAMClient({ ...base, credentials: provider }), 'IAM');
    return { accountId, iam };
  }

  const tagCache = opts.tagCacheTtlMs && opts.tagCacheTtlMs > 0 ? new TagCache(opts.tagCacheTtlMs) : undefined;
  const organizations = instrument(new OrganizationsClient(base), 'Organizations');
  if (tagCache) organizations.middlewareStack.use(tagInvalidationPlugin(tagCache));

  return {
    options,
    organizations,
    tagCache,
    iam: instrument(new IAMClient(base), 'IAM'),
    ssoAdmin: instrument(new SSOAdminClient(base), 'SSOAdmin'),
    sts,
    identityStore: instrument(new IdentitystoreClient(base), 'Identitystore'),
    calls,
    forAccount(accountId: string, roleName: string): Promise<AccountClients> {
      const key = `${accountId}/${roleName}`;
      let p = accountCache.get(key);
      if (!p) {
        p = openAccount(accountId, roleName);
        accountCache.set(key, p);
        // A failed AssumeRole is not cached: the next reconcile tries again.
        p.catch(() => {
          if (accountCache.get(key) === p) accountCache.delete(key);
        });
      }
      return p;
    },
    destroy(): void {
      for (const c of owned) c.destroy();
      owned.length = 0;
      accountCache.clear();
      for (const l of limiters.values()) l?.close();
    },
  };
}
