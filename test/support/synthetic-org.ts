// Synthetic organizations for scale tests and benchmarks: a seeded generator of N accounts in a
// 5-level OU tree with 50+ SCPs, that (a) loads the organization into moto with the SDK directly
// and (b) gives the orgplane manifests describing exactly that organization, so that planning
// them against what was loaded is a no-op; plus "one-line change" variants of those manifests.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  OrganizationsClient,
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { API_VERSION, type AnyResource } from '../../controller/api/schemas.js';
import { ownershipTags } from '../../controller/model/ownership.js';
import { mulberry32 } from './fault-proxy.js';
import { TEST_CREDENTIALS, TEST_REGION } from './moto.js';
import { mapLimit } from '../../controller/aws/read-org.js';

export const SCP_TYPE = 'SERVICE_CONTROL_POLICY';
export const MAX_DEPTH = 5;
/** Customer SCPs per target; with FullAWSAccess this stays well below the quota of 10. */
export const SCPS_PER_TARGET = 4;

export interface SyntheticOrgOptions {
  accounts: number;
  seed?: number;
  /** OUs; default about accounts/10, at least 5 (one per level), at most 300. */
  ous?: number;
  /** Customer SCPs; default max(50, ous/4). */
  policies?: number;
  /** Namespace of the manifests, used in the ownership tags (orgplane.io/owner). */
  namespace?: string;
  /**
   * Share of accounts whose manifest sets user tags (default 0.1). Organizations has no bulk tag
   * read, so every tagged account costs orgplane one ListTagsForResource per reconcile.
   */
  accountTagShare?: number;
  /** Write orgplane's ownership tags on the objects, as if orgplane had created them (default true). */
  ownershipTags?: boolean;
  domain?: string;
}

export interface SynOU {
  ref: string;
  name: string;
  level: number;
  parent: string /* ref or 'root' */;
  tags: Record<string, string>;
}
export interface SynAccount {
  ref: string;
  name: string;
  email: string;
  parent: string;
  tags: Record<string, string>;
}
export interface SynPolicy {
  ref: string;
  name: string;
  description: string;
  document: { Version: string; Statement: Record<string, unknown>[] };
  targets: { root: boolean; organizationalUnits: string[]; accounts: string[] };
  tags: Record<string, string>;
}

export interface SyntheticOrg {
  options: Required<Omit<SyntheticOrgOptions, 'domain'>> & { domain: string };
  ous: SynOU[];
  accounts: SynAccount[];
  policies: SynPolicy[];
}

const ACTIONS = [
  'ec2:RunInstances',
  'ec2:DeleteVpc',
  's3:DeleteBucket',
  's3:PutBucketPolicy',
  'iam:CreateUser',
  'iam:CreateAccessKey',
  'kms:ScheduleKeyDeletion',
  'rds:DeleteDBInstance',
  'cloudtrail:StopLogging',
  'config:DeleteConfigRule',
  'guardduty:DeleteDetector',
  'organizations:LeaveOrganization',
  'route53:DeleteHostedZone',
  'lambda:DeleteFunction',
];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'eu-central-1'];
const ENVS = ['prod', 'staging', 'dev', 'sandbox'];

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Splits total into `parts` shares by weight (largest remainder), each at least 1. */
function split(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const raw = weights.map((w) => Math.max(1, (total * w) / sum));
  const out = raw.map(Math.floor);
  let left = total - out.reduce((s, x) => s + x, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k][1]]++;
  return out;
}

/** The organization as plain data: a pure function of the options. */
export function generateSyntheticOrg(o: SyntheticOrgOptions): SyntheticOrg {
  const seed = o.seed ?? 1;
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const ouCount = Math.max(MAX_DEPTH, o.ous ?? Math.min(300, Math.round(o.accounts / 10)));
  const policyCount = o.policies ?? Math.max(50, Math.ceil(ouCount / 4));
  const options = {
    accounts: o.accounts,
    seed,
    ous: ouCount,
    policies: policyCount,
    accountTagShare: o.accountTagShare ?? 0.1,
    namespace: o.namespace ?? 'default',
    ownershipTags: o.ownershipTags ?? true,
    domain: o.domain ?? 'synthetic.example.com',
  };
  const owner = (key: string, deletionPolicy: string): Record<string, string> =>
    options.ownershipTags ? ownershipTags(options.namespace, key, deletionPolicy) : {};

  // A wide-then-narrow tree: most OUs in the middle levels, every level present.
  const perLevel = split(ouCount, [10, 20, 30, 25, 15]);
  const levels: SynOU[][] = [];
  for (let l = 1; l <= MAX_DEPTH; l++) {
    const row: SynOU[] = [];
    for (let j = 0; j < perLevel[l - 1]; j++) {
      // Round-robin over the level above keeps branching even and every level populated.
      const parent = l === 1 ? 'root' : levels[l - 2][j % levels[l - 2].length].ref;
      const ref = `ou-${l}-${pad(j, 3)}`;
      row.push({ ref, name: `L${l} Unit ${pad(j, 3)}`, level: l, parent, tags: { level: String(l), ...owner(`OrganizationalUnit/${ref}`, 'Retain') } });
    }
    levels.push(row);
  }
  const ous = levels.flat();

  const w = String(o.accounts).length;
  const accounts: SynAccount[] = [];
  for (let i = 0; i < o.accounts; i++) {
    const ref = `acct-${pad(i, w)}`;
    // About 2% stay under the root, the rest spread over every OU.
    const parent = rand() < 0.02 ? 'root' : pick(ous).ref;
    accounts.push({
      ref,
      name: `Account ${pad(i, w)}`,
      email: `aws+${ref}@${options.domain}`,
      parent,
      tags: {
        ...(rand() < options.accountTagShare ? { env: pick(ENVS), 'cost-center': `cc-${pad(i % 40, 2)}` } : {}),
        ...owner(`Account/${ref}`, 'Retain'),
      },
    });
  }

  // Attachments within the per-target quota: a couple of root guardrails, then each policy on
  // 1-3 OUs and 0-3 accounts that still have room.
  const load = new Map<string, number>();
  const room = (ref: string) => (load.get(ref) ?? 0) < SCPS_PER_TARGET;
  const take = (ref: string) => load.set(ref, (load.get(ref) ?? 0) + 1);
  const policies: SynPolicy[] = [];
  for (let i = 0; i < policyCount; i++) {
    const ref = `scp-${pad(i, 3)}`;
    const targets = { root: i < 2, organizationalUnits: [] as string[], accounts: [] as string[] };
    if (!targets.root) {
      const nOu = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < nOu * 3 && targets.organizationalUnits.length < nOu; k++) {
        const ou = pick(ous).ref;
        if (room(ou) && !targets.organizationalUnits.includes(ou)) {
          take(ou);
          targets.organizationalUnits.push(ou);
        }
      }
      const nAcct = Math.floor(rand() * 4);
      for (let k = 0; k < nAcct * 3 && targets.accounts.length < nAcct; k++) {
        const a = pick(accounts)?.ref;
        if (a && room(a) && !targets.accounts.includes(a)) {
          take(a);
          targets.accounts.push(a);
        }
      }
      targets.organizationalUnits.sort();
      targets.accounts.sort();
    }
    const statements: Record<string, unknown>[] = [
      { Sid: `Deny${pad(i, 3)}a`, Effect: 'Deny', Action: [pick(ACTIONS), pick(ACTIONS)].filter((x, k, xs) => xs.indexOf(x) === k).sort(), Resource: '*' },
      {
        Sid: `Deny${pad(i, 3)}b`,
        Effect: 'Deny',
        NotAction: ['iam:*', 'sts:*', 'organizations:*'],
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:RequestedRegion': [pick(REGIONS)] } },
      },
    ];
    policies.push({
      ref,
      name: `Guardrail${pad(i, 3)}`,
      description: `Synthetic guardrail ${i}`,
      document: { Version: '2012-10-17', Statement: statements },
      targets,
      tags: { family: `f${i % 5}`, ...owner(`ServiceControlPolicy/${ref}`, 'Retain') },
    });
  }
  return { options, ous, accounts, policies };
}

const userTags = (tags: Record<string, string>): Record<string, string> | undefined => {
  const t = Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith('orgplane.io/')));
  return Object.keys(t).length ? t : undefined;
};

/** The orgplane manifests that describe the synthetic organization. */
export function syntheticManifests(org: SyntheticOrg): AnyResource[] {
  const meta = (name: string) => ({ name, namespace: org.options.namespace });
  const out: AnyResource[] = [
    {
      apiVersion: API_VERSION,
      kind: 'Organization',
      metadata: meta('synthetic'),
      spec: { featureSet: 'ALL', enabledPolicyTypes: [SCP_TYPE] },
    },
  ];
  for (const ou of org.ous) {
    const tags = userTags(ou.tags);
    out.push({
      apiVersion: API_VERSION,
      kind: 'OrganizationalUnit',
      metadata: meta(ou.ref),
      spec: { name: ou.name, parent: ou.parent, ...(tags ? { tags } : {}) },
    });
  }
  for (const a of org.accounts) {
    const tags = userTags(a.tags);
    out.push({
      apiVersion: API_VERSION,
      kind: 'Account',
      metadata: meta(a.ref),
      spec: { name: a.name, email: a.email, parent: a.parent, ...(tags ? { tags } : {}) },
    });
  }
  for (const p of org.policies) {
    const tags = userTags(p.tags);
    const targets = {
      ...(p.targets.root ? { root: true } : {}),
      ...(p.targets.organizationalUnits.length ? { organizationalUnits: p.targets.organizationalUnits } : {}),
      ...(p.targets.accounts.length ? { accounts: p.targets.accounts } : {}),
    };
    out.push({
      apiVersion: API_VERSION,
      kind: 'ServiceControlPolicy',
      metadata: meta(p.ref),
      spec: { name: p.name, description: p.description, document: p.document, targets, ...(tags ? { tags } : {}) },
    });
  }
  return out;
}

/** Writes the manifests as four multi-document YAML files (organization, ous, accounts, scps); returns their paths. */
export function writeManifests(resources: AnyResource[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const groups: Record<string, AnyResource[]> = { organization: [], ous: [], accounts: [], scps: [] };
  const file: Record<string, string> = { Organization: 'organization', OrganizationalUnit: 'ous', Account: 'accounts', ServiceControlPolicy: 'scps' };
  for (const r of resources) (groups[file[r.kind] ?? 'other'] ??= []).push(r);
  const paths: string[] = [];
  for (const [name, rs] of Object.entries(groups)) {
    if (!rs.length) continue;
    const p = path.join(dir, `${name}.yaml`);
    writeFileSync(p, rs.map((r) => stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.metadata.name }, spec: r.spec })).join('---\n'));
    paths.push(p);
  }
  return paths;
}

export type ChangeKind = 'move-account' | 'scp-statement';

/**
 * A copy of the manifests with one line changed: one account moved to another OU, or one SCP
 * statement's action changed. Returns what changed, for assertions and the benchmark table.
 */
export function oneLineChange(org: SyntheticOrg, kind: ChangeKind, base?: AnyResource[]): { resources: AnyResource[]; resource: string; description: string } {
  const resources = structuredClone(base ?? syntheticManifests(org));
  if (kind === 'move-account') {
    const i = Math.floor(org.accounts.length / 2);
    const acct = org.accounts[i];
    const to = org.ous.find((o) => o.ref !== acct.parent && o.level === MAX_DEPTH) ?? org.ous.find((o) => o.ref !== acct.parent)!;
    const r = resources.find((x) => x.kind === 'Account' && x.metadata.name === acct.ref)!;
    const from = (r.spec as { parent: string }).parent;
    (r.spec as { parent: string }).parent = to.ref;
    return { resources, resource: `Account/${acct.ref}`, description: `spec.parent: ${from} -> ${to.ref}` };
  }
  const p = org.policies[Math.floor(org.policies.length / 2)];
  const r = resources.find((x) => x.kind === 'ServiceControlPolicy' && x.metadata.name === p.ref)!;
  const doc = (r.spec as { document: SynPolicy['document'] }).document;
  const before = JSON.stringify(doc.Statement[0].Action);
  doc.Statement[0].Action = ['ec2:TerminateInstances'];
  return { resources, resource: `ServiceControlPolicy/${p.ref}`, description: `Statement[0].Action: ${before} -> ["ec2:TerminateInstances"]` };
}

export interface LoadedOrg {
  rootId: string;
  /** ref -> AWS id */
  ouIds: Record<string, string>;
  accountIds: Record<string, string>;
  policyIds: Record<string, string>;
  /** Milliseconds per phase, and API calls made. */
  timings: { ous: number; accounts: number; policies: number; total: number };
  calls: Record<string, number>;
}

const tagList = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

/**
 * Creates the synthetic organization in moto (which must already have an organization) with
 * the SDK directly and bounded concurrency. Not through orgplane: this is the "existing org".
 */
export async function loadIntoMoto(
  org: SyntheticOrg,
  endpoint: string,
  opts: { concurrency?: number; onProgress?: (msg: string) => void } = {},
): Promise<LoadedOrg> {
  const concurrency = opts.concurrency ?? 8;
  const calls: Record<string, number> = {};
  const client = new OrganizationsClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 5 });
  // Count every call (retries included) by operation, the way orgplane's CallLog does.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'syntheticOrgCallCount' },
  );
  const t0 = Date.now();
  try {
    const roots = await client.send(new ListRootsCommand({}));
    const root = roots.Roots?.[0];
    if (!root?.Id) throw new Error('moto has no organization root: create the organization first');
    const rootId = root.Id;
    if (!root.PolicyTypes?.some((t) => t.Type === SCP_TYPE && t.Status === 'ENABLED')) {
      await client.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP_TYPE }));
    }
    const ouIds: Record<string, string> = {};
    const accountIds: Record<string, string> = {};
    const idOf = (ref: string) => (ref === 'root' ? rootId : (ouIds[ref] ?? accountIds[ref]));
    for (let l = 1; l <= MAX_DEPTH; l++) {
      await mapLimit(
        org.ous.filter((o) => o.level === l),
        concurrency,
        async (ou) => {
          const r = await client.send(
            new CreateOrganizationalUnitCommand({
              ParentId: idOf(ou.parent),
              Name: ou.name,
              Tags: tagList(ou.tags),
            }),
          );
          ouIds[ou.ref] = r.OrganizationalUnit?.Id ?? '';
        },
      );
    }
    const tOus = Date.now();
    opts.onProgress?.(`${org.ous.length} OUs in ${tOus - t0} ms`);
    let done = 0;
    await mapLimit(org.accounts, concurrency, async (a) => {
      const r = await client.send(
        new CreateAccountCommand({
          AccountName: a.name,
          Email: a.email,
          Tags: tagList(a.tags),
        }),
      );
      const id = r.CreateAccountStatus?.AccountId;
      if (!id) throw new Error(`CreateAccount ${a.email}: no account id (state ${r.CreateAccountStatus?.State})`);
      accountIds[a.ref] = id;
      if (a.parent !== 'root') {
        await client.send(new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: idOf(a.parent) }));
      }
      if (++done % 500 === 0) opts.onProgress?.(`${done} accounts in ${Date.now() - tOus} ms`);
    });
    const tAccounts = Date.now();
    const policyIds: Record<string, string> = {};
    await mapLimit(org.policies, concurrency, async (p) => {
      const r = await client.send(
        new CreatePolicyCommand({
          Name: p.name,
          Description: p.description,
          Type: SCP_TYPE,
          Content: JSON.stringify(p.document),
          Tags: tagList(p.tags),
        }),
      );
      const id = r.Policy?.PolicySummary?.Id ?? '';
      policyIds[p.ref] = id;
      const targets = [...(p.targets.root ? ['root'] : []), ...p.targets.organizationalUnits, ...p.targets.accounts];
      for (const t of targets) await client.send(new AttachPolicyCommand({ PolicyId: id, TargetId: idOf(t) }));
    });
    const tEnd = Date.now();
    return {
      rootId,
      ouIds,
      accountIds,
      policyIds,
      calls,
      timings: { ous: tOus - t0, accounts: tAccounts - tOus, policies: tEnd - tAccounts, total: tEnd - t0 },
    };
  } finally {
    client.destroy();
  }
}
