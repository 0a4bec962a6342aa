import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCrds, crdFileName, renderCrdYaml, renderKustomization, toStructural } from '../../controller/api/crds.js';
import { EMAIL_PATTERN, KIND_NAMES } from '../../controller/api/schemas.js';
import { isValidEmail } from '../../controller/model/validate.js';
import { Type } from '@sinclair/typebox';

const CRD_DIR = join(import.meta.dirname, '../../crds');
type Json = Record<string, unknown>;

/** Structural-schema rules the API server enforces (plus our own: no defaults, no TypeBox leftovers). */
function structuralProblems(node: Json, path: string, out: string[]): void {
  if (node['x-kubernetes-preserve-unknown-fields'] !== true && typeof node.type !== 'string') out.push(`${path}: no type`);
  for (const k of ['anyOf', 'oneOf', 'allOf', 'not', 'patternProperties', 'const', '$id', 'default', 'kind']) {
    if (k in node) out.push(`${path}: has ${k}`);
  }
  if (node.properties && node.additionalProperties) out.push(`${path}: properties and additionalProperties together`);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Json>)) structuralProblems(v, `${path}.${k}`, out);
  if (node.additionalProperties) structuralProblems(node.additionalProperties as Json, `${path}.*`, out);
  if (node.items) structuralProblems(node.items as Json, `${path}[]`, out);
  if (node.type === 'array' && !node.items) out.push(`${path}: array without items`);
}

describe('CRDs', () => {
  const crds = buildCrds();

  it('crds/ holds exactly the generator output (run `npx tsx scripts/gen-crds.ts` after changing schemas.ts)', () => {
    const expected = new Map(crds.map((c) => [crdFileName(c), renderCrdYaml(c)]));
    expected.set('kustomization.yaml', renderKustomization(crds));
    const files = readdirSync(CRD_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files).toEqual([...expected.keys()].sort());
    for (const [file, text] of expected) expect(readFileSync(join(CRD_DIR, file), 'utf8'), file).toBe(text);
  });

  it('one namespaced CRD per kind (and Approval), v1alpha1 served and stored, with a status subresource', () => {
    expect(crds.map((c) => (c.spec as Json & { names: { kind: string } }).names.kind)).toEqual([...KIND_NAMES, 'Approval']);
    for (const c of crds) {
      const spec = c.spec as { group: string; scope: string; names: Json; versions: Json[] };
      expect(spec.group).toBe('orgplane.io');
      expect(spec.scope).toBe('Namespaced');
      expect(spec.names.categories).toEqual(['orgplane']);
      expect(spec.versions).toHaveLength(1);
      expect(spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
      expect((c.metadata as { name: string }).name).toBe(`${spec.names.plural as string}.orgplane.io`);
    }
  });

  it('every schema is structural', () => {
    for (const c of crds) {
      const v = (c.spec as { versions: { schema: { openAPIV3Schema: Json } }[] }).versions[0];
      const problems: string[] = [];
      structuralProblems(v.schema.openAPIV3Schema, (c.metadata as { name: string }).name, problems);
      expect(problems).toEqual([]);
    }
  });

  it('policy documents are free-form, enums come from literal unions, records become additionalProperties', () => {
    const byKind = Object.fromEntries(crds.map((c) => [(c.spec as { names: { kind: string } }).names.kind, c]));
    const specOf = (kind: string) =>
      (
        (byKind[kind].spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: Json } } } }[] }).versions[0].schema.openAPIV3Schema.properties
          .spec as { properties: Record<string, Json> }
      ).properties;
    expect(specOf('ServiceControlPolicy').document).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(specOf('PermissionSet').inlinePolicy).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(specOf('CrossAccountRole').inlinePolicies).toEqual({ type: 'object', additionalProperties: { 'x-kubernetes-preserve-unknown-fields': true } });
    expect(specOf('Account').deletionPolicy).toEqual({ type: 'string', enum: ['Retain', 'Close', 'Remove'] });
    expect(specOf('Account').tags).toMatchObject({ type: 'object', additionalProperties: { type: 'string', maxLength: 256 } });
  });

  it('printer columns show what kubectl get is expected to show', () => {
    const cols = (kind: string) => {
      const c = crds.find((x) => (x.spec as { names: { kind: string } }).names.kind === kind) as Json;
      return (
        c.spec as { versions: { additionalPrinterColumns: { name: string; jsonPath: string; priority?: number }[] }[] }
      ).versions[0].additionalPrinterColumns
        .filter((x) => !x.priority)
        .map((x) => `${x.name.toUpperCase()}=${x.jsonPath}`);
    };
    expect(cols('Account')).toEqual([
      'ACCOUNT-ID=.status.id',
      'OU=.status.ou',
      'STATE=.status.state',
      'READY=.status.conditions[?(@.type=="Ready")].status',
      'AGE=.metadata.creationTimestamp',
    ]);
    expect(cols('OrganizationalUnit')).toEqual([
      'ID=.status.id',
      'PARENT=.spec.parent',
      'PATH=.status.path',
      'READY=.status.conditions[?(@.type=="Ready")].status',
      'AGE=.metadata.creationTimestamp',
    ]);
    expect(cols('ServiceControlPolicy')).toEqual([
      'ID=.status.id',
      'ATTACHED=.status.attachedTo',
      'SIZE=.status.size',
      'READY=.status.conditions[?(@.type=="Ready")].status',
      'AGE=.metadata.creationTimestamp',
    ]);
    expect(cols('PermissionSet')).toEqual([
      'ARN=.status.arn',
      'ACCOUNTS=.status.assignedAccounts',
      'READY=.status.conditions[?(@.type=="Ready")].status',
      'AGE=.metadata.creationTimestamp',
    ]);
    expect(cols('CrossAccountRole')).toEqual([
      'ROLE=.spec.roleName',
      'READY=.status.ready',
      'SYNCED=.status.conditions[?(@.type=="Synced")].status',
      'AGE=.metadata.creationTimestamp',
    ]);
    expect(cols('Organization')).toEqual([
      'ID=.status.id',
      'ROOT=.status.rootId',
      'PENDING=.status.pendingChanges',
      'READY=.status.conditions[?(@.type=="Ready")].status',
      'AGE=.metadata.creationTimestamp',
    ]);
    expect(cols('Approval')).toEqual([
      'RESOURCE=.spec.resource',
      'APPROVES=.status.approves',
      'STATE=.status.state',
      'GRANTED-BY=.spec.grantedBy',
      'EXPIRES=.status.expiresAt',
      'AGE=.metadata.creationTimestamp',
    ]);
  });

  it('an Approval spec is immutable and names exactly one change (CEL)', () => {
    const approval = crds.find((x) => (x.spec as { names: { kind: string } }).names.kind === 'Approval') as Json;
    const spec = (
      approval.spec as {
        versions: { schema: { openAPIV3Schema: { properties: { spec: Json & { properties: Record<string, Json>; required: string[] } } } } }[];
      }
    ).versions[0].schema.openAPIV3Schema.properties.spec;
    const ruleList = (spec['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
    expect(ruleList).toContain('self == oldSelf');
    expect(ruleList).toContain('has(self.generation) != has(self.specHash)');
    expect(ruleList.some((r) => r.includes("duration('168h')"))).toBe(true);
    expect(spec.required).toEqual(['resource', 'operation', 'grantedBy']);
    expect(spec.properties.operation.properties).toMatchObject({ kind: { type: 'string', enum: ['Migration', 'OrgWide'] } });
  });

  it('the written YAML parses back to the generated objects', () => {
    for (const c of crds) expect(parse(readFileSync(join(CRD_DIR, crdFileName(c)), 'utf8'))).toEqual(c);
  });

  it('carries the per-object CEL rules of schemas.ts (x-kubernetes-validations) where orgplane validate has them', () => {
    const byKind = Object.fromEntries(crds.map((c) => [(c.spec as { names: { kind: string } }).names.kind, c]));
    const specOf = (kind: string) =>
      (byKind[kind].spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: Json } } } }[] }).versions[0].schema.openAPIV3Schema.properties
        .spec as Json & { properties: Record<string, Json> };
    const rulesOf = (node: Json) =>
      (node['x-kubernetes-validations'] ?? []) as { rule: string; message?: string; messageExpression?: string; fieldPath?: string }[];
    const account = rulesOf(specOf('Account'));
    expect(account.map((r) => r.fieldPath)).toEqual(['.email', '.email', '.id']);
    expect(account[0].rule).toContain(EMAIL_PATTERN);
    expect(account[1].rule).toBe('self.email == oldSelf.email');
    for (const kind of ['OrganizationalUnit', 'Account', 'ServiceControlPolicy']) {
      expect(rulesOf(specOf(kind)).map((r) => r.rule)).toContain('!has(oldSelf.id) || (has(self.id) && self.id == oldSelf.id)');
    }
    expect(rulesOf(specOf('Account').properties.tags)[0].rule).toBe("self.all(k, !k.startsWith('orgplane.io/'))");
    expect(specOf('Account').properties.tags.maxProperties).toBe(50);
    expect(rulesOf(specOf('CrossAccountRole').properties.targets)[0].message).toBe('must list at least one account or organizational unit');
    expect(rulesOf(specOf('CrossAccountRole').properties.trust)[0].message).toBe('must name at least one account or principal ARN');
  });

  it('the CEL email pattern accepts and refuses what orgplane validate does', () => {
    const re = new RegExp(EMAIL_PATTERN);
    const emails = [
      'a@example.com',
      'first.last+tag@sub.example.co.uk',
      "o'brien@example.org",
      'app.example.com',
      'first..last@example.com',
      'ops@localhost',
      '.lead@example.com',
      'x@-bad.example.com',
      'x@example.com.',
      'UPPER@EXAMPLE.COM',
      'a@b.c',
    ];
    for (const e of emails) expect(re.test(e), e).toBe(isValidEmail(e));
  });

  it('refuses unions it cannot express structurally', () => {
    expect(() => toStructural(Type.Union([Type.String(), Type.Integer()]))).toThrow('cannot express anyOf of non-literals in a structural schema');
  });
});
