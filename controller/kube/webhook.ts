// The orgplane admission rules: the graph validation `orgplane validate` runs (model/build.ts +
// validate.ts + validate-access.ts), on the org namespace as it would be after the request. A
// request is refused when it adds an error the namespace did not have before, with the message
// `orgplane validate` prints; errors already there do not block unrelated edits or their fixes.
// References to resources that do not exist yet (and what depends on them) only warn: `kubectl
// apply -f DIR` creates files in name order, so accounts.yaml may come before ous.yaml.
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, GROUP, KIND_NAMES, refKey, type AnyResource, type Kind } from '../api/schemas.js';
import { buildDesired } from '../model/build.js';
import { formatValidationError, type ValidationError } from '../model/desired.js';
import { validateAccess } from '../model/validate-access.js';
import type { Logger } from 'pino';
import type { KubeApis } from './client.js';
import { errorMessage } from './client.js';
import { AdmissionServer, type AdmissionDecision, type AdmissionHandler, type AdmissionRequest } from './runtime/admission.js';
import { ensureServingCert, injectCaBundle, type CertSecretRef } from './runtime/webhook-cert.js';
import { admitApproval, isApprovalRequest } from './approvals/admission.js';

/** Rules that depend on the order resources arrive in: reported as warnings, never refused. */
export const ORDER_DEPENDENT_RULES: ReadonlySet<string> = new Set(['unknown-reference', 'dependency-invalid']);

export const WEBHOOK_PATH = '/validate';

const keyOf = (r: AnyResource): string => refKey(r.kind, r.metadata.name);
const errorId = (e: ValidationError): string => formatValidationError({ ...e, source: undefined });

/** Every error `orgplane validate` would report for these resources. */
export function graphErrors(resources: AnyResource[], namespace: string): ValidationError[] {
  const built = buildDesired(resources, { namespace });
  return [...built.errors, ...validateAccess(built.desired, {})];
}

function asResource(obj: unknown, kind: Kind, fallbackName: string | undefined): AnyResource {
  const o = (obj ?? {}) as { metadata?: AnyResource['metadata']; spec?: unknown };
  const metadata = { ...(o.metadata ?? {}), name: o.metadata?.name || fallbackName || '' };
  return { apiVersion: API_VERSION, kind, metadata, spec: o.spec ?? {} } as AnyResource;
}

/** The namespace's live resources before and after the request (deleting ones count as gone). */
export function beforeAndAfter(current: readonly AnyResource[], req: AdmissionRequest, kind: Kind): { before: AnyResource[]; after: AnyResource[] } {
  const live = current.filter((r) => !r.metadata.deletionTimestamp);
  const target = refKey(kind, req.name || (req.object as { metadata?: { name?: string } } | undefined)?.metadata?.name || '');
  const others = live.filter((r) => keyOf(r) !== target);
  const before = req.operation === 'CREATE' ? others : [...others, ...(req.oldObject ? [asResource(req.oldObject, kind, req.name)] : [])];
  const after = req.operation === 'DELETE' ? others : [...others, asResource(req.object, kind, req.name)];
  return { before, after };
}

/** Refuse on new order-independent errors; warn on new order-dependent ones. */
export function decide(before: readonly ValidationError[], after: readonly ValidationError[]): AdmissionDecision {
  const old = new Set(before.map(errorId));
  const added = after.filter((e) => !old.has(errorId(e)));
  const refused = added.filter((e) => !ORDER_DEPENDENT_RULES.has(e.rule));
  const warnings = added.filter((e) => ORDER_DEPENDENT_RULES.has(e.rule)).map(errorId);
  if (refused.length === 0) return { allowed: true, ...(warnings.length ? { warnings } : {}) };
  const message = `${refused.length} validation error${refused.length === 1 ? '' : 's'}:\n${refused.map((e) => `  ${errorId(e)}`).join('\n')}`;
  return { allowed: false, message, ...(warnings.length ? { warnings } : {}) };
}

/** The decision for one request against one view of the namespace. */
export function admit(current: readonly AnyResource[], req: AdmissionRequest, namespace: string): AdmissionDecision {
  const kind = req.kind.kind as Kind;
  const { before, after } = beforeAndAfter(current, req, kind);
  return decide(graphErrors(before, namespace), graphErrors(after, namespace));
}

/** Requests that cannot change the graph: other groups, kinds, namespaces, or an unchanged spec. */
export function irrelevant(req: AdmissionRequest, namespace: string): boolean {
  if (req.kind.group !== GROUP || !KIND_NAMES.includes(req.kind.kind as Kind)) return true;
  if (req.namespace !== namespace) return true;
  if (req.operation === 'UPDATE') {
    const spec = (o: unknown) => (o as { spec?: unknown } | undefined)?.spec;
    return isDeepStrictEqual(spec(req.object), spec(req.oldObject));
  }
  return req.operation === 'CONNECT';
}

export interface OrgAdmissionOptions {
  /** The org namespace (--watch-namespace). */
  namespace: string;
  /** A fresh (quorum) read of the namespace from the API server. */
  fresh: () => Promise<AnyResource[]>;
  /** The informer cache: used only when the fresh read fails. */
  cached: () => AnyResource[];
  synced: () => boolean;
}

/**
 * Judges every request on a fresh read: `kubectl apply` sends the next object a few
 * milliseconds after the last one was stored, before a watch event reaches the informer, and a
 * cache that lacks the OU just created would let a cycle or a duplicate email through. One LIST
 * per kind per request is cheap next to a person's apply. When the read fails the cache stands
 * in (and when that has not synced either, the request is allowed: the engine validates anyway).
 */
export function orgAdmissionHandler(o: OrgAdmissionOptions): AdmissionHandler {
  return async (req) => {
    // Approvals are not part of the graph: only who grants them is checked (approvals/admission.ts).
    if (isApprovalRequest(req)) return admitApproval(req);
    if (irrelevant(req, o.namespace)) return { allowed: true };
    let current: AnyResource[];
    try {
      current = await o.fresh();
    } catch (err) {
      if (!o.synced()) return { allowed: true, warnings: [`orgplane: not validated (the namespace could not be read: ${errorMessage(err)})`] };
      current = o.cached();
    }
    return admit(current, req, o.namespace);
  };
}

// ---- serving -------------------------------------------------------------------------------

export interface WebhookConfig {
  /** HTTPS port of the webhook (0 = any free port). */
  port: number;
  host?: string;
  /** Secret (in the controller's namespace) holding the CA and serving certificate. */
  certSecret: CertSecretRef;
  /** DNS names and IPv4 addresses the certificate is for (the Service's DNS name in a cluster). */
  hosts: string[];
  /** ValidatingWebhookConfiguration whose caBundle the controller keeps set. */
  configName: string;
  /** How often the caBundle is checked again (someone may reset it). */
  recheckMs?: number;
}

export interface RunningWebhook {
  port: number;
  stop(): Promise<void>;
}

export async function startOrgWebhook(apis: KubeApis, cfg: WebhookConfig, admission: OrgAdmissionOptions, log: Logger): Promise<RunningWebhook> {
  const cert = await ensureServingCert(apis, cfg.certSecret, cfg.hosts);
  const server = new AdmissionServer({
    port: cfg.port,
    host: cfg.host,
    cert: cert.cert,
    key: cert.key,
    handler: orgAdmissionHandler(admission),
    onError: (err) => log.error({ err: errorMessage(err) }, 'admission webhook failed'),
  });
  const port = await server.start();
  const inject = async () => {
    try {
      const found = await injectCaBundle(apis, cfg.configName, cert.caCert);
      if (!found) log.warn({ config: cfg.configName }, 'ValidatingWebhookConfiguration not found: nothing calls the webhook');
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not write the webhook caBundle');
    }
  };
  await inject();
  const timer = setInterval(() => void inject(), cfg.recheckMs ?? 60_000);
  timer.unref?.();
  log.info({ port, hosts: cfg.hosts, config: cfg.configName }, 'admission webhook serving');
  return {
    port,
    stop: async () => {
      clearInterval(timer);
      await server.stop();
    },
  };
}
