// "The plan is the contract", through the orgplane command (a child process) on moto, checked
// with independent SDK reads and the CLI's own count of AWS writes (-v):
// - stored workflows run only as resume ops of a plan that still asks for them, and only after
//   confirmation (issue 11, findings 1 and 2; a tampered .orgplane/workflows.json writes nothing);
// - saved plans: plan --out, apply --plan applies exactly that plan, or refuses naming what changed.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAccountCommand,
  DescribeAccountCommand,
  DescribePolicyCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  MoveAccountCommand,
  UpdatePolicyCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { orgClient } from '../support/engine.js';
import { forgedClose } from '../support/workflows.js';
import { type CliRun, orgplane } from '../support/cli.js';

const DENY_B = { Version: '2012-10-17', Statement: [{ Sid: 'DenyB', Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }] };

/** Two OUs, an SCP on B (so a move A -> B changes the account's SCPs), one account. */
function orgYaml(o: { parent: 'a' | 'b'; approval: 'Never' | 'WhenPoliciesChange'; denyAction?: string }): string {
  const doc = { ...DENY_B, Statement: [{ ...DENY_B.Statement[0], Action: o.denyAction ?? 's3:DeleteBucket' }] };
  return [
    `apiVersion: orgplane.io/v1alpha1\nkind: Organization\nmetadata: { name: org }\nspec:\n  enabledPolicyTypes: [SERVICE_CONTROL_POLICY]\n  migrationApproval: ${o.approval}`,
    'apiVersion: orgplane.io/v1alpha1\nkind: OrganizationalUnit\nmetadata: { name: a }\nspec: { name: A, parent: root }',
    'apiVersion: orgplane.io/v1alpha1\nkind: OrganizationalUnit\nmetadata: { name: b }\nspec: { name: B, parent: root }',
    `apiVersion: orgplane.io/v1alpha1\nkind: ServiceControlPolicy\nmetadata: { name: deny-b }\nspec:\n  name: DenyB\n  description: deny on B\n  targets: { organizationalUnits: [b] }\n  document: '${JSON.stringify(doc)}'`,
    `apiVersion: orgplane.io/v1alpha1\nkind: Account\nmetadata: { name: acc }\nspec: { name: Acc, email: acc@example.com, parent: ${o.parent} }`,
  ].join('\n---\n');
}

async function manifestDir(yaml: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'orgplane-contract-'));
  await writeFile(path.join(dir, 'org.yaml'), yaml);
  return dir;
}

interface Ids {
  accountId: string;
  a: string;
  b: string;
  policyId: string;
}

async function ids(org: OrganizationsClient): Promise<Ids> {
  const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
  const ous = (await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }))).OrganizationalUnits!;
  const accountId = (await org.send(new ListAccountsCommand({}))).Accounts!.find((x) => x.Email === 'acc@example.com')!.Id!;
  const policyId = (await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))).Policies!.find((p) => p.Name === 'DenyB')!.Id!;
  return { accountId, a: ous.find((o) => o.Name === 'A')!.Id!, b: ous.find((o) => o.Name === 'B')!.Id!, policyId };
}

const parentOf = async (org: OrganizationsClient, id: string) => (await org.send(new ListParentsCommand({ ChildId: id }))).Parents![0].Id!;
const policyContent = async (org: OrganizationsClient, id: string) => (await org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy!.Content!;
/** The CLI's own count (-v) of AWS writes it made. */
const writesOf = (r: CliRun): number => Number(/aws: \d+ calls \((\d+) writes\)/.exec(r.stderr)?.[1] ?? NaN);
const callsOf = (r: CliRun): Record<string, number> => JSON.parse(/aws: .* ms: (\{.*\})/.exec(r.stderr)?.[1] ?? '{}') as Record<string, number>;

describe('stored workflows through the CLI', () => {
  const moto = useMoto();

  /** Built with acc in A, then a move to B left waiting for approval in the state file. */
  async function waitingMove() {
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'orgplane-state-')), 'workflows.json');
    const inA = await manifestDir(orgYaml({ parent: 'a', approval: 'WhenPoliciesChange' }));
    const toB = await manifestDir(orgYaml({ parent: 'b', approval: 'WhenPoliciesChange' }));
    const built = await orgplane(['apply', '--auto-approve', '-f', inA, '--state', state], moto.endpoint);
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const held = await orgplane(['apply', '--auto-approve', '-f', toB, '--state', state], moto.endpoint);
    expect(held.stdout).toMatch(/AwaitingApproval/);
    const org = orgClient(moto.endpoint);
    const id = await ids(org);
    expect(await parentOf(org, id.accountId)).toBe(id.a);
    expect(JSON.parse(await readFile(state, 'utf8')).workflows['Account/acc']).toMatchObject({ kind: 'migrate', phase: 'AwaitingApproval' });
    return { state, inA, toB, org, id };
  }

  it('finding 1: nothing runs before confirmation, and a reverted move is cancelled, not run, even with --approve-migration', async () => {
    const { state, inA, toB, org, id } = await waitingMove();

    // No terminal, no --auto-approve: the plan is shown (with the resume op) and nothing runs.
    const unconfirmed = await orgplane(['apply', '-f', toB, '--approve-migration', 'acc', '--state', state, '-v'], moto.endpoint);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stdout).toMatch(/resume migrate workflow \(AwaitingApproval\)/);
    expect(writesOf(unconfirmed)).toBe(0);
    expect(await parentOf(org, id.accountId)).toBe(id.a);

    const plan = await orgplane(['plan', '-f', inA, '--state', state], moto.endpoint);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /stored migrate workflow of Account\/acc \(phase AwaitingApproval\) is not resumed: the plan has no MoveAccount for Account\/acc/,
    );

    const applied = await orgplane(['apply', '-f', inA, '--approve-migration', 'acc', '--auto-approve', '--state', state, '-v'], moto.endpoint);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Account\/acc: WorkflowCancelled: stored migrate workflow \(phase AwaitingApproval\) cancelled, not run/);
    expect(writesOf(applied)).toBe(0);
    expect(await parentOf(org, id.accountId)).toBe(id.a);
    expect(JSON.parse(await readFile(state, 'utf8')).workflows['Account/acc']).toBeUndefined();
  }, 120_000);

  it('finding 2: with migrationApproval back to Never the plan resumes the waiting move without approval, and apply moves it', async () => {
    const { state, org, id } = await waitingMove();
    const never = await manifestDir(orgYaml({ parent: 'b', approval: 'Never' }));
    const plan = await orgplane(['plan', '-f', never, '--state', state], moto.endpoint);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/resume migrate workflow \(AwaitingApproval\): move account/);
    expect(plan.stdout).not.toMatch(/needs approval/);
    const applied = await orgplane(['apply', '-f', never, '--auto-approve', '--state', state], moto.endpoint);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).not.toMatch(/AwaitingApproval:/);
    expect(await parentOf(org, id.accountId)).toBe(id.b);
  }, 120_000);

  it('a tampered workflows.json (a move the plan no longer has, a close of an unmanaged account) causes no AWS write', async () => {
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'orgplane-state-')), 'workflows.json');
    const inA = await manifestDir(orgYaml({ parent: 'a', approval: 'Never' }));
    expect((await orgplane(['apply', '--auto-approve', '-f', inA, '--state', state], moto.endpoint)).code).toBe(0);
    const org = orgClient(moto.endpoint);
    const id = await ids(org);
    const outsider = (await org.send(new CreateAccountCommand({ AccountName: 'outsider', Email: 'outsider@example.com' }))).CreateAccountStatus!.AccountId!;
    const move = {
      resource: 'Account/acc',
      accountId: id.accountId,
      fromId: id.a,
      toId: id.b,
      gained: [],
      lost: [],
      requireApproval: false,
      approved: true,
      startedAt: Date.now(),
      maxVerifyAttempts: 3,
      verifyBaseMs: 10,
      verifyAttempts: 0,
    };
    await writeFile(
      state,
      JSON.stringify({
        version: 1,
        workflows: {
          'Account/acc': {
            kind: 'migrate',
            phase: 'Moving',
            snapshot: JSON.stringify({ machine: 'account-migrate', version: 1, value: 'moving', context: move, status: 'active' }),
          },
          'Account/ghost': forgedClose('Account/ghost', outsider),
        },
      }),
    );

    const r = await orgplane(['apply', '-f', inA, '--auto-approve', '--state', state, '-v'], moto.endpoint);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(writesOf(r)).toBe(0);
    expect(r.stdout).toMatch(/Account\/acc: WorkflowCancelled: .*the plan has no MoveAccount for Account\/acc/);
    expect(r.stdout).toMatch(/Account\/ghost: WorkflowCancelled: .*the plan has no CloseAccount for Account\/ghost/);
    expect(await parentOf(org, id.accountId)).toBe(id.a);
    expect((await org.send(new DescribeAccountCommand({ AccountId: outsider }))).Account!.State).toBe('ACTIVE');
  }, 120_000);
});

describe('saved plans: plan --out, apply --plan', () => {
  const moto = useMoto();

  /** Built with acc in A; `next` moves acc to B and changes DenyB's document. */
  async function builtWithNext() {
    const state = path.join(await mkdtemp(path.join(tmpdir(), 'orgplane-state-')), 'workflows.json');
    const inA = await manifestDir(orgYaml({ parent: 'a', approval: 'Never' }));
    expect((await orgplane(['apply', '--auto-approve', '-f', inA, '--state', state], moto.endpoint)).code).toBe(0);
    const next = await manifestDir(orgYaml({ parent: 'b', approval: 'Never', denyAction: 's3:PutBucketPolicy' }));
    const planFile = path.join(next, 'out', 'plan.json');
    const planned = await orgplane(['plan', '-f', next, '--state', state, '--out', planFile], moto.endpoint);
    expect(planned.code, planned.stdout + planned.stderr).toBe(2);
    const org = orgClient(moto.endpoint);
    return { state, next, planFile, org, id: await ids(org) };
  }

  it('refuses, naming the change and writing nothing, when the organization changed out of band', async () => {
    const { state, next, planFile, org, id } = await builtWithNext();
    const saved = JSON.parse(await readFile(planFile, 'utf8')) as { formatVersion: number; plan: { ops: { op: string }[] } };
    expect(saved.formatVersion).toBe(1);
    expect(saved.plan.ops.map((o) => o.op).sort()).toEqual(['MoveAccount', 'UpdatePolicy']);

    const outOfBand = JSON.stringify({ ...DENY_B, Statement: [{ ...DENY_B.Statement[0], Action: 's3:GetObject' }] });
    await org.send(new UpdatePolicyCommand({ PolicyId: id.policyId, Content: outOfBand }));
    const r = await orgplane(['apply', '-f', next, '--plan', planFile, '--state', state, '-v'], moto.endpoint);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`organization changed since the plan: SCP DenyB (${id.policyId}): content changed`);
    expect(r.stderr).toContain('Nothing was applied');
    expect(writesOf(r)).toBe(0);
    expect(await policyContent(org, id.policyId)).toBe(outOfBand);
    expect(await parentOf(org, id.accountId)).toBe(id.a);

    // An account moved out of band is named with where it went.
    const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    await org.send(new MoveAccountCommand({ AccountId: id.accountId, SourceParentId: id.a, DestinationParentId: rootId }));
    const moved = await orgplane(['apply', '-f', next, '--plan', planFile, '--state', state, '-v'], moto.endpoint);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain(`account ${id.accountId} (Acc): moved from ${id.a} to ${rootId}`);
    expect(writesOf(moved)).toBe(0);
    expect(await parentOf(org, id.accountId)).toBe(rootId);
    expect(await policyContent(org, id.policyId)).toBe(outOfBand);
  }, 120_000);

  it('refuses a plan whose manifests changed, or whose file was edited, before any write', async () => {
    const { state, next, planFile, org, id } = await builtWithNext();
    const movedOnly = await manifestDir(orgYaml({ parent: 'b', approval: 'Never' }));
    const changed = await orgplane(['apply', '-f', movedOnly, '--plan', planFile, '--state', state, '-v'], moto.endpoint);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('manifests changed: ServiceControlPolicy/deny-b: spec changed');
    expect(writesOf(changed)).toBe(0);

    // An edited op (same fingerprints): the ops are not what these inputs plan, so none runs.
    const saved = JSON.parse(await readFile(planFile, 'utf8')) as { plan: { ops: Record<string, unknown>[] } };
    const move = saved.plan.ops.find((o) => o.op === 'MoveAccount')!;
    move.to = { id: id.a };
    await writeFile(planFile, JSON.stringify(saved));
    const edited = await orgplane(['apply', '-f', next, '--plan', planFile, '--state', state, '-v'], moto.endpoint);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(/the saved ops are not the ops of a plan made from the same inputs: op-\d+ \(move account .*\) differs/);
    expect(writesOf(edited)).toBe(0);

    await writeFile(planFile, JSON.stringify({ ...saved, formatVersion: 7 }));
    const future = await orgplane(['apply', '-f', next, '--plan', planFile, '--state', state], moto.endpoint);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('plan formatVersion 7 is not supported (this orgplane reads 1)');
    expect(await parentOf(org, id.accountId)).toBe(id.a);
  }, 120_000);

  it('applies exactly the saved plan, without a prompt, when nothing changed', async () => {
    const { state, next, planFile, org, id } = await builtWithNext();
    const r = await orgplane(['apply', '-f', next, '--plan', planFile, '--state', state, '-v'], moto.endpoint);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Applying the saved plan ${planFile}`);
    const calls = callsOf(r);
    const writes = Object.fromEntries(
      Object.entries(calls).filter(([k]) => /:(UpdatePolicy|MoveAccount|Create|Delete|Attach|Detach|Tag|Untag|Close|Remove)/.test(k)),
    );
    expect(writes).toEqual({ 'Organizations:UpdatePolicy': 1, 'Organizations:MoveAccount': 1 });
    expect(writesOf(r)).toBe(2);
    expect(await parentOf(org, id.accountId)).toBe(id.b);
    expect(JSON.parse(await policyContent(org, id.policyId))).toMatchObject({ Statement: [{ Action: 's3:PutBucketPolicy' }] });
    expect((await orgplane(['plan', '-f', next, '--state', state], moto.endpoint)).code).toBe(0);
  }, 120_000);
});
