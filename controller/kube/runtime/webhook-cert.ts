// The webhook's serving certificate, kept in a Secret of the controller's namespace so that every
// replica serves the same one, and its CA written into the ValidatingWebhookConfiguration's
// caBundle. The first replica to start creates both; later ones reuse them; a certificate that
// expires within 30 days (or lacks a host) is reissued from the same CA, so the caBundle stays.
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeApis } from '../client.js';
import { errorMessage, httpStatus, jsonPatch } from '../client.js';
import { certFits, generateCa, issueServingCert, type ServingCert } from './tls.js';

export interface CertSecretRef {
  namespace: string;
  name: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

export function secretToCert(s: V1Secret | undefined): ServingCert | undefined {
  const d = s?.data;
  if (!d?.['ca.crt'] || !d['ca.key'] || !d['tls.crt'] || !d['tls.key']) return undefined;
  return { caCert: unb64(d['ca.crt']), caKey: unb64(d['ca.key']), cert: unb64(d['tls.crt']), key: unb64(d['tls.key']) };
}

const certData = (c: ServingCert): Record<string, string> => ({
  'ca.crt': b64(c.caCert),
  'ca.key': b64(c.caKey),
  'tls.crt': b64(c.cert),
  'tls.key': b64(c.key),
});

/** Keeps the CA when it is still good for a year; otherwise starts over. */
function renew(old: ServingCert | undefined, hosts: readonly string[]): ServingCert {
  const keepCa = old && certFits({ caCert: old.caCert, cert: old.caCert }, [], 365);
  const ca = keepCa ? { cert: old.caCert, key: old.caKey } : generateCa('orgplane-webhook-ca');
  const leaf = issueServingCert(ca, hosts);
  return { caCert: ca.cert, caKey: ca.key, cert: leaf.cert, key: leaf.key };
}

async function readSecret(apis: KubeApis, ref: CertSecretRef): Promise<V1Secret | undefined> {
  try {
    return await apis.core.readNamespacedSecret(ref);
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw new Error(`reading Secret ${ref.namespace}/${ref.name}: ${errorMessage(err)}`);
  }
}

/** The serving certificate for `hosts`, from the Secret, created or renewed there when needed. */
export async function ensureServingCert(apis: KubeApis, ref: CertSecretRef, hosts: readonly string[]): Promise<ServingCert> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const secret = await readSecret(apis, ref);
    const current = secretToCert(secret);
    if (current && certFits(current, hosts)) return current;
    const next = renew(current, hosts);
    const body: V1Secret = {
      metadata: {
        ...ref,
        labels: { 'app.kubernetes.io/part-of': 'orgplane' },
        ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      type: 'Opaque',
      data: certData(next),
    };
    try {
      if (secret) await apis.core.replaceNamespacedSecret({ ...ref, body });
      else await apis.core.createNamespacedSecret({ namespace: ref.namespace, body });
      return next;
    } catch (err) {
      // Another replica wrote it first: use theirs.
      if (httpStatus(err) !== 409) throw new Error(`writing Secret ${ref.namespace}/${ref.name}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`Secret ${ref.namespace}/${ref.name} kept changing while the webhook certificate was being written`);
}

/**
 * Writes the CA into every webhook of the ValidatingWebhookConfiguration. Returns false when the
 * configuration does not exist (nothing calls the webhook then); true when the bundle is in place.
 */
export async function injectCaBundle(apis: KubeApis, configName: string, caCert: string): Promise<boolean> {
  let vwc;
  try {
    vwc = await apis.admission.readValidatingWebhookConfiguration({ name: configName });
  } catch (err) {
    if (httpStatus(err) === 404) return false;
    throw new Error(`reading ValidatingWebhookConfiguration ${configName}: ${errorMessage(err)}`);
  }
  const bundle = b64(caCert);
  const ops = (vwc.webhooks ?? []).flatMap((w, i) =>
    w.clientConfig.caBundle === bundle ? [] : [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: bundle }],
  );
  if (ops.length === 0) return true;
  // The test op makes the patch fail instead of writing into a list that changed meanwhile.
  const body = [{ op: 'test', path: '/metadata/resourceVersion', value: vwc.metadata?.resourceVersion }, ...ops];
  try {
    await apis.admission.patchValidatingWebhookConfiguration({ name: configName, body }, jsonPatch());
  } catch (err) {
    throw new Error(`writing the caBundle of ValidatingWebhookConfiguration ${configName}: ${errorMessage(err)}`);
  }
  return true;
}
