import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../../controller/api/schemas.js';
import { formatValidationError } from '../../controller/model/desired.js';
import { checkSpec, fieldPath } from '../../controller/model/schema-check.js';

const res = (kind: string, spec: unknown): AnyResource =>
  ({ apiVersion: 'orgplane.io/v1alpha1', kind, metadata: { name: 'x' }, spec, source: 'f.yaml:3' }) as AnyResource;
const check = (kind: string, spec: unknown) => checkSpec(res(kind, spec)).map(formatValidationError);

describe('checkSpec', () => {
  it('accepts a valid spec, including free-form policy documents of any shape', () => {
    expect(check('ServiceControlPolicy', { document: { Version: '2012-10-17', Statement: [] }, targets: { root: true } })).toEqual([]);
    expect(check('ServiceControlPolicy', { document: '{"Version":"2012-10-17"}' })).toEqual([]);
    expect(check('CrossAccountRole', { targets: {}, trust: {}, inlinePolicies: { a: { Any: ['thing'] } } })).toEqual([]);
  });

  it('says what is required, what type was expected and what it got', () => {
    expect(check('Account', { email: 7, tags: { a: true } })).toEqual([
      'Account/x: spec.email: must be a string (got number 7) [schema] (f.yaml:3)',
      'Account/x: spec.parent: is required [schema] (f.yaml:3)',
      'Account/x: spec.tags.a: must be a string (got boolean true) [schema] (f.yaml:3)',
    ]);
  });

  it('names the allowed values of an enum and the pattern of a string', () => {
    expect(
      check('PermissionSet', { deletionPolicy: 'Keep', managedPolicies: ['AdministratorAccess'], assignments: [{ principal: { type: 'ROLE' }, targets: {} }] }),
    ).toEqual([
      'PermissionSet/x: spec.assignments[0].principal.type: must be one of GROUP, USER (got string "ROLE") [schema] (f.yaml:3)',
      'PermissionSet/x: spec.deletionPolicy: must be one of Retain, Delete (got string "Keep") [schema] (f.yaml:3)',
      'PermissionSet/x: spec.managedPolicies[0]: must match pattern ^arn:aws[a-z-]*:iam::aws:policy/.+ (got string "AdministratorAccess") [schema] (f.yaml:3)',
    ]);
  });

  it('rejects unknown fields at any depth, but not inside free-form documents', () => {
    expect(
      check('CrossAccountRole', { targets: { acounts: ['a'] }, trust: { accounts: ['a'] }, roleNmae: 'r', inlinePolicies: { p: { Whatever: 1 } } }),
    ).toEqual([
      'CrossAccountRole/x: spec.roleNmae: unknown field (allowed: roleName, path, description, targets, trust, managedPolicyArns, inlinePolicies, permissionsBoundary, maxSessionDuration, tags, deletionPolicy) [schema] (f.yaml:3)',
      'CrossAccountRole/x: spec.targets.acounts: unknown field (allowed: accounts, organizationalUnits, includeDescendants) [schema] (f.yaml:3)',
    ]);
  });

  it('checks lengths and integer ranges', () => {
    expect(check('CrossAccountRole', { roleName: '', targets: {}, trust: { externalId: 'x' }, maxSessionDuration: 60 })).toEqual([
      'CrossAccountRole/x: spec.maxSessionDuration: must be at least 3600 (got 60) [schema] (f.yaml:3)',
      'CrossAccountRole/x: spec.roleName: must be at least 1 characters long (got 0) [schema] (f.yaml:3)',
      'CrossAccountRole/x: spec.trust.externalId: must be at least 2 characters long (got 1) [schema] (f.yaml:3)',
    ]);
    expect(check('Organization', { quotas: { maxPoliciesPerTarget: 1.5 }, deletion: { maxDeleteFraction: 2 } })).toEqual([
      'Organization/x: spec.deletion.maxDeleteFraction: must be at most 1 (got 2) [schema] (f.yaml:3)',
      'Organization/x: spec.quotas.maxPoliciesPerTarget: must be an integer (got number 1.5) [schema] (f.yaml:3)',
    ]);
  });

  it('reports a missing or non-mapping spec', () => {
    expect(check('Account', undefined)).toEqual(['Account/x: spec: is required [schema] (f.yaml:3)']);
    expect(check('Account', ['a'])).toEqual(['Account/x: spec: must be a mapping (got a list) [schema] (f.yaml:3)']);
  });
});

describe('fieldPath', () => {
  it('turns JSON pointers into readable paths', () => {
    expect(fieldPath('')).toBe('spec');
    expect(fieldPath('/assignments/0/principal')).toBe('spec.assignments[0].principal');
    expect(fieldPath('/tags/orgplane.io~1owner')).toBe('spec.tags["orgplane.io/owner"]');
  });
});
