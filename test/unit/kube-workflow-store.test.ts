import { describe, expect, it } from 'vitest';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { parseStored, resourceKeyOf, statusView, storeKey, workflowConfigMapName } from '../../controller/kube/workflow-store.js';
import { certFits, generateServingCert, issueServingCert } from '../../controller/kube/runtime/tls.js';
import { secretToCert } from '../../controller/kube/runtime/webhook-cert.js';

describe('ConfigMap workflow store encoding', () => {
  it('maps resource keys to ConfigMap keys and back', () => {
    expect(storeKey('Account/payments.prod')).toBe('Account.payments.prod');
    expect(resourceKeyOf('Account.payments.prod')).toBe('Account/payments.prod');
    expect(storeKey('Account/payments')).toMatch(/^[-._a-zA-Z0-9]+$/);
    expect(workflowConfigMapName('orgplane-org')).toBe('orgplane-workflows-orgplane-org');
  });

  it('ignores stored values that are not workflows', () => {
    expect(parseStored('{"kind":"create","phase":"Creating","snapshot":"{}"}')).toEqual({ kind: 'create', phase: 'Creating', snapshot: '{}' });
    expect(parseStored('not json')).toBeUndefined();
    expect(parseStored('{"kind":1}')).toBeUndefined();
    expect(parseStored('null')).toBeUndefined();
  });

  it('shows kind, phase and message in status, never the snapshot', () => {
    expect(statusView({ kind: 'close', phase: 'Closing', snapshot: '{"secret":1}', message: 'm' })).toEqual({ kind: 'close', phase: 'Closing', message: 'm' });
  });
});

describe('webhook TLS (node:crypto only)', () => {
  it('makes a CA and a serving certificate for DNS names and IPs, signed by that CA', () => {
    const s = generateServingCert(['orgplane-webhook.orgplane-system.svc', '127.0.0.1']);
    const ca = new X509Certificate(s.caCert);
    const leaf = new X509Certificate(s.cert);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('orgplane-webhook.orgplane-system.svc')).toBe('orgplane-webhook.orgplane-system.svc');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkPrivateKey(createPrivateKey(s.key))).toBe(true);
    expect(createPublicKey(s.key).asymmetricKeyType).toBe('ec');
    expect(certFits(s, ['127.0.0.1'])).toBe(true);
    expect(certFits(s, ['other.example'])).toBe(false);
    expect(certFits(s, ['127.0.0.1'], 400)).toBe(false); // the leaf lasts a year
  });

  it('reissues from the same CA, and reads a Secret back', () => {
    const s = generateServingCert(['a.svc']);
    const leaf = issueServingCert({ cert: s.caCert, key: s.caKey }, ['b.svc']);
    expect(new X509Certificate(leaf.cert).verify(new X509Certificate(s.caCert).publicKey)).toBe(true);
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    expect(secretToCert({ data: { 'ca.crt': b64(s.caCert), 'ca.key': b64(s.caKey), 'tls.crt': b64(s.cert), 'tls.key': b64(s.key) } })).toEqual(s);
    expect(secretToCert({ data: { 'tls.crt': b64(s.cert) } })).toBeUndefined();
  });
});
