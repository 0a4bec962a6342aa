// The published package works: `npm pack` (whose prepack compiles dist/) makes a tarball that
// `npm install -g` turns into a working `orgplane` command, and `npx orgplane` works in a
// checkout. Runs npm and the installed command on the same Node as the tests (Node 24 in make).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${join(repo, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };
const run = (cmd: string, args: string[], cwd = repo) => spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });

describe('npm pack → npm install -g → orgplane', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'orgplane-pack-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('packs bin/ and a compiled dist/, nothing else of the source tree', () => {
    const out = execFileSync('npm', ['pack', '--pack-destination', tmp, '--json', '--loglevel=error'], { cwd: repo, env, encoding: 'utf8' });
    const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = info.files.map((f) => f.path);
    expect(files).toContain('bin/orgplane.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('package.json');
    expect(files.filter((f) => !/^(bin|dist)\/|^(package\.json|README\.md)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
    expect(readdirSync(tmp)).toEqual([info.filename]);
  }, 240_000);

  it('installs into a prefix as a working orgplane command', () => {
    const [tarball] = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    const install = run('npm', [
      'install',
      '-g',
      '--prefix',
      join(tmp, 'prefix'),
      join(tmp, tarball),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ]);
    expect(install.status, install.stderr).toBe(0);
    const orgplane = join(tmp, 'prefix', 'bin', 'orgplane');
    const validate = run(orgplane, ['validate', '-f', 'manifests/examples/securecart']);
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toBe('20 resources valid.\n');
    expect(validate.status).toBe(0);
    const bad = run(orgplane, ['validate', '-f', 'test/fixtures/invalid/ou-cycle.yaml']);
    expect(bad.status).toBe(1);
  }, 240_000);

  it('npx orgplane --help works in the checkout (bin/ runs the source through tsx)', () => {
    const help = run('npx', ['--no-install', 'orgplane', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: orgplane \[options\] \[command\]/);
    expect(help.stdout).toMatch(/validate/);
  }, 60_000);
});
