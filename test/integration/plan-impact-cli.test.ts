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

describe('permission impact and policy lint (CLI against moto)', () => {
  const moto = useMoto();

  it('shows the accounts that lose a region in text, Markdown and JSON plans', async () => {
    const { dir, scps } = await referenceCopy();
    const applied = await orgplane(['apply', '--auto-approve', '-f', dir, '--state', path.join(dir, 'wf.json')], moto.endpoint);
    expect(applied.code).toBe(0);
    await dropUsWest2(scps);

    const text = await orgplane(['plan', '-f', dir, '-o', 'text'], moto.endpoint);
    console.log(text.stdout, text.stderr);
    expect(text.code).toBe(2);

    const md = await orgplane(['plan', '-f', dir, '-o', 'markdown'], moto.endpoint);
    console.log(md.stdout);
    const json = await orgplane(['plan', '-f', dir, '-o', 'json'], moto.endpoint);
    const doc = JSON.parse(json.stdout) as PlanDocument;
    console.log(JSON.stringify(doc.impact, null, 2));
  }, 120_000);

  it('validate --strict fails on a Deny of "*" on an OU and on an unknown action', async () => {
    const { dir, scps } = await referenceCopy();
    await writeFile(scps, `${await readFile(scps, 'utf8')}${DENY_ALL_ON_OU}`);
    const warn = await orgplane(['validate', '-f', dir], moto.endpoint);
    console.log(warn);
    const strict = await orgplane(['validate', '--strict', '-f', dir], moto.endpoint);
    console.log(strict);
  }, 60_000);
});
