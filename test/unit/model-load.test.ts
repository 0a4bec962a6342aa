import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatValidationError } from '../../controller/model/desired.js';
import { isValidResourceName, loadManifests, parseManifests } from '../../controller/model/load.js';
import { invalidUtf8Offset } from '../../controller/model/manifest-files.js';

const ou = (name: string, parent = 'root') =>
  `apiVersion: orgplane.io/v1alpha1\nkind: OrganizationalUnit\nmetadata:\n  name: ${name}\nspec:\n  parent: ${parent}\n`;

describe('parseManifests', () => {
  it('reads every document with its file:line source and skips empty ones', () => {
    const r = parseManifests(`# leading comment\n${ou('a')}---\n---\n# only a comment\n---\n${ou('b', 'a')}`, 'org/ous.yaml');
    expect(r.errors).toEqual([]);
    expect(r.resources.map((x) => [x.kind, x.metadata.name, x.source, x.spec])).toEqual([
      ['OrganizationalUnit', 'a', 'org/ous.yaml:2', { parent: 'root' }],
      ['OrganizationalUnit', 'b', 'org/ous.yaml:12', { parent: 'a' }],
    ]);
  });

  it('reports a syntax error with its line and keeps the other documents', () => {
    const r = parseManifests(`${ou('a')}---\nkind: Account\nmetadata: {name: x\n---\n${ou('b')}`, 'x.yaml');
    expect(r.resources.map((x) => x.metadata.name)).toEqual(['a', 'b']);
    expect(r.errors.map(formatValidationError)).toEqual([
      'x.yaml#1: (document): YAML syntax error at line 10, column 1: Flow map in block collection must be sufficiently indented and end with a } [yaml-syntax] (x.yaml:10)',
    ]);
  });

  it('rejects wrong apiVersion, unknown kinds, bad names, and names what it found', () => {
    const r = parseManifests(
      [
        'apiVersion: orgplane.io/v1beta1\nkind: Account\nmetadata: {name: app}\nspec: {}',
        'apiVersion: orgplane.io/v1alpha1\nkind: OU\nmetadata: {name: app}\nspec: {}',
        'apiVersion: orgplane.io/v1alpha1\nkind: Account\nmetadata: {name: -app}\nspec: {}',
        'apiVersion: orgplane.io/v1alpha1\nkind: Account\nmetadata: []\nspec: {}',
        '42',
      ].join('\n---\n'),
      'm.yaml',
    );
    expect(r.resources).toEqual([]);
    expect(r.errors.map(formatValidationError)).toEqual([
      'Account/app: apiVersion: apiVersion must be orgplane.io/v1alpha1, found "orgplane.io/v1beta1" [api-version] (m.yaml:1)',
      'OU/app: kind: unknown kind "OU"; valid kinds: Organization, OrganizationalUnit, Account, ServiceControlPolicy, ResourceControlPolicy, ManagementPolicy, PermissionSet, CrossAccountRole [unknown-kind] (m.yaml:6)',
      "Account/-app: metadata.name: metadata.name \"-app\" is not a valid DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters) [metadata-name] (m.yaml:11)",
      'm.yaml#3: metadata: metadata must be a mapping, found a list [metadata-name] (m.yaml:16)',
      'm.yaml#4: (document): document is a number, not a mapping with apiVersion, kind, metadata and spec [not-a-mapping] (m.yaml:21)',
    ]);
  });

  it('keeps the first of two documents with the same Kind/name and reports the second', () => {
    const r = parseManifests(`${ou('a')}---\n${ou('a', 'b')}`, 'd.yaml');
    expect(r.resources).toHaveLength(1);
    expect(r.resources[0].spec).toEqual({ parent: 'root' });
    expect(r.errors.map(formatValidationError)).toEqual([
      'OrganizationalUnit/a: metadata.name: OrganizationalUnit/a is defined more than once (first at d.yaml:1) [duplicate-resource] (d.yaml:8)',
    ]);
  });
});

describe('loadManifests', () => {
  it('walks directories recursively in sorted order, reads .yaml/.yml, skips kustomization.yaml and other files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgplane-load-'));
    mkdirSync(join(dir, 'b-ous'));
    writeFileSync(join(dir, 'b-ous', 'z.yml'), ou('z'));
    writeFileSync(join(dir, 'b-ous', 'kustomization.yaml'), 'resources: [z.yml]\n');
    writeFileSync(join(dir, 'a.yaml'), ou('a'));
    writeFileSync(join(dir, 'README.md'), '# not a manifest');
    writeFileSync(join(dir, 'c.yaml'), ou('a'));
    const r = loadManifests([dir], { cwd: dir });
    expect(r.resources.map((x) => x.source)).toEqual(['a.yaml:1', 'b-ous/z.yml:1']);
    expect(r.errors.map(formatValidationError)).toEqual([
      'OrganizationalUnit/a: metadata.name: OrganizationalUnit/a is defined more than once (first at a.yaml:1) [duplicate-resource] (c.yaml:1)',
    ]);
  });

  it('reports a path that does not exist', () => {
    expect(loadManifests(['/nonexistent/orgplane']).errors.map(formatValidationError)).toEqual(['/nonexistent/orgplane: (file): cannot read: ENOENT [file]']);
  });

  it('accepts DNS-1123 subdomains only', () => {
    expect(['a', 'prod-eu.1', 'x'.repeat(253)].every(isValidResourceName)).toBe(true);
    expect(['', 'A', 'a_b', 'a.', '-a', 'x'.repeat(254)].some(isValidResourceName)).toBe(false);
  });
});

describe('reading files safely', () => {
  it('finds the first byte that is not UTF-8: bad lead, overlong, surrogate, above U+10FFFF, truncated', () => {
    const at = (...bytes: number[]) => invalidUtf8Offset(Uint8Array.from(bytes));
    expect(at(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)).toBe(-1); // a é € 😀
    expect(at(0x61, 0xff)).toBe(1);
    expect(at(0x61, 0xc0, 0xaf)).toBe(1); // overlong "/"
    expect(at(0xe0, 0x80, 0xaf)).toBe(1); // overlong 3-byte: the second byte is out of range
    expect(at(0xed, 0xa0, 0x80)).toBe(1); // UTF-16 surrogate
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(1); // above U+10FFFF
    expect(at(0x61, 0x62, 0xe2, 0x82)).toBe(2); // truncated at the end
    expect(at(0xc3, 0x28)).toBe(1);
  });

  it('reads each directory inside the manifest directory once, however many links lead to it (they may loop)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgplane-load-'));
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'a.yaml'), ou('a'));
    symlinkSync('../real', join(dir, 'real', 'loop'));
    symlinkSync('real', join(dir, 'alias'));
    const r = loadManifests([dir], { cwd: dir });
    expect(r.resources.map((x) => x.source)).toEqual(['alias/a.yaml:1']);
    expect(r.errors).toEqual([]);
  });

  it('reads a file of exactly the per-file limit, and refuses one byte more', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgplane-load-'));
    const text = ou('a');
    writeFileSync(join(dir, 'a.yaml'), text);
    expect(loadManifests([dir], { cwd: dir, limits: { maxFileBytes: text.length } }).errors).toEqual([]);
    expect(loadManifests([dir], { cwd: dir, limits: { maxFileBytes: text.length - 1 } }).errors.map(formatValidationError)).toEqual([
      `a.yaml: (file): larger than ${text.length - 1} bytes, the limit per file [file-size]`,
    ]);
  });
});
