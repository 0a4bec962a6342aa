// A self-signed CA and a serving certificate signed by it, made with node:crypto alone (ECDSA
// P-256, SHA-256). Node can parse and verify X.509 but not write it, so the few DER structures a
// certificate needs are encoded here (RFC 5280); node:crypto's X509Certificate checks the result.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// ---- DER ------------------------------------------------------------------------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

// ---- certificates ---------------------------------------------------------------------------

const OID = {
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const name = (cn: string): Buffer => seq(set(seq(oid(OID.commonName), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const keyId = (key: KeyObject): Buffer =>
  createHash('sha1')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();

function subjectAltNames(hosts: readonly string[]): Buffer {
  return seq(
    ...hosts.map((h) => {
      if (isIP(h) === 4) return tlv(0x87, Buffer.from(h.split('.').map(Number)));
      if (isIP(h) === 6) throw new Error(`IPv6 SANs are not supported: ${h}`);
      return tlv(0x82, Buffer.from(h, 'ascii'));
    }),
  );
}

interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKey: KeyObject;
  notAfter: Date;
  extensions: Buffer[];
}

function certificate(s: CertSpec): string {
  const algorithm = seq(oid(OID.ecdsaWithSHA256));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x40]), randomBytes(15)])),
    algorithm,
    name(s.issuer),
    seq(time(new Date(Date.now() - 3600_000)), time(s.notAfter)),
    name(s.subject),
    s.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      seq(
        extension(OID.subjectKeyIdentifier, false, octets(keyId(s.publicKey))),
        extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyId(s.issuerKey)))),
        ...s.extensions,
      ),
    ),
  );
  const der = seq(tbs, algorithm, bits(sign('sha256', tbs, s.signingKey)));
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

export interface ServingCert {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

const DAY = 86_400_000;
const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }) as string;

/** A CA valid for `days` (10 years by default). */
export function generateCa(commonName: string, days = 3650): { cert: string; key: string } {
  const { publicKey, privateKey } = newKey();
  const cert = certificate({
    subject: commonName,
    issuer: commonName,
    publicKey,
    signingKey: privateKey,
    issuerKey: publicKey,
    notAfter: new Date(Date.now() + days * DAY),
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, bits(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
    ],
  });
  return { cert, key: pem(privateKey) };
}

/** A serving certificate for `hosts` (DNS names and IPv4 addresses), signed by the CA. */
export function issueServingCert(ca: { cert: string; key: string }, hosts: readonly string[], days = 365): { cert: string; key: string } {
  if (hosts.length === 0) throw new Error('a serving certificate needs at least one host');
  const caCert = new X509Certificate(ca.cert);
  const issuerCn = /CN=([^\n]+)/.exec(caCert.subject)?.[1] ?? 'orgplane';
  const { publicKey, privateKey } = newKey();
  const cert = certificate({
    subject: hosts[0],
    issuer: issuerCn,
    publicKey,
    signingKey: createPrivateKey(ca.key),
    issuerKey: caCert.publicKey,
    notAfter: new Date(Date.now() + days * DAY),
    extensions: [
      extension(OID.basicConstraints, true, seq()),
      extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)), // digitalSignature
      extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, subjectAltNames(hosts)),
    ],
  });
  return { cert, key: pem(privateKey) };
}

/** A new CA and a serving certificate for `hosts`. */
export function generateServingCert(hosts: readonly string[], commonName = 'orgplane-webhook-ca'): ServingCert {
  const ca = generateCa(commonName);
  const leaf = issueServingCert(ca, hosts);
  return { caCert: ca.cert, caKey: ca.key, cert: leaf.cert, key: leaf.key };
}

/** True when `cert` is signed by `caCert`, covers every host, and stays valid for `minDays` more. */
export function certFits(s: Pick<ServingCert, 'caCert' | 'cert'>, hosts: readonly string[], minDays = 30): boolean {
  try {
    const ca = new X509Certificate(s.caCert);
    const leaf = new X509Certificate(s.cert);
    const until = Date.now() + minDays * DAY;
    if (new Date(leaf.validTo).getTime() < until || new Date(ca.validTo).getTime() < until) return false;
    if (!leaf.verify(ca.publicKey)) return false;
    return hosts.every((h) => (isIP(h) ? leaf.checkIP(h) !== undefined : leaf.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}
