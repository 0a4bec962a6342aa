// API server access: one KubeConfig and the three typed APIs the controller uses, plus the
// merge-patch request option (status and finalizers are merge-patched: JSON-patch `replace`
// fails on an empty status and custom resources reject strategic merge).
import {
  KubeConfig,
  CustomObjectsApi,
  CoreV1Api,
  CoordinationV1Api,
  AdmissionregistrationV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

export interface KubeApis {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  admission: AdmissionregistrationV1Api;
}

/** Loads a kubeconfig file when given, else KUBECONFIG / ~/.kube/config / in-cluster. */
export function loadKubeConfig(kubeconfig?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

export function makeApis(kc: KubeConfig): KubeApis {
  return {
    kc,
    custom: kc.makeApiClient(CustomObjectsApi),
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
  };
}

export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const jsonPatch = () => setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** HTTP status of a client-node error (ApiException.code, or a watch error's statusCode). */
export function httpStatus(e: unknown): number | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const o = e as { code?: unknown; statusCode?: unknown; status?: unknown };
  for (const v of [o.code, o.statusCode, o.status]) if (typeof v === 'number') return v;
  return undefined;
}

/** A short, log-friendly message for a client-node error (its body carries the API's message). */
export function errorMessage(e: unknown): string {
  if (!e || typeof e !== 'object') return String(e);
  const o = e as { body?: unknown; message?: unknown };
  if (typeof o.body === 'string') {
    try {
      const parsed = JSON.parse(o.body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      /* not JSON */
    }
  } else if (o.body && typeof o.body === 'object' && typeof (o.body as { message?: unknown }).message === 'string') {
    return (o.body as { message: string }).message;
  }
  return typeof o.message === 'string' ? o.message : String(e);
}
