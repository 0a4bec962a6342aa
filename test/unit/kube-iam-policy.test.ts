// docs/iam-policy.json is the controller's whole AWS permission, and a boundary: it allows exactly
// the AWS operations the code can send (read from the code, so neither side can drift), and it
// lets orgplane change, delete or tag only what carries its ownership tag. docs/iam-policy.md
// explains every action; this test keeps its table in step with the JSON.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../controller/api/schemas.js';

const repo = path.join(import.meta.dirname, '../..');

/** IAM action prefix per SDK package. client-iam is sent only with member-account credentials. */
const PREFIX: Record<string, string> = {
  'client-organizations': 'organizations',
  'client-sso-admin': 'sso',
  'client-identitystore': 'identitystore',
  'client-sts': 'sts',
  'client-iam': 'iam',
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every `XxxCommand` imported from an SDK client and constructed (`new Local(`) in that file. */
function sentOperations(): { action: string; file: string }[] {
  const out: { action: string; file: string }[] = [];
  const importRe = /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z-]+)'/g;
  for (const file of sources(path.join(repo, 'controller'))) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(importRe)) {
      const prefix = PREFIX[m[2]];
      expect(prefix, `${file} imports @aws-sdk/${m[2]}, which the policy test does not know`).toBeDefined();
      for (const part of m[1]
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p && !p.startsWith('type '))) {
        const [name, local = name] = part.split(/\s+as\s+/);
        if (!name.endsWith('Command') || !src.includes(`new ${local}(`)) continue;
        out.push({ action: `${prefix}:${name.slice(0, -'Command'.length)}`, file: path.relative(repo, file) });
      }
    }
  }
  return out;
}

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
const policyText = readFileSync(path.join(repo, 'docs/iam-policy.json'), 'utf8');
const policy = JSON.parse(policyText) as { Version: string; Statement: Statement[] };
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const allows = policy.Statement.filter((s) => s.Effect === 'Allow');
const allowed = new Set(allows.flatMap((s) => list(s.Action)));
const statementsFor = (action: string) => allows.filter((s) => list(s.Action).includes(action));
const OWNED = { StringEquals: { 'aws:ResourceTag/orgplane.io/managed-by': 'orgplane' } };
const isRead = (a: string) => /:(List|Describe|Get)/.test(a);
/** Statements for `action` whose resources include the objects orgplane owns (not the root, instance or parents). */
const ownedObjectStatements = (action: string) =>
  statementsFor(action).filter((s) => list(s.Resource).some((r) => r === '*' || /:(account|ou)\/o-|:policy\/o-|:permissionSet\//.test(r)));

describe('docs/iam-policy.json', () => {
  const sent = sentOperations();
  const managementActions = new Set(sent.filter((s) => !s.action.startsWith('iam:')).map((s) => s.action));

  it('allows exactly the Organizations, Identity Center, Identity Store and STS operations the code sends', () => {
    expect(managementActions.size).toBeGreaterThan(50);
    expect(managementActions.has('organizations:CreateAccount')).toBe(true);
    // SourceIdentity on AssumeRole needs sts:SetSourceIdentity on the role as well.
    const clients = readFileSync(path.join(repo, 'controller/aws/clients.ts'), 'utf8');
    expect(clients).toMatch(/SourceIdentity: sourceIdentity/);
    const needed = new Set([...managementActions, 'sts:SetSourceIdentity']);
    expect([...needed].filter((a) => !allowed.has(a)).sort(), 'sent but not allowed').toEqual([]);
    expect([...allowed].filter((a) => !needed.has(a)).sort(), 'allowed but never sent').toEqual([]);
  });

  it('sends IAM operations only with member-account credentials (forAccount), never as the management identity', () => {
    const iamFiles = new Set(sent.filter((s) => s.action.startsWith('iam:')).map((s) => s.file));
    expect(iamFiles.size).toBeGreaterThan(0);
    for (const f of iamFiles) {
      const src = readFileSync(path.join(repo, f), 'utf8');
      expect(src, f).toMatch(/forAccount\(/);
      expect(src, f).not.toMatch(/clients\.iam\b/);
    }
    expect([...allowed].filter((a) => a.startsWith('iam:'))).toEqual([]);
  });

  it('uses no action wildcards and fits an inline role policy (10,240 characters without whitespace)', () => {
    expect([...allowed].filter((a) => a.includes('*'))).toEqual([]);
    expect(policyText.replace(/\s/g, '').length).toBeLessThan(10_240);
  });

  it('deletes, closes, removes, renames, updates and moves only what carries the ownership tag', () => {
    for (const a of [
      'organizations:DeleteOrganizationalUnit',
      'organizations:DeletePolicy',
      'organizations:CloseAccount',
      'organizations:RemoveAccountFromOrganization',
      'organizations:UpdateOrganizationalUnit',
      'organizations:UpdatePolicy',
      'sso:DeletePermissionSet',
      'sso:UpdatePermissionSet',
      'sso:PutInlinePolicyToPermissionSet',
    ]) {
      const owned = ownedObjectStatements(a);
      expect(owned.length, a).toBeGreaterThan(0);
      for (const s of owned) expect(s.Condition?.StringEquals?.['aws:ResourceTag/orgplane.io/managed-by'], `${a} in ${s.Sid}`).toBe('orgplane');
    }
    const moves = statementsFor('organizations:MoveAccount');
    const accountMove = moves.filter((s) => list(s.Resource).some((r) => r.includes(':account/')));
    expect(accountMove.map((s) => s.Condition)).toEqual([OWNED]);
  });

  it('tags only objects orgplane owns, creates only with ownership tags, and denies claiming a foreign object', () => {
    for (const a of ['organizations:TagResource', 'organizations:UntagResource', 'sso:TagResource', 'sso:UntagResource']) {
      for (const s of statementsFor(a)) expect(s.Condition?.StringEquals?.['aws:ResourceTag/orgplane.io/managed-by'], `${a} in ${s.Sid}`).toBe('orgplane');
      const deny = policy.Statement.find((s) => s.Effect === 'Deny' && list(s.Action).includes(a));
      expect(deny?.Condition, a).toEqual({
        'ForAnyValue:StringLike': { 'aws:TagKeys': 'orgplane.io/*' },
        StringNotEquals: { 'aws:ResourceTag/orgplane.io/managed-by': 'orgplane' },
      });
    }
    for (const a of ['organizations:CreateOrganizationalUnit', 'organizations:CreateAccount', 'organizations:CreatePolicy', 'sso:CreatePermissionSet']) {
      for (const s of statementsFor(a)) expect(s.Condition?.StringEquals?.['aws:RequestTag/orgplane.io/managed-by'], a).toBe('orgplane');
    }
  });

  it('assumes roles only inside this organization, never in the management account, and only with a SourceIdentity', () => {
    const [assume] = statementsFor('sts:AssumeRole');
    expect(list(assume.Action).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
    expect(assume.Condition).toEqual({
      StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' },
      StringNotEquals: { 'aws:ResourceAccount': '${aws:PrincipalAccount}' },
      StringLike: { 'sts:SourceIdentity': 'orgplane*' },
    });
  });

  it('enables exactly the policy types an Organization manifest can list', () => {
    const schema = KINDS.Organization.spec as unknown as { properties: { enabledPolicyTypes: { items: { anyOf: { const: string }[] } } } };
    const types = schema.properties.enabledPolicyTypes.items.anyOf.map((o) => o.const).sort();
    const [enable] = statementsFor('organizations:EnablePolicyType');
    expect([...list(enable.Condition!.StringEquals['organizations:PolicyType'])].sort()).toEqual(types);
  });

  it('every write outside the ownership conditions is listed in docs/iam-policy.md with the reason', () => {
    const md = readFileSync(path.join(repo, 'docs/iam-policy.md'), 'utf8');
    const rows = new Set([...md.matchAll(/^\| `([a-z-]+:[A-Za-z]+)` \|/gm)].map((m) => m[1]));
    expect([...allowed].filter((a) => !rows.has(a)).sort(), 'actions without a row in docs/iam-policy.md').toEqual([]);
    expect([...rows].filter((a) => !allowed.has(a)).sort(), 'rows for actions the policy does not allow').toEqual([]);
    const unconditioned = allows
      .filter((s) => !s.Condition)
      .flatMap((s) => list(s.Action))
      .filter((a) => !isRead(a));
    for (const a of new Set(unconditioned)) expect(md, a).toMatch(new RegExp(`^\\| \`${a}\` \\|.*\\| unconditioned: `, 'm'));
  });
});
