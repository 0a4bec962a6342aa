// Helpers for integration tests that drive the whole engine against a real moto server.
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { parse, stringify } from 'yaml';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { UNLIMITED } from '../../controller/aws/middleware.js';
import { readOrganization } from '../../controller/aws/read-org.js';
import { loadManifests, parseManifests } from '../../controller/model/load.js';
import type { AnyResource } from '../../controller/api/schemas.js';
import { reconcile, type ReconcileResult } from '../../controller/engine.js';
import type { Guards } from '../../controller/plan/guards.js';
import { MemoryWorkflowStore, type WorkflowStore } from '../../controller/workflows/store.js';
import type { ActualOrg } from '../../controller/model/actual.js';
import { TEST_CREDENTIALS, TEST_REGION } from './moto.js';

export function clientsFor(endpoint: string): AwsClients {
  // Fast retries and no client-side pacing: tests must not sleep on an injected fault, and the
  // emulator has no quotas to respect (the rate limiter has its own tests).
  return createAwsClients({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 50 },
    rateLimits: UNLIMITED,
  });
}

export function orgClient(endpoint: string): OrganizationsClient {
  return new OrganizationsClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
}

export function example(name: string): AnyResource[] {
  const r = loadManifests([`manifests/examples/${name}`]);
  if (r.errors.length) throw new Error(`example ${name} does not load: ${JSON.stringify(r.errors)}`);
  return r.resources;
}

export function manifests(yamlText: string): AnyResource[] {
  const r = parseManifests(yamlText, 'test.yaml');
  if (r.errors.length) throw new Error(`test manifests do not load: ${JSON.stringify(r.errors)}`);
  return r.resources;
}

/** A deep copy of resources with one changed: keeps tests readable ("same org, but dev moved"). */
export function edit(resources: AnyResource[], key: string, fn: (r: AnyResource) => void): AnyResource[] {
  const copy = resources.map((r) => parse(stringify(r)) as AnyResource);
  const target = copy.find((r) => `${r.kind}/${r.metadata.name}` === key);
  if (!target) throw new Error(`no ${key}`);
  fn(target);
  return copy;
}

/**
 * One `orgplane apply`: the options are the ones the CLI sets from its flags (--max-delete-fraction,
 * --max-closures-per-run, --allow-org-wide, --approve-migration, --concurrency).
 */
export async function apply(
  resources: AnyResource[],
  clients: AwsClients,
  opts: { store?: WorkflowStore; namespace?: string; approved?: string[]; concurrency?: number; guards?: Partial<Guards>; allowOrgWide?: boolean } = {},
): Promise<ReconcileResult> {
  return reconcile(resources, {
    clients,
    namespace: opts.namespace ?? 'default',
    workflowStore: opts.store ?? new MemoryWorkflowStore(),
    apply: true,
    concurrency: opts.concurrency,
    approvedMigrations: new Set(opts.approved ?? []),
    guards: opts.guards,
    allowOrgWide: () => opts.allowOrgWide === true,
  });
}

export async function plan(resources: AnyResource[], clients: AwsClients, namespace = 'default', guards?: Partial<Guards>): Promise<ReconcileResult> {
  return reconcile(resources, { clients, namespace, workflowStore: new MemoryWorkflowStore(), apply: false, guards });
}

/** The org as names, for comparing end states: "Root/WorkloadsOU/Workloads Dev" etc. */
export async function shape(clients: AwsClients): Promise<{ ous: string[]; accounts: string[]; policies: string[] }> {
  const a: ActualOrg = await readOrganization(clients);
  const pathOf = (id: string): string => {
    const names: string[] = [];
    let cur = a.ous[id];
    while (cur) {
      names.unshift(cur.name);
      cur = a.ous[cur.parentId];
    }
    return ['Root', ...names].join('/');
  };
  const nameOfTarget = (t: string) => a.accounts[t]?.name ?? (a.ous[t] ? pathOf(t) : t === a.root.id ? 'Root' : t);
  return {
    ous: Object.keys(a.ous).map(pathOf).sort(),
    accounts: Object.values(a.accounts)
      .map((x) => `${pathOf(x.parentId)}/${x.name} <${x.email}> ${x.state}`)
      .sort(),
    policies: Object.values(a.policies)
      .filter((p) => !p.awsManaged)
      .map((p) => `${p.name} -> ${(p.targets ?? []).map(nameOfTarget).sort().join(', ')}`)
      .sort(),
  };
}
