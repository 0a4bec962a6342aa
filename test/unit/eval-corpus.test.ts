// The evaluation corpus (test/fixtures/eval): every case's expected decision comes from the AWS
// documentation page in its `source`, and the evaluator must reach it.
import { describe, expect, it } from 'vitest';
import { corpus } from '../fixtures/eval/index.js';
import { chainOf } from '../fixtures/eval/chain.js';
import { evaluate } from '../../controller/eval/evaluate.js';

const all = Object.values(corpus).flat();

describe('evaluation corpus', () => {
  it('has at least 150 cases, each citing an AWS documentation page', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
    for (const c of all) expect(c.source, c.name).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
  });

  for (const [group, cases] of Object.entries(corpus)) {
    describe(group, () => {
      for (const c of cases) {
        it(c.name, () => {
          const r = evaluate(chainOf(c), c.request, { resourceOutsideOrg: c.resourceOutsideOrg });
          expect(r.decision, `${c.name} (${c.source})`).toBe(c.expect);
          if (c.decidedAt) {
            const level = r.levels.filter((l) => l.kind === (c.decidedAt?.kind ?? 'SCP'))[c.decidedAt.level];
            expect(level.decision).toBe(c.expect);
            if (c.decidedAt.sid) expect(level.statement?.sid).toBe(c.decidedAt.sid);
          }
        });
      }
    });
  }
});
