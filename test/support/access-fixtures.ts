// Helpers for access tests: plain DesiredOrg pieces, and a small in-order runner of access ops
// against real AWS-API endpoints (moto) through the real writer. Owned by the access tests.
import {
  OrganizationsClient,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { executeAccessOp } from '../../controller/aws/access-writer.js';
import { readAccess } from '../../controller/aws/read-access.js';
import { readOrganization } from '../../controller/aws/read-org.js';
import type { ActualOrg } from '../../controller/model/actual.js';
import {
  DEFAULT_QUOTAS,
  type DesiredAccount,
  type DesiredOrg,
  type DesiredOU,
  type DesiredPermissionSet,
  type DesiredRole,
} from '../../controller/model/desired.js';
import { planAccess, type AccessPlan } from '../../controller/plan/access.js';
import type { AccessOp, IdRef, Op, OpOutcome } from '../../controller/plan/operations.js';
import { TEST_CREDENTIALS, TEST_REGION } from './moto.js';

export const NS = 'securecart';

export function emptyDesired(): DesiredOrg {
  return { namespace: NS, quotas: { ...DEFAULT_QUOTAS }, ous: {}, accounts: {}, policies: {}, permissionSets: {}, roles: {} };
}

export const ou = (ref: string, parent = 'root', name = ref): DesiredOU => ({
  key: `OrganizationalUnit/${ref}`,
  ref,
  name,
  parent,
  tags: {},
  paused: false,
  deletionPolicy: 'Retain',
});

export const account = (ref: string, parent: string, email = `${ref}@securecart.example`, extra: Partial<DesiredAccount> = {}): DesiredAccount => ({
  key: `Account/${ref}`,
  ref,
  name: ref,
  email,
  parent,
  accessRoleName: 'OrganizationAccountAccessRole',
  tags: {},
  paused: false,
  deletionPolicy: 'Retain',
  ...extra,
});

export const permissionSet = (ref: string, extra: Partial<DesiredPermissionSet> = {}): DesiredPermissionSet => ({
  key: `PermissionSet/${ref}`,
  ref,
  name: ref,
  description: '',
  sessionDuration: 'PT1H',
  relayState: '',
  managedPolicies: [],
  customerManagedPolicies: [],
  inlinePolicy: '',
  assignments: [],
  tags: {},
  paused: false,
  deletionPolicy: 'Retain',
  ...extra,
});

export const role = (ref: string, extra: Partial<DesiredRole> = {}): DesiredRole => ({
  key: `CrossAccountRole/${ref}`,
  ref,
  roleName: ref,
  path: '/',
  description: '',
  targetAccounts: [],
  targetOUs: [],
  includeDescendants: true,
  trust: { accounts: [], principalArns: ['111122223333'], requireMfa: false },
  managedPolicyArns: [],
  inlinePolicies: {},
  maxSessionDuration: 3600,
  tags: {},
  paused: false,
  deletionPolicy: 'Retain',
  ...extra,
});

export interface RunResult {
  op: AccessOp;
  status: 'succeeded' | 'failed' | 'skipped';
  error?: string;
  outcome?: OpOutcome;
}

/**
 * Runs access ops in dependency order, one at a time, resolving IdRefs from the outcomes of the
 * ops that created them; a failed op skips its dependants, the others still run.
 */
export async function runAccessOps(clients: AwsClients, ops: AccessOp[], created: Record<string, string> = {}): Promise<RunResult[]> {
  const done = new Map<string, RunResult>();
  const resolve = (r: IdRef): string => {
    if ('id' in r) return r.id;
    const id = created[r.ref];
    if (!id) throw new Error(`unresolved ${r.ref}`);
    return id;
  };
  const remaining = [...ops];
  while (remaining.length) {
    const i = remaining.findIndex((o) => o.deps.every((d) => done.has(d) || !ops.some((x) => x.id === d)));
    if (i < 0) throw new Error('dependency cycle');
    const [op] = remaining.splice(i, 1);
    const failedDep = op.deps.find((d) => done.get(d) && done.get(d)!.status !== 'succeeded');
    if (failedDep) {
      done.set(op.id, { op, status: 'skipped', error: `${failedDep} did not succeed` });
      continue;
    }
    try {
      const outcome = await executeAccessOp(clients, op, resolve, { assumeAttempts: 1, pollDelayMs: 10 });
      if (outcome.createdId) created[op.resource] = outcome.createdId;
      done.set(op.id, { op, status: 'succeeded', outcome });
    } catch (e) {
      done.set(op.id, { op, status: 'failed', error: (e as Error).message });
    }
  }
  return ops.map((o) => done.get(o.id)!);
}

/** One read + plan of the access part, the way the engine does it. */
/**
 * Reads and plans access for a desired graph the way the engine does for live manifests. Deletion
 * inputs (resources being deleted, roles in accounts outside the targets) are not passed here:
 * those tests go through `reconcile` (plan-contract.test.ts), where the engine derives them.
 */
export async function planOnce(clients: AwsClients, desired: DesiredOrg, orgOps: Op[] = []): Promise<{ actual: ActualOrg; plan: AccessPlan }> {
  const actual = await readOrganization(clients);
  actual.access = await readAccess(clients, desired, actual);
  return { actual, plan: planAccess(desired, actual, orgOps) };
}

/**
 * The small organization the access integration tests start from, built with the SDK directly:
 * WorkloadsOU and SandboxOU under the root, and `mkAccount` to add accounts (moved under their
 * parent unless it is the root). Clients retry little, so a test sees failures quickly.
 */
export async function buildAccessTestOrg(endpoint: string): Promise<{
  clients: AwsClients;
  org: OrganizationsClient;
  root: string;
  workloads: string;
  sandbox: string;
  mkAccount: (name: string, parent: string) => Promise<string>;
}> {
  const clients = createAwsClients({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
  const org = new OrganizationsClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
  const mkOu = async (name: string) => (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: name }))).OrganizationalUnit!.Id!;
  const workloads = await mkOu('WorkloadsOU');
  const sandbox = await mkOu('SandboxOU');
  const mkAccount = async (name: string, parent: string) => {
    const s = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@securecart.example` }))).CreateAccountStatus!;
    if (parent !== root) await org.send(new MoveAccountCommand({ AccountId: s.AccountId!, SourceParentId: root, DestinationParentId: parent }));
    return s.AccountId!;
  };
  return { clients, org, root, workloads, sandbox, mkAccount };
}
