// The fault proxy against a real moto with the real SDK clients: every fault kind reaches the SDK
// as the error a real AWS service would produce, with the right name and HTTP status.
import { afterEach, describe, expect, it } from 'vitest';
import { OrganizationsClient, ListRootsCommand, CreateOrganizationalUnitCommand, ListOrganizationalUnitsForParentCommand } from '@aws-sdk/client-organizations';
import { IAMClient, CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { SSOAdminClient, ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';
import { startFaultProxy, type FaultKind, type FaultProxy, type FaultProxyOptions } from '../support/fault-proxy.js';

const cfg = (endpoint: string, maxAttempts = 1) => ({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts });

interface SdkError {
  name: string;
  code?: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
}

async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  throw new Error('expected the call to fail');
}

describe('fault proxy with real SDK clients and moto', () => {
  const moto = useMoto();
  const proxies: FaultProxy[] = [];
  const start = async (o: Omit<FaultProxyOptions, 'target'>) => {
    const p = await startFaultProxy({ target: moto.endpoint, ...o });
    proxies.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
  });

  it('passes requests through unchanged when no fault is due', async () => {
    const p = await start({ seed: 1 });
    const org = new OrganizationsClient(cfg(p.endpoint));
    const roots = await org.send(new ListRootsCommand({}));
    expect(roots.Roots?.[0]?.Id).toMatch(/^r-/);
    expect(p.counters()).toEqual({ 'organizations:ListRoots': { requests: 1, forwarded: 1, faults: {} } });
  });

  const orgCases: [FaultKind, string, number][] = [
    ['throttle400', 'TooManyRequestsException', 400],
    ['throttle429', 'TooManyRequestsException', 429],
    ['concurrentModification', 'ConcurrentModificationException', 400],
    ['error500', 'ServiceException', 500],
    ['error503', 'ServiceUnavailableException', 503],
  ];
  for (const [kind, name, status] of orgCases) {
    it(`Organizations (JSON 1.1) sees ${kind} as ${name} with HTTP ${status}`, async () => {
      const p = await start({ seed: 1, script: [{ operation: 'ListRoots', nth: 1, kind }] });
      const org = new OrganizationsClient(cfg(p.endpoint));
      const e = await failure(org.send(new ListRootsCommand({})));
      expect(e.name).toBe(name);
      expect(e.$metadata?.httpStatusCode).toBe(status);
      expect(e.message).toBe(`orgplane fault proxy: injected ${kind}`);
      expect(p.counters()['organizations:ListRoots']).toEqual({ requests: 1, forwarded: 0, faults: { [kind]: 1 } });
      // The second call is not scripted and goes through.
      expect((await org.send(new ListRootsCommand({}))).Roots).toHaveLength(1);
    });
  }

  it('IAM and STS (query protocol) see Throttling / ConcurrentModification / ServiceFailure in XML', async () => {
    const p = await start({
      seed: 1,
      script: [
        { operation: 'iam:CreateRole', nth: 1, kind: 'throttle400' },
        { operation: 'iam:CreateRole', nth: 2, kind: 'concurrentModification' },
        { operation: 'iam:CreateRole', nth: 3, kind: 'error500' },
        { operation: 'sts:GetCallerIdentity', nth: 1, kind: 'throttle429' },
      ],
    });
    const iam = new IAMClient(cfg(p.endpoint));
    const create = () => iam.send(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
    const e1 = await failure(create());
    expect([e1.name, e1.$metadata?.httpStatusCode]).toEqual(['Throttling', 400]);
    const e2 = await failure(create());
    expect([e2.name, e2.$metadata?.httpStatusCode]).toEqual(['ConcurrentModificationException', 409]);
    const e3 = await failure(create());
    expect([e3.name, e3.$metadata?.httpStatusCode]).toEqual(['ServiceFailureException', 500]);
    // None of the faulted CreateRole calls reached moto: the fourth creates the role.
    await create();
    expect((await iam.send(new GetRoleCommand({ RoleName: 'r1' }))).Role?.RoleName).toBe('r1');
    const sts = new STSClient(cfg(p.endpoint));
    const e4 = await failure(sts.send(new GetCallerIdentityCommand({})));
    expect([e4.name, e4.$metadata?.httpStatusCode]).toEqual(['Throttling', 429]);
    expect(p.counters()['iam:CreateRole']).toEqual({
      requests: 4,
      forwarded: 1,
      faults: { throttle400: 1, concurrentModification: 1, error500: 1 },
    });
  });

  it('SSO Admin (JSON 1.1) sees ThrottlingException', async () => {
    const p = await start({ seed: 1, script: [{ operation: 'ListInstances', nth: 1, kind: 'throttle429' }] });
    const sso = new SSOAdminClient(cfg(p.endpoint));
    const e = await failure(sso.send(new ListInstancesCommand({})));
    expect([e.name, e.$metadata?.httpStatusCode]).toEqual(['ThrottlingException', 429]);
  });

  it('a reset drops the connection before moto sees the request', async () => {
    const p = await start({ seed: 1, script: [{ operation: 'CreateOrganizationalUnit', nth: 1, kind: 'reset' }] });
    const org = new OrganizationsClient(cfg(p.endpoint));
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    const e = await failure(org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'a' })));
    expect(e.code === 'ECONNRESET' || /socket hang up/.test(e.message)).toBe(true);
    const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }));
    expect(ous.OrganizationalUnits).toEqual([]);
  });

  it('resetAfterForward applies the side effect in moto but the client sees a dropped connection', async () => {
    const seen: string[] = [];
    const p = await start({
      seed: 1,
      script: [{ operation: 'CreateOrganizationalUnit', nth: 1, kind: 'resetAfterForward' }],
      onForwarded: (r) => {
        if (r.write) seen.push(`${r.writeIndex}:${r.operation}:${r.status}`);
      },
    });
    const org = new OrganizationsClient(cfg(p.endpoint));
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    const e = await failure(org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'a' })));
    expect(e.code === 'ECONNRESET' || /socket hang up/.test(e.message)).toBe(true);
    const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }));
    expect(ous.OrganizationalUnits?.map((o) => o.Name)).toEqual(['a']);
    expect(seen).toEqual(['1:CreateOrganizationalUnit:200']);
    expect(p.counters()['organizations:CreateOrganizationalUnit']).toEqual({ requests: 1, forwarded: 1, faults: { resetAfterForward: 1 } });
  });

  it('the SDK retries injected throttles and resets on its own when allowed to', async () => {
    const p = await start({
      seed: 1,
      script: [
        { operation: 'ListRoots', nth: 1, kind: 'throttle400' },
        { operation: 'ListRoots', nth: 2, kind: 'reset' },
        { operation: 'ListRoots', nth: 3, kind: 'error503' },
      ],
    });
    const org = new OrganizationsClient(cfg(p.endpoint, 4));
    expect((await org.send(new ListRootsCommand({}))).Roots).toHaveLength(1);
    expect(p.counters()['organizations:ListRoots']).toEqual({
      requests: 4,
      forwarded: 1,
      faults: { throttle400: 1, reset: 1, error503: 1 },
    });
  });

  it('adds latency', async () => {
    const p = await start({ seed: 1, latency: { rate: 1, minMs: 150, maxMs: 150 } });
    const org = new OrganizationsClient(cfg(p.endpoint));
    const t0 = Date.now();
    await org.send(new ListRootsCommand({}));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    expect(p.counters()['organizations:ListRoots'].faults).toEqual({ latency: 1 });
  });

  it('same seed gives the same schedule against moto, and counters match what the SDK saw', async () => {
    const run = async (seed: number) => {
      const p = await start({ seed, rates: { throttle400: 0.15, throttle429: 0.1, error500: 0.1, reset: 0.1 } });
      const org = new OrganizationsClient(cfg(p.endpoint));
      const seen: Record<string, number> = {};
      for (let i = 0; i < 60; i++) {
        try {
          await org.send(new ListRootsCommand({}));
          seen.ok = (seen.ok ?? 0) + 1;
        } catch (e) {
          const err = e as SdkError;
          const k = err.$metadata?.httpStatusCode ? `${err.name}/${err.$metadata.httpStatusCode}` : 'reset';
          seen[k] = (seen[k] ?? 0) + 1;
        }
      }
      org.destroy();
      const c = p.counters()['organizations:ListRoots'];
      await p.stop();
      return { seen, c, injected: p.injected() };
    };
    const a = await run(11);
    const b = await run(11);
    const other = await run(12);
    expect(b.injected).toEqual(a.injected);
    expect(other.injected).not.toEqual(a.injected);
    expect(a.injected.length).toBeGreaterThan(5);
    expect(a.c.requests).toBe(60);
    expect(a.seen).toEqual({
      ...(a.c.forwarded ? { ok: a.c.forwarded } : {}),
      ...(a.c.faults.throttle400 ? { 'TooManyRequestsException/400': a.c.faults.throttle400 } : {}),
      ...(a.c.faults.throttle429 ? { 'TooManyRequestsException/429': a.c.faults.throttle429 } : {}),
      ...(a.c.faults.error500 ? { 'ServiceException/500': a.c.faults.error500 } : {}),
      ...(a.c.faults.reset ? { reset: a.c.faults.reset } : {}),
    });
  });
});
