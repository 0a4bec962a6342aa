// The bad-input corpus: every file in test/fixtures/invalid/ is loaded and built against a
// moto-like organization, and must produce exactly the errors its `# expect:` header lists, in
// order. Files in test/fixtures/valid/ must produce none. (The moto suite reuses these cases to
// prove that invalid input never writes to AWS.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDesired } from '../../controller/model/build.js';
import { formatValidationError } from '../../controller/model/desired.js';
import { loadManifests, type LoadLimits } from '../../controller/model/load.js';
import { CORPUS_ACTUAL, INVALID_DIR, VALID_DIR, expectedErrors } from '../support/corpus.js';

const run = (dir: string, file: string) => {
  const loaded = loadManifests([join(dir, file)], { cwd: dir });
  const built = buildDesired(loaded.resources, { actual: CORPUS_ACTUAL, loadErrors: loaded.errors });
  return { loaded, built, lines: [...loaded.errors, ...built.errors].map(formatValidationError) };
};

const invalidCases = readdirSync(INVALID_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const validCases = readdirSync(VALID_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('invalid corpus', () => {
  it('has at least 45 cases, each with an expectation', () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(45);
    for (const f of invalidCases) expect(expectedErrors(readFileSync(join(INVALID_DIR, f), 'utf8')).length, f).toBeGreaterThan(0);
  });

  it.each(invalidCases)('%s', (file) => {
    const { lines, built } = run(INVALID_DIR, file);
    expect(lines).toEqual(expectedErrors(readFileSync(join(INVALID_DIR, file), 'utf8')));
    // Nothing that failed may reach the desired graph.
    const kept = [
      ...Object.values(built.desired.ous),
      ...Object.values(built.desired.accounts),
      ...Object.values(built.desired.policies),
      ...Object.values(built.desired.permissionSets),
      ...Object.values(built.desired.roles),
      ...(built.desired.organization ? [built.desired.organization] : []),
    ].map((x) => x.key);
    for (const key of kept) expect(built.invalid.has(key), key).toBe(false);
  });
});

describe('valid corpus', () => {
  it.each(validCases)('%s has no errors and keeps every resource', (file) => {
    const { lines, loaded, built } = run(VALID_DIR, file);
    expect(lines).toEqual([]);
    const d = built.desired;
    const count =
      Object.keys(d.ous).length +
      Object.keys(d.accounts).length +
      Object.keys(d.policies).length +
      Object.keys(d.permissionSets).length +
      Object.keys(d.roles).length +
      (d.organization ? 1 : 0);
    expect(count).toBe(loaded.resources.length);
    expect(built.invalid.size).toBe(0);
  });
});

// Hostile files that cannot be committed (a FIFO, symlinks, devices) or are too big to commit are
// made at run time, each loaded with the production defaults unless the case says otherwise.
describe('invalid corpus: hostile files made at run time', () => {
  const OU = 'apiVersion: orgplane.io/v1alpha1\nkind: OrganizationalUnit\nmetadata:\n  name: ok\nspec:\n  parent: root\n';
  const scratch = () => realpathSync(mkdtempSync(join(tmpdir(), 'orgplane-hostile-')));
  const load = (dir: string, paths: string[], limits?: Partial<LoadLimits>) =>
    loadManifests(
      paths.map((p) => join(dir, p)),
      { cwd: dir, limits },
    ).errors.map(formatValidationError);

  it('a FIFO named *.yaml is refused at once, not read (it would block forever)', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'org'));
    execFileSync('mkfifo', [join(dir, 'org', 'pipe.yaml')]);
    writeFileSync(join(dir, 'org', 'ou.yaml'), OU);
    expect(load(dir, ['org'])).toEqual(['org/pipe.yaml: (file): a FIFO, not a regular file; only regular files are read [file-type]']);
    expect(load(dir, ['org/pipe.yaml'])).toEqual(['org/pipe.yaml: (file): a FIFO, not a regular file; only regular files are read [file-type]']);
    rmSync(dir, { recursive: true });
  });

  it('symlinks that leave the manifest directory are refused with their target; links inside it are read', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'org'));
    mkdirSync(join(dir, 'outside'));
    writeFileSync(join(dir, 'outside', 'creds.yaml'), 'aws_secret_access_key: hunter2\n');
    writeFileSync(join(dir, 'org', 'real.yaml'), OU);
    symlinkSync('/dev/zero', join(dir, 'org', 'a-zero.yaml'));
    symlinkSync('../outside/creds.yaml', join(dir, 'org', 'b-creds.yaml'));
    symlinkSync('../outside', join(dir, 'org', 'c-dir'));
    symlinkSync('real.yaml', join(dir, 'org', 'd-same.yaml'));
    expect(load(dir, ['org'])).toEqual([
      'org/a-zero.yaml: (file): symlink leaves the manifest directory (points to /dev/zero); only files inside it are read [file-type]',
      `org/b-creds.yaml: (file): symlink leaves the manifest directory (points to ${dir}/outside/creds.yaml); only files inside it are read [file-type]`,
      `org/c-dir: (file): symlink leaves the manifest directory (points to ${dir}/outside); only files inside it are read [file-type]`,
      // The link inside the directory is read: the same OU twice.
      'OrganizationalUnit/ok: metadata.name: OrganizationalUnit/ok is defined more than once (first at org/d-same.yaml:1) [duplicate-resource] (org/real.yaml:1)',
    ]);
    // Named on the command line, a link to a device is still not a regular file.
    expect(load(dir, ['org/a-zero.yaml'])).toEqual([
      'org/a-zero.yaml: (file): a character device, not a regular file; only regular files are read [file-type]',
    ]);
    rmSync(dir, { recursive: true });
  });

  it('a file over the per-file limit (8 MiB) is refused without reading it', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'huge.yaml'), `${OU}# ${'x'.repeat(8 * 1024 * 1024)}\n`);
    expect(load(dir, ['huge.yaml'])).toEqual(['huge.yaml: (file): larger than 8 MiB, the limit per file [file-size]']);
    rmSync(dir, { recursive: true });
  });

  it('files over the per-run limit stop the load at the file that crosses it', () => {
    const dir = scratch();
    for (const f of ['a', 'b', 'c']) writeFileSync(join(dir, `${f}.yaml`), `# ${'x'.repeat(600 * 1024)}\n`);
    expect(load(dir, ['.'], { maxTotalBytes: 1024 * 1024 })).toEqual([
      'b.yaml: (file): the manifests read so far and this file exceed 1 MiB, the limit per run; this file and the ones after it are not read [file-size]',
    ]);
    rmSync(dir, { recursive: true });
  });

  it('468,000 documents stop at the per-run document limit (they overflowed the stack)', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'many.yaml'), '---\n'.repeat(468_000));
    expect(load(dir, ['many.yaml'])).toEqual([
      'many.yaml: (file): more than 50000 YAML documents in one run, the limit; stopped at document #50000 of this file [document-limit]',
    ]);
    rmSync(dir, { recursive: true });
  });
});
