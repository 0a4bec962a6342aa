// The generic webhook endpoint over real HTTPS with a certificate from runtime/tls.ts.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionServer, type AdmissionRequest } from '../../controller/kube/runtime/admission.js';
import { generateServingCert } from '../../controller/kube/runtime/tls.js';

const cert = generateServingCert(['127.0.0.1']);
let server: AdmissionServer;
let port: number;
const seen: AdmissionRequest[] = [];

function call(method: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/validate', ca: cert.caCert, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  server = new AdmissionServer({
    port: 0,
    host: '127.0.0.1',
    cert: cert.cert,
    key: cert.key,
    handler: (r) => {
      seen.push(r);
      return r.name === 'bad' ? { allowed: false, message: 'nope', warnings: ['careful'] } : { allowed: true };
    },
  });
  port = await server.start();
});
afterAll(async () => {
  await server.stop();
});

const review = (name: string) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${name}`,
      kind: { group: 'orgplane.io', version: 'v1alpha1', kind: 'Account' },
      namespace: 'org',
      name,
      operation: 'CREATE',
      object: {},
    },
  });

describe('AdmissionServer (HTTPS, AdmissionReview v1)', () => {
  it('answers with the request uid, allowed or with a 403 status and warnings', async () => {
    const ok = await call('POST', review('good'));
    expect(ok).toEqual({ status: 200, json: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-good', allowed: true } } });
    const bad = await call('POST', review('bad'));
    expect(bad.json.response).toEqual({ uid: 'uid-bad', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'nope' }, warnings: ['careful'] });
    expect(seen.map((r) => r.name)).toEqual(['good', 'bad']);
  });

  it('refuses what is not an AdmissionReview', async () => {
    expect((await call('POST', '{not json')).status).toBe(400);
    expect((await call('POST', '{"request":{}}')).status).toBe(400);
    expect((await call('GET', '')).status).toBe(405);
  });
});
