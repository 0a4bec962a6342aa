import { describe, expect, it } from 'vitest';
import { FaultProxy, classifyRequest, errorNameFor, errorResponse, isWriteOperation, mulberry32 } from '../support/fault-proxy.js';

const proxy = (o: Partial<ConstructorParameters<typeof FaultProxy>[0]> = {}) => new FaultProxy({ target: 'http://127.0.0.1:1', ...o });

function schedule(p: FaultProxy, key: string, op: string, n: number): (string | undefined)[] {
  return Array.from({ length: n }, (_, i) => p.decide(key, op, i + 1).fault);
}

describe('fault proxy schedule', () => {
  it('mulberry32 is deterministic per seed and spreads over [0,1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('same seed gives the same faults for the nth call of each operation; another seed differs', () => {
    const rates = { throttle400: 0.1, throttle429: 0.1, error500: 0.1, reset: 0.1 };
    const s1 = schedule(proxy({ seed: 7, rates }), 'organizations:CreateAccount', 'CreateAccount', 200);
    const s2 = schedule(proxy({ seed: 7, rates }), 'organizations:CreateAccount', 'CreateAccount', 200);
    const s3 = schedule(proxy({ seed: 8, rates }), 'organizations:CreateAccount', 'CreateAccount', 200);
    expect(s2).toEqual(s1);
    expect(s3).not.toEqual(s1);
    // Different operations get independent schedules under one seed.
    expect(schedule(proxy({ seed: 7, rates }), 'organizations:MoveAccount', 'MoveAccount', 200)).not.toEqual(s1);
  });

  it('fault frequencies follow the configured rates', () => {
    const p = proxy({ seed: 1, rates: { throttle400: 0.2, error503: 0.1 } });
    const s = schedule(p, 'organizations:ListAccounts', 'ListAccounts', 5000);
    const share = (k: string) => s.filter((x) => x === k).length / s.length;
    expect(share('throttle400')).toBeGreaterThan(0.17);
    expect(share('throttle400')).toBeLessThan(0.23);
    expect(share('error503')).toBeGreaterThan(0.08);
    expect(share('error503')).toBeLessThan(0.12);
    expect(s.filter((x) => x === undefined).length / s.length).toBeGreaterThan(0.66);
  });

  it('rejects rates that add up to more than 1', () => {
    expect(() => proxy({ rates: { throttle400: 0.6, reset: 0.5 } })).toThrow('fault rates add up to 1.1, more than 1');
  });

  it('honours the operation allow-list, onlyWrites and scripted faults', () => {
    const p = proxy({ seed: 3, rates: { error500: 1 }, operations: ['CreateAccount', 'iam:CreateRole'] });
    expect(p.decide('organizations:CreateAccount', 'CreateAccount', 1).fault).toBe('error500');
    expect(p.decide('iam:CreateRole', 'CreateRole', 1).fault).toBe('error500');
    expect(p.decide('organizations:ListAccounts', 'ListAccounts', 1).fault).toBeUndefined();
    const w = proxy({ seed: 3, rates: { throttle429: 1 }, onlyWrites: true });
    expect(w.decide('organizations:ListAccounts', 'ListAccounts', 1).fault).toBeUndefined();
    expect(w.decide('sts:AssumeRole', 'AssumeRole', 1).fault).toBeUndefined();
    expect(w.decide('organizations:MoveAccount', 'MoveAccount', 1).fault).toBe('throttle429');
    const s = proxy({ seed: 3, script: [{ operation: 'CreateAccount', nth: 2, kind: 'resetAfterForward' }] });
    expect(schedule(s, 'organizations:CreateAccount', 'CreateAccount', 3)).toEqual([undefined, 'resetAfterForward', undefined]);
  });

  it('adds latency within the configured range', () => {
    const p = proxy({ seed: 9, latency: { rate: 1, minMs: 20, maxMs: 40 } });
    for (let n = 1; n <= 100; n++) {
      const { latencyMs, fault } = p.decide('organizations:ListRoots', 'ListRoots', n);
      expect(fault).toBeUndefined();
      expect(latencyMs).toBeGreaterThanOrEqual(20);
      expect(latencyMs).toBeLessThanOrEqual(40);
    }
  });
});

describe('fault proxy request classification and error encoding', () => {
  it('reads the operation from X-Amz-Target (JSON protocols) or the query Action', () => {
    expect(classifyRequest({ 'x-amz-target': 'AWSOrganizationsV20161128.CreateAccount' }, '{}')).toEqual({
      service: 'organizations',
      operation: 'CreateAccount',
    });
    expect(classifyRequest({ 'x-amz-target': 'SWBExternalService.CreatePermissionSet' }, '{}')).toEqual({ service: 'sso', operation: 'CreatePermissionSet' });
    expect(classifyRequest({ 'x-amz-target': 'AWSIdentityStore.ListGroups' }, '{}')).toEqual({ service: 'identitystore', operation: 'ListGroups' });
    const auth = 'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x';
    expect(classifyRequest({ authorization: auth }, 'Action=CreateRole&Version=2010-05-08')).toEqual({ service: 'iam', operation: 'CreateRole' });
    expect(classifyRequest({ authorization: auth.replace('/iam/', '/sts/') }, 'Action=AssumeRole&Version=2011-06-15')).toEqual({
      service: 'sts',
      operation: 'AssumeRole',
    });
  });

  it('classifies reads and writes', () => {
    for (const op of ['ListAccounts', 'DescribePolicy', 'GetRole', 'AssumeRole']) expect(isWriteOperation(op)).toBe(false);
    for (const op of ['CreateAccount', 'MoveAccount', 'AttachPolicy', 'PutRolePolicy', 'TagResource']) expect(isWriteOperation(op)).toBe(true);
  });

  it("uses each service's real error names and wire format", () => {
    expect(errorNameFor('organizations', 'throttle400')).toBe('TooManyRequestsException');
    expect(errorNameFor('organizations', 'concurrentModification')).toBe('ConcurrentModificationException');
    expect(errorNameFor('sso', 'throttle429')).toBe('ThrottlingException');
    expect(errorNameFor('iam', 'throttle400')).toBe('Throttling');
    expect(errorNameFor('iam', 'concurrentModification')).toBe('ConcurrentModification');
    const j = errorResponse('organizations', 'throttle429', 'rid-1');
    expect(j.status).toBe(429);
    expect(j.headers['x-amzn-errortype']).toBe('TooManyRequestsException');
    expect(JSON.parse(j.body).__type).toBe('TooManyRequestsException');
    const x = errorResponse('iam', 'error503', 'rid-2');
    expect(x.status).toBe(503);
    expect(x.body).toContain('<Code>ServiceUnavailable</Code>');
    expect(x.body).toContain('<Type>Receiver</Type>');
    expect(x.body).toContain('<RequestId>rid-2</RequestId>');
  });
});
