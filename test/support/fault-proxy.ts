// A loopback HTTP proxy between the AWS SDK clients and moto that injects the failures real AWS
// produces under load (throttling, conflicts, 5xx, latency, dropped connections) on a seeded
// schedule, so that fault tests are reproducible: the same seed gives the same faults for the
// n-th call of each operation, whatever the interleaving of concurrent calls across operations.
//
// Faults are decided before a request is forwarded, so a faulted request never reached moto —
// except `resetAfterForward`, which forwards, lets moto apply the side effect, and then drops the
// connection: the client cannot know whether CreateAccount/CreateOU happened (the worst real case).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
} from '@aws-sdk/client-sso-admin';
import { ListGroupsCommand } from '@aws-sdk/client-identitystore';
import type { AwsClients } from '../../controller/aws/clients.js';
import { readOrganization } from '../../controller/aws/read-org.js';

export const FAULT_KINDS = ['throttle400', 'throttle429', 'concurrentModification', 'error500', 'error503', 'reset', 'resetAfterForward'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Services the SDK clients talk to, as the proxy recognises them. */
export type Service = 'organizations' | 'sso' | 'identitystore' | 'iam' | 'sts' | 'unknown';

/** One fault forced on the nth (1-based) call of an operation, independent of rates. */
export interface ScriptedFault {
  /** "CreateAccount" or "organizations:CreateAccount". */
  operation: string;
  nth: number;
  kind: FaultKind;
}

export interface ForwardedRequest {
  service: Service;
  operation: string;
  /** "service:Operation" */
  key: string;
  write: boolean;
  /** 1-based count of forwarded writes (all operations) including this one. */
  writeIndex: number;
  status: number;
  body: string;
}

export interface FaultProxyOptions {
  /** moto endpoint, e.g. http://127.0.0.1:5000 */
  target: string;
  seed?: number;
  /** Probability per request of each fault kind (they are exclusive; the sum must be <= 1). */
  rates?: Partial<Record<FaultKind, number>>;
  /** Added delay, independent of the other faults. */
  latency?: { rate: number; minMs: number; maxMs: number };
  /** Only these operations are faulted ("CreateAccount" or "organizations:CreateAccount"); default: all. */
  operations?: string[];
  /** Fault only operations with side effects (not List/Describe/Get/AssumeRole...). */
  onlyWrites?: boolean;
  /** Faults forced on specific calls, on top of the rates. */
  script?: ScriptedFault[];
  /**
   * Called after moto answered a request and before the client sees the answer (awaited):
   * crash tests kill the client process here, i.e. between the side effect and its recording.
   */
  onForwarded?: (req: ForwardedRequest) => void | Promise<void>;
}

export interface OperationStats {
  /** Requests seen (faulted or not). */
  requests: number;
  /** Requests that reached moto. */
  forwarded: number;
  /** Faults injected by kind (and 'latency'). */
  faults: Partial<Record<FaultKind | 'latency', number>>;
}

export interface InjectedFault {
  key: string;
  nth: number;
  kind: FaultKind | 'latency';
}

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; enough for fault schedules. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to turn an operation name into part of a PRNG seed. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const READ_PREFIX = /^(List|Describe|Get|Search|AssumeRole|IsMember)/;
export const isWriteOperation = (operation: string): boolean => !READ_PREFIX.test(operation);

const TARGET_PREFIXES: Record<string, Service> = {
  AWSOrganizationsV20161128: 'organizations',
  SWBExternalService: 'sso',
  AWSIdentityStore: 'identitystore',
};

/** Which service and operation a signed SDK request is for (X-Amz-Target, or the query Action). */
export function classifyRequest(headers: http.IncomingHttpHeaders, body: string): { service: Service; operation: string } {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) {
    const [prefix, operation] = target.split('.', 2);
    return { service: TARGET_PREFIXES[prefix] ?? 'unknown', operation };
  }
  const action = new URLSearchParams(body).get('Action') ?? '';
  // The signing scope names the service: Credential=AKID/20240101/us-east-1/iam/aws4_request
  const auth = String(headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(auth)?.[1];
  const service: Service = scope === 'iam' ? 'iam' : scope === 'sts' ? 'sts' : 'unknown';
  return { service, operation: action };
}

/** The error names each service really returns for a fault kind (what the SDK surfaces as error.name). */
export function errorNameFor(service: Service, kind: FaultKind): string {
  const json = service === 'organizations' || service === 'sso' || service === 'identitystore';
  switch (kind) {
    case 'throttle400':
    case 'throttle429':
      if (service === 'organizations') return 'TooManyRequestsException';
      return json ? 'ThrottlingException' : 'Throttling';
    case 'concurrentModification':
      if (service === 'organizations') return 'ConcurrentModificationException';
      return json ? 'ConflictException' : 'ConcurrentModification';
    case 'error500':
      if (service === 'organizations') return 'ServiceException';
      if (json) return 'InternalServerException';
      return service === 'iam' ? 'ServiceFailure' : 'InternalFailure';
    case 'error503':
      return json ? 'ServiceUnavailableException' : 'ServiceUnavailable';
    default:
      throw new Error(`${kind} has no error response`);
  }
}

export const statusFor = (kind: FaultKind): number =>
  kind === 'throttle429' ? 429 : kind === 'error500' ? 500 : kind === 'error503' ? 503 : kind === 'concurrentModification' ? 409 : 400;

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Status, headers and body of an injected error, in the wire format of the service's protocol. */
export function errorResponse(service: Service, kind: FaultKind, requestId: string): { status: number; headers: Record<string, string>; body: string } {
  const name = errorNameFor(service, kind);
  // Organizations returns ConcurrentModificationException with 400 (its model says so); other
  // JSON services use 409 ConflictException; IAM ConcurrentModification is 409.
  const status = kind === 'concurrentModification' && service === 'organizations' ? 400 : statusFor(kind);
  const message = `orgplane fault proxy: injected ${kind}`;
  if (service === 'iam' || service === 'sts' || service === 'unknown') {
    const type = status >= 500 ? 'Receiver' : 'Sender';
    const body =
      `<ErrorResponse xmlns="https://${service}.amazonaws.com/doc/"><Error><Type>${type}</Type>` +
      `<Code>${name}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
  }
  const body = JSON.stringify({ __type: name, message, Message: message });
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': name, 'x-amzn-requestid': requestId },
    body,
  };
}

export class FaultProxy {
  private server: http.Server | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly counts = new Map<string, number>();
  private readonly stats = new Map<string, OperationStats>();
  private readonly log: InjectedFault[] = [];
  private writeIndex = 0;
  private opts: FaultProxyOptions;
  endpoint = '';
  port = 0;

  constructor(opts: FaultProxyOptions) {
    this.opts = { ...opts };
    const sum = FAULT_KINDS.reduce((s, k) => s + (opts.rates?.[k] ?? 0), 0);
    if (sum > 1) throw new Error(`fault rates add up to ${sum}, more than 1`);
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.endpoint = `http://127.0.0.1:${this.port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.agent.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Change rates, latency, script or filters at runtime (e.g. turn faults off for a final check). */
  configure(patch: Partial<Omit<FaultProxyOptions, 'target'>>): void {
    this.opts = { ...this.opts, ...patch };
  }

  /** Per "service:Operation" counters of requests, forwards and injected faults. */
  counters(): Record<string, OperationStats> {
    const out: Record<string, OperationStats> = {};
    for (const [k, v] of [...this.stats].sort(([a], [b]) => a.localeCompare(b))) {
      out[k] = { requests: v.requests, forwarded: v.forwarded, faults: { ...v.faults } };
    }
    return out;
  }

  /** Every injected fault in the order it was decided. */
  injected(): InjectedFault[] {
    return [...this.log];
  }

  totalFaults(kind?: FaultKind | 'latency'): number {
    return this.log.filter((f) => kind === undefined || f.kind === kind).length;
  }

  resetCounters(): void {
    this.counts.clear();
    this.stats.clear();
    this.log.length = 0;
    this.writeIndex = 0;
  }

  /** The fault (and added latency) for the nth call of an operation: a pure function of the seed. */
  decide(key: string, operation: string, nth: number): { fault?: FaultKind; latencyMs: number } {
    const o = this.opts;
    const scripted = o.script?.find((s) => s.nth === nth && (s.operation === key || s.operation === operation));
    const rand = mulberry32((o.seed ?? 1) ^ hashString(key) ^ Math.imul(nth, 0x9e3779b1));
    const u = rand();
    const v = rand();
    const w = rand();
    let latencyMs = 0;
    if (o.latency && v < o.latency.rate) latencyMs = Math.round(o.latency.minMs + w * (o.latency.maxMs - o.latency.minMs));
    if (scripted) return { fault: scripted.kind, latencyMs };
    if (o.operations && !o.operations.includes(operation) && !o.operations.includes(key)) return { latencyMs };
    if (o.onlyWrites && !isWriteOperation(operation)) return { latencyMs };
    let acc = 0;
    for (const kind of FAULT_KINDS) {
      acc += o.rates?.[kind] ?? 0;
      if (u >= acc) continue;
      // AWS documents ConcurrentModification / ConflictException for writes only (no List,
      // Describe or Get call lists it): a read draws no fault from that share.
      if (kind === 'concurrentModification' && !isWriteOperation(operation)) return { latencyMs };
      return { fault: kind, latencyMs };
    }
    return { latencyMs };
  }

  private statsFor(key: string): OperationStats {
    let s = this.stats.get(key);
    if (!s) {
      s = { requests: 0, forwarded: 0, faults: {} };
      this.stats.set(key, s);
    }
    return s;
  }

  private note(key: string, nth: number, kind: FaultKind | 'latency'): void {
    const s = this.statsFor(key);
    s.faults[kind] = (s.faults[kind] ?? 0) + 1;
    this.log.push({ key, nth, kind });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    // The emulator's own control API passes through untouched and uncounted.
    if (req.url?.startsWith('/moto-api')) return this.pipe(req, body, res);

    const { service, operation } = classifyRequest(req.headers, body.toString('utf8'));
    const key = `${service}:${operation}`;
    const nth = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, nth);
    const stats = this.statsFor(key);
    stats.requests++;
    const { fault, latencyMs } = this.decide(key, operation, nth);
    if (latencyMs > 0) {
      this.note(key, nth, 'latency');
      await new Promise((r) => setTimeout(r, latencyMs));
    }
    if (fault) this.note(key, nth, fault);

    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault && fault !== 'resetAfterForward') {
      const e = errorResponse(service, fault, randomUUID());
      res.writeHead(e.status, { ...e.headers, 'content-length': Buffer.byteLength(e.body) });
      res.end(e.body);
      return;
    }

    let upstream: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    try {
      upstream = await this.forward(req, body);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: upstream failed: ${(err as Error).message}`);
      return;
    }
    stats.forwarded++;
    const write = isWriteOperation(operation);
    if (write) this.writeIndex++;
    if (this.opts.onForwarded) {
      await this.opts.onForwarded({
        service,
        operation,
        key,
        write,
        writeIndex: this.writeIndex,
        status: upstream.status,
        body: upstream.body.toString('utf8'),
      });
    }
    if (fault === 'resetAfterForward') {
      req.socket.destroy();
      return;
    }
    this.respond(res, upstream);
  }

  private async pipe(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    try {
      this.respond(res, await this.forward(req, body));
    } catch (err) {
      res.writeHead(502);
      res.end((err as Error).message);
    }
  }

  private respond(res: http.ServerResponse, upstream: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }): void {
    const headers = { ...upstream.headers };
    // Body is re-sent whole: drop hop-by-hop framing headers and set the length ourselves.
    delete headers['transfer-encoding'];
    delete headers.connection;
    delete headers['keep-alive'];
    headers['content-length'] = String(upstream.body.length);
    res.writeHead(upstream.status, headers);
    res.end(upstream.body);
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const target = new URL(this.opts.target);
    const headers = { ...req.headers };
    delete headers.connection;
    headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        (r) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => parts.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
          r.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }
}

/** Starts a proxy in front of `target`; call stop() when done. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const p = new FaultProxy(opts);
  await p.start();
  return p;
}

// ---- auditing an organization after faults and crashes -----------------------------------------
// Read through a client that bypasses the proxy: what moto really holds, with nothing deduplicated
// (the engine's own readers key by name in places, which would hide a second copy).

const duplicates = (items: string[]): string[] => {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const i of items) (seen.has(i) ? dup : seen).add(i);
  return [...dup].sort();
};

export interface OrgDuplicates {
  /** Account emails held by more than one account. */
  accounts: string[];
  /** OU paths ("Root/Workloads/Dev") held by more than one OU. */
  ous: string[];
  /** Customer SCP names held by more than one policy. */
  policies: string[];
  /** Permission set names held by more than one permission set. */
  permissionSets: string[];
  /** "PermissionSet account PRINCIPAL:id" rows listed more than once. */
  assignments: string[];
}

/** Every name that should be unique in the organization and is not. */
export async function findDuplicates(clients: AwsClients): Promise<OrgDuplicates> {
  const org = await readOrganization(clients);
  const pathOf = (id: string): string => {
    const names: string[] = [];
    let cur = org.ous[id];
    while (cur) {
      names.unshift(cur.name);
      cur = org.ous[cur.parentId];
    }
    return ['Root', ...names].join('/');
  };
  const access = await listAccessRaw(clients, Object.keys(org.accounts));
  return {
    accounts: duplicates(Object.values(org.accounts).map((a) => a.email.toLowerCase())),
    ous: duplicates(Object.keys(org.ous).map(pathOf)),
    policies: duplicates(
      Object.values(org.policies)
        .filter((p) => !p.awsManaged)
        .map((p) => p.name),
    ),
    permissionSets: duplicates(access.permissionSets.map((p) => p.name)),
    assignments: duplicates(access.assignments),
  };
}

export interface RawAccess {
  permissionSets: { arn: string; name: string; managedPolicies: string[]; inline: boolean }[];
  /** "PermissionSetName <accountId> GROUP:<displayName>" per assignment row, as listed. */
  assignments: string[];
}

/** Identity Center as moto holds it, one call per permission set x account (test-sized orgs only). */
export async function listAccessRaw(clients: AwsClients, accountIds: string[]): Promise<RawAccess> {
  const sso = clients.ssoAdmin;
  const instance = (await sso.send(new ListInstancesCommand({}))).Instances?.[0];
  if (!instance?.InstanceArn) return { permissionSets: [], assignments: [] };
  const groups = new Map<string, string>();
  if (instance.IdentityStoreId) {
    const g = await clients.identityStore.send(new ListGroupsCommand({ IdentityStoreId: instance.IdentityStoreId }));
    for (const x of g.Groups ?? []) if (x.GroupId) groups.set(x.GroupId, x.DisplayName ?? x.GroupId);
  }
  const InstanceArn = instance.InstanceArn;
  const arns = (await sso.send(new ListPermissionSetsCommand({ InstanceArn, MaxResults: 100 }))).PermissionSets ?? [];
  const permissionSets: RawAccess['permissionSets'] = [];
  const assignments: string[] = [];
  for (const arn of arns) {
    const d = await sso.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn: arn }));
    const name = d.PermissionSet?.Name ?? arn;
    const managed = (await sso.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn, PermissionSetArn: arn }))).AttachedManagedPolicies ?? [];
    const inline = (await sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn, PermissionSetArn: arn }))).InlinePolicy ?? '';
    permissionSets.push({ arn, name, managedPolicies: managed.map((m) => m.Arn ?? '').sort(), inline: inline !== '' });
    for (const accountId of accountIds) {
      const rows = (await sso.send(new ListAccountAssignmentsCommand({ InstanceArn, AccountId: accountId, PermissionSetArn: arn }))).AccountAssignments ?? [];
      for (const r of rows) assignments.push(`${name} ${accountId} ${r.PrincipalType}:${groups.get(r.PrincipalId ?? '') ?? r.PrincipalId}`);
    }
  }
  return { permissionSets, assignments };
}

/** Identity Center by names (account names, group names): comparable across moto resets. */
export async function accessShape(clients: AwsClients): Promise<{ permissionSets: string[]; assignments: string[] }> {
  const org = await readOrganization(clients);
  const raw = await listAccessRaw(clients, Object.keys(org.accounts));
  const nameOf = (id: string) => org.accounts[id]?.name ?? id;
  return {
    permissionSets: raw.permissionSets.map((p) => `${p.name} [${p.managedPolicies.join(', ')}]${p.inline ? ' +inline' : ''}`).sort(),
    assignments: raw.assignments
      .map((a) => {
        const [ps, acct, who] = a.split(' ');
        return `${ps} ${nameOf(acct)} ${who}`;
      })
      .sort(),
  };
}
