import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateAccountCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { CreateRoleCommand, GetRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { useMoto, TEST_CREDENTIALS } from '../support/moto.js';

type Fault = 'throttle400' | 'throttle429' | 'reset' | 'error500';

/** Loopback proxy to moto that answers the first requests with the scheduled faults. */
async function faultProxy(target: string, faults: Fault[]): Promise<{ endpoint: string; seen: Fault[]; close(): Promise<void> }> {
  const queue = [...faults];
  const seen: Fault[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fault = queue.shift();
      if (fault) seen.push(fault);
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'throttle400' || fault === 'throttle429') {
        res.writeHead(fault === 'throttle400' ? 400 : 429, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({
            __type: 'TooManyRequestsException',
            Message: "AWS Organizations can't complete your request because another request is already in progress.",
          }),
        );
        return;
      }
      if (fault === 'error500') {
        res.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ServiceException', Message: 'internal' }));
        return;
      }
      const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('createAwsClients', () => {
  const moto = useMoto();
  let clients: AwsClients | undefined;
  let proxy: Awaited<ReturnType<typeof faultProxy>> | undefined;
  afterEach(async () => {
    clients?.destroy();
    clients = undefined;
    await proxy?.close();
    proxy = undefined;
  });
  const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

  it('counts every call by Service:Operation and outcome', async () => {
    clients = createAwsClients({ endpoint: moto.endpoint, credentials: TEST_CREDENTIALS });
    await clients.organizations.send(new ListRootsCommand({}));
    await clients.organizations.send(new ListRootsCommand({}));
    await expect(clients.iam.send(new GetRoleCommand({ RoleName: 'nope' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    expect(clients.calls.toJSON()).toEqual({ 'IAM:GetRole': 1, 'Organizations:ListRoots': 2 });
    expect(Object.fromEntries(clients.calls.byOutcome)).toEqual({
      'Organizations:ListRoots:ok': 2,
      'IAM:GetRole:NoSuchEntityException': 1,
    });
    expect(clients.calls.total).toBe(3);
    expect(clients.calls.writes()).toBe(0);
  });

  it('takes the endpoint from AWS_ENDPOINT_URL and defaults the region to us-east-1', async () => {
    const saved = { url: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION };
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    delete process.env.AWS_REGION;
    try {
      clients = createAwsClients({ credentials: TEST_CREDENTIALS });
      expect(clients.options).toMatchObject({ endpoint: moto.endpoint, region: 'us-east-1' });
      const roots = await clients.organizations.send(new ListRootsCommand({}));
      expect(roots.Roots).toHaveLength(1);
    } finally {
      if (saved.url === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved.url;
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
    }
  });

  it('retries TooManyRequestsException sent as HTTP 400 and 429, then succeeds', async () => {
    proxy = await faultProxy(moto.endpoint, ['throttle400', 'throttle429']);
    clients = createAwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS, retry: fastRetry });
    const roots = await clients.organizations.send(new ListRootsCommand({}));
    expect(roots.Roots).toHaveLength(1);
    expect(proxy.seen).toEqual(['throttle400', 'throttle429']);
    expect(Object.fromEntries(clients.calls.byOutcome)).toEqual({
      'Organizations:ListRoots:TooManyRequestsException': 2,
      'Organizations:ListRoots:ok': 1,
    });
    expect(clients.calls.toJSON()).toEqual({ 'Organizations:ListRoots': 3 });
  });

  it('retries a reset connection and a 5xx', async () => {
    proxy = await faultProxy(moto.endpoint, ['reset', 'error500']);
    clients = createAwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS, retry: fastRetry });
    const roots = await clients.organizations.send(new ListRootsCommand({}));
    expect(roots.Roots).toHaveLength(1);
    const outcomes = Object.fromEntries(clients.calls.byOutcome);
    expect(outcomes['Organizations:ListRoots:ServiceException']).toBe(1);
    expect(outcomes['Organizations:ListRoots:ok']).toBe(1);
    expect(clients.calls.total).toBe(3); // the reset, the 500, the success
  });

  it('does not blindly resend CreateAccount after a lost response, but does after throttling', async () => {
    proxy = await faultProxy(moto.endpoint, ['reset']);
    clients = createAwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS, retry: fastRetry });
    const create = () => clients!.organizations.send(new CreateAccountCommand({ AccountName: 'once', Email: 'once@example.com' }));
    await expect(create()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(clients.calls.toJSON()).toEqual({ 'Organizations:CreateAccount': 1 });
    await proxy.close();
    proxy = await faultProxy(moto.endpoint, ['throttle429']);
    clients.destroy();
    clients = createAwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS, retry: fastRetry });
    const ok = await create();
    expect(ok.CreateAccountStatus?.State).toBe('SUCCEEDED');
    expect(Object.fromEntries(clients.calls.byOutcome)).toEqual({
      'Organizations:CreateAccount:TooManyRequestsException': 1,
      'Organizations:CreateAccount:ok': 1,
    });
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    proxy = await faultProxy(moto.endpoint, ['throttle429', 'throttle429', 'throttle429', 'throttle429']);
    clients = createAwsClients({ endpoint: proxy.endpoint, credentials: TEST_CREDENTIALS, retry: { ...fastRetry, maxAttempts: 3 } });
    await expect(clients.organizations.send(new ListRootsCommand({}))).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect(clients.calls.toJSON()).toEqual({ 'Organizations:ListRoots': 3 });
  });

  it('paces calls with the per-service rate limit', async () => {
    clients = createAwsClients({ endpoint: moto.endpoint, credentials: TEST_CREDENTIALS, rateLimits: { Organizations: { tps: 10, burst: 2 } } });
    const start = Date.now();
    await Promise.all(Array.from({ length: 7 }, () => clients!.organizations.send(new ListRootsCommand({}))));
    // 2 from the bucket, 5 more at 10/s: at least ~450 ms.
    expect(Date.now() - start).toBeGreaterThanOrEqual(400);
    expect(clients.calls.toJSON()).toEqual({ 'Organizations:ListRoots': 7 });
  });

  it('forAccount assumes the role once and scopes IAM calls to that account', async () => {
    clients = createAwsClients({ endpoint: moto.endpoint, credentials: TEST_CREDENTIALS });
    const created = await clients.organizations.send(new CreateAccountCommand({ AccountName: 'dev', Email: 'dev@example.com' }));
    const accountId = created.CreateAccountStatus!.AccountId!;
    const member = await clients.forAccount(accountId, 'OrganizationAccountAccessRole');
    expect(member.accountId).toBe(accountId);
    expect(await clients.forAccount(accountId, 'OrganizationAccountAccessRole')).toBe(member);

    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole' }],
    });
    const role = await member.iam.send(new CreateRoleCommand({ RoleName: 'auditor', AssumeRolePolicyDocument: trust }));
    expect(role.Role?.Arn).toBe(`arn:aws:iam::${accountId}:role/auditor`);
    // The management account's IAM does not see it; the member's does.
    const mgmtRoles = await clients.iam.send(new ListRolesCommand({}));
    expect(mgmtRoles.Roles?.map((r) => r.RoleName)).not.toContain('auditor');
    const got = await member.iam.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    expect(got.Role?.Arn).toBe(`arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`);

    expect(clients.calls.toJSON()).toMatchObject({ 'STS:AssumeRole': 1, 'IAM:CreateRole': 1, 'IAM:GetRole': 1 });
  });
});
