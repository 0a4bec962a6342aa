// docs/iam-policy.json must allow every AWS API the controller's own identity calls: read the
// SDK commands imported anywhere under controller/ and check each against the policy.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** IAM action prefix per SDK package. IAM calls go through sts:AssumeRole into member accounts. */
const PREFIX: Record<string, string> = {
  'client-organizations': 'organizations',
  'client-sso-admin': 'sso',
  'client-identitystore': 'identitystore',
  'client-sts': 'sts',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function usedActions(): Set<string> {
  const out = new Set<string>();
  const re = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z-]+)'/g;
  for (const f of files(path.join(repo, 'controller'))) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(re)) {
      const prefix = PREFIX[m[2]];
      if (!prefix) continue;
      for (const part of m[1].split(',')) {
        const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
        if (name.endsWith('Command')) out.add(`${prefix}:${name.slice(0, -'Command'.length)}`);
      }
    }
  }
  return out;
}

interface Statement { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }
const policy = JSON.parse(readFileSync(path.join(repo, 'docs/iam-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

describe('docs/iam-policy.json', () => {
  it('allows every Organizations, SSO Admin, Identity Store and STS API orgplane calls', () => {
    const used = usedActions();
    expect(used.size).toBeGreaterThan(20);
    expect(used.has('organizations:CreateAccount')).toBe(true);
    const missing = [...used].filter((a) => !allowed.has(a)).sort();
    expect(missing).toEqual([]);
  });

  it('uses no wildcards in actions, and only deletes, closes or removes what carries the orgplane tag', () => {
    expect([...allowed].filter((a) => a.includes('*'))).toEqual([]);
    const destructive = policy.Statement.find((s) => s.Sid === 'DestroyOnlyWhatOrgplaneOwns')!;
    expect(destructive.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/orgplane.io/managed-by': 'orgplane' } });
    const unconditioned = policy.Statement.filter((s) => !s.Condition).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(unconditioned.filter((a) => /^organizations:(Delete|Close|Remove)/.test(a))).toEqual([]);
  });
});
