// The bad-input corpus: every file in test/fixtures/invalid/ is loaded and built against a
// moto-like organization, and must produce exactly the errors its `# expect:` header lists, in
// order. Files in test/fixtures/valid/ must produce none. (The moto suite reuses these cases to
// prove that invalid input never writes to AWS.)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDesired } from '../../controller/model/build.js';
import { formatValidationError } from '../../controller/model/desired.js';
import { loadManifests } from '../../controller/model/load.js';
import { CORPUS_ACTUAL, INVALID_DIR, VALID_DIR, expectedErrors } from '../support/corpus.js';

const run = (dir: string, file: string) => {
  const loaded = loadManifests([join(dir, file)], { cwd: dir });
  const built = buildDesired(loaded.resources, { actual: CORPUS_ACTUAL, loadErrors: loaded.errors });
  return { loaded, built, lines: [...loaded.errors, ...built.errors].map(formatValidationError) };
};

const invalidCases = readdirSync(INVALID_DIR).filter((f) => f.endsWith('.yaml')).sort();
const validCases = readdirSync(VALID_DIR).filter((f) => f.endsWith('.yaml')).sort();

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
      ...Object.values(built.desired.ous), ...Object.values(built.desired.accounts), ...Object.values(built.desired.policies),
      ...Object.values(built.desired.permissionSets), ...Object.values(built.desired.roles),
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
    const count = Object.keys(d.ous).length + Object.keys(d.accounts).length + Object.keys(d.policies).length
      + Object.keys(d.permissionSets).length + Object.keys(d.roles).length + (d.organization ? 1 : 0);
    expect(count).toBe(loaded.resources.length);
    expect(built.invalid.size).toBe(0);
  });
});
