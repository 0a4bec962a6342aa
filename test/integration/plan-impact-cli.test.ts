// Permission impact and policy lint through the orgplane command against a real moto server:
// the reference organization is applied, RestrictRegions loses a region, and every plan format
// says which accounts lose which actions where; validate/plan --strict turn lint into errors.
import { describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useMoto } from '../support/moto.js';
import { orgplane } from '../support/cli.js';
import type { PlanDocument } from '../../controller/plan/render-json.js';

const REFERENCE = 'manifests/examples/reference';

async function referenceCopy(): Promise<{ dir: string; scps: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'op-impact-'));
  await cp(REFERENCE, dir, { recursive: true });
  return { dir, scps: path.join(dir, 'scps.yaml') };
}

/** RestrictRegions without us-west-2: only us-east-1 stays allowed. */
async function dropUsWest2(scps: string): Promise<void> {
  const text = await readFile(scps, 'utf8');
  const changed = text.replace('aws:RequestedRegion: [us-east-1, us-west-2]', 'aws:RequestedRegion: [us-east-1]');
  expect(changed).not.toBe(text);
  await writeFile(scps, changed);
}

const DENY_ALL_ON_OU = `---
apiVersion: orgplane.io/v1alpha1
kind: ServiceControlPolicy
metadata:
  name: freeze-runtime
spec:
  name: FreezeRuntime
  targets:
    organizationalUnits: [runtime]
  document:
    Version: "2012-10-17"
    Statement:
      - Sid: FreezeEverything
        Effect: Deny
        Action: "*"
        Resource: "*"
      - Sid: Typo
        Effect: Deny
        Action: ec2:RunInstance
        Resource: "*"
`;

/** The accounts of the reference example, as the plan names them (AWS name; ids are moto's). */
const RUNTIME_PROD = ['dw-prod', 'ecommerce-prod'];
const OTHERS = ['Delivery', 'Security', 'Shared Sandbox', 'Shared Services', 'dw-dev', 'dw-stage', 'ecommerce-dev', 'ecommerce-stage'];
const EXCEPT_START =
  'newly denied: every action except budgets:*, cloudfront:*, cloudtrail:DeleteTrail, cloudtrail:StopLogging, cloudtrail:UpdateTrail, config:DeleteConfigurationRecorder, config:DeleteDeliveryChannel, config:StopConfigurationRecorder';

const STRICT_MESSAGE =
  'ServiceControlPolicy/freeze-runtime: spec.document.Statement[0] (FreezeEverything): denies every action ("*") on the account access role OrganizationAccountAccessRole with no condition, attached to OrganizationalUnit/runtime: nobody (orgplane included) can assume it in the accounts below; exempt the role with a Condition (e.g. ArnNotLike aws:PrincipalArn) [deny-access-path]';

describe('permission impact and policy lint (CLI against moto)', () => {
  const moto = useMoto();

  it('shows the accounts that lose a region in text, Markdown and JSON plans', async () => {
    const { dir, scps } = await referenceCopy();
    const applied = await orgplane(['apply', '--auto-approve', '-f', dir, '--state', path.join(dir, 'wf.json')], moto.endpoint);
    expect(applied.code).toBe(0);
    const clean = await orgplane(['plan', '-f', dir, '-o', 'json'], moto.endpoint);
    expect(clean.code).toBe(0);
    expect((JSON.parse(clean.stdout) as PlanDocument).impact).toBeUndefined();
    await dropUsWest2(scps);

    const text = await orgplane(['plan', '-f', dir, '-o', 'text'], moto.endpoint);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('Permission impact (10 accounts with a changed SCP/RCP path evaluated against ');
    expect(text.stdout).toMatch(/ actions in us-east-1, us-west-2, any other region; 10 accounts affected\):\n/);
    // Runtime prod accounts already had ProtectProductionData's actions denied: a group of their own.
    expect(text.stdout).toMatch(
      /\n {2}dw-prod \(\d{12}\), ecommerce-prod \(\d{12}\) {2}\(RestrictRegions updated\)\n {6}in us-west-2: newly denied: every action except /,
    );
    const others = OTHERS.map((n) => `${n} \\(\\d{12}\\)`).join(', ');
    expect(text.stdout).toMatch(new RegExp(`\\n {2}${others} {2}\\(RestrictRegions updated\\)\\n {6}in us-west-2: ${EXCEPT_START.replace(/[*()]/g, '\\$&')}`));
    expect(text.stdout).not.toContain('in us-east-1:');

    const md = await orgplane(['plan', '-f', dir, '-o', 'markdown'], moto.endpoint);
    expect(md.code).toBe(2);
    expect(md.stdout).toContain('#### Permission impact \\(10 accounts with a changed SCP/RCP path evaluated against ');
    expect(md.stdout).toMatch(
      /\n- \*\*dw\\-prod \\\(\d{12}\\\), ecommerce\\-prod \\\(\d{12}\\\)\*\* \(RestrictRegions updated\)\n {2}- in us\\-west\\-2: newly denied: every action except budgets:\\\*, cloudfront:\\\*/,
    );

    const json = await orgplane(['plan', '-f', dir, '-o', 'json'], moto.endpoint);
    expect(json.code).toBe(2);
    const impact = (JSON.parse(json.stdout) as PlanDocument).impact;
    expect(impact?.evaluated.regions).toEqual(['us-east-1', 'us-west-2', 'other-regions']);
    expect(impact?.groups.map((g) => g.accounts.map((a) => a.name))).toEqual([OTHERS, RUNTIME_PROD]);
    for (const g of impact?.groups ?? []) {
      expect(g.causes).toEqual(['RestrictRegions updated']);
      expect(g.changes).toHaveLength(1);
      expect(g.changes[0].regions).toEqual(['us-west-2']);
      expect(g.changes[0].newlyDenied).toEqual(['*']);
      expect(g.changes[0].newlyAllowed).toEqual([]);
      // Still allowed in us-west-2: what the NotAction exempts (iam, sts, ...).
      expect(g.changes[0].newlyDeniedExcept).toEqual(expect.arrayContaining(['iam:*', 'organizations:*', 'sts:*', 'route53:*']));
    }
  }, 180_000);

  it('validate warns on a Deny of "*" on an OU and an unknown action; --strict makes them errors', async () => {
    const { dir, scps } = await referenceCopy();
    await writeFile(scps, `${await readFile(scps, 'utf8')}${DENY_ALL_ON_OU}`);
    const warn = await orgplane(['validate', '-f', dir], moto.endpoint);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toBe('21 resources valid.\n');
    expect(warn.stderr).toBe(
      [
        '3 policy lint warnings:',
        `  ${STRICT_MESSAGE}`,
        '  ServiceControlPolicy/freeze-runtime: spec.document.Statement[1] (Typo).Action[0]: no ec2 action matches "ec2:RunInstance": this entry matches no action [unknown-action]',
        '  ServiceControlPolicy/freeze-runtime: spec.document.Statement[1] (Typo).Action: no entry of Action names an existing action: the statement can never match [statement-never-matches]',
        '',
      ].join('\n'),
    );

    const strict = await orgplane(['validate', '--strict', '-f', dir], moto.endpoint);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr.split('\n').slice(0, 2)).toEqual(['3 policy lint errors (--strict):', `  ${STRICT_MESSAGE}`]);

    const strictJson = await orgplane(['validate', '--strict', '--output', 'json', '-f', dir], moto.endpoint);
    expect(strictJson.code).toBe(1);
    const report = JSON.parse(strictJson.stdout) as { valid: boolean; lint: { rule: string }[] };
    expect(report.valid).toBe(false);
    expect(report.lint.map((f) => f.rule)).toEqual(['deny-access-path', 'unknown-action', 'statement-never-matches']);
  }, 60_000);

  it('plan shows lint in its output; plan and apply --strict refuse, apply writes nothing', async () => {
    const { dir, scps } = await referenceCopy();
    await writeFile(scps, `${await readFile(scps, 'utf8')}${DENY_ALL_ON_OU}`);
    const plan = await orgplane(['plan', '-f', dir], moto.endpoint);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`Policy lint (3 warnings; errors with --strict):\n  ! ${STRICT_MESSAGE}\n`);
    const strictPlan = await orgplane(['plan', '--strict', '-f', dir], moto.endpoint);
    expect(strictPlan.code).toBe(1);
    expect(strictPlan.stderr).toContain(`3 policy lint errors (--strict):\n  ${STRICT_MESSAGE}\n`);
    const apply = await orgplane(['apply', '--strict', '--auto-approve', '-f', dir, '--state', path.join(dir, 'wf.json')], moto.endpoint);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('Nothing was applied: --strict makes policy lint findings errors.');
    // Nothing was written: the organization still lacks every account the manifests create.
    const after = JSON.parse((await orgplane(['plan', '-f', dir, '-o', 'json'], moto.endpoint)).stdout) as PlanDocument;
    expect(after.ops.filter((op) => op.op === 'CreateAccount')).toHaveLength(10);
  }, 120_000);
});
