// The evaluation corpus (test/fixtures/eval): every case's expected decision comes from the AWS
// documentation page in its `source`, and the evaluator must reach it.
import { describe, expect, it } from 'vitest';
import { corpus } from '../fixtures/eval/index.js';
import { FULL_AWS_ACCESS, type Doc, type EvalCase } from '../fixtures/eval/types.js';
import { evaluate } from '../../controller/eval/evaluate.js';
import { mustParse, RCP_FULL_AWS_ACCESS } from '../../controller/eval/policy.js';
import type { Chain, ChainLevel } from '../../controller/eval/org.js';
import type { AttachedPolicy, TargetInfo } from '../../controller/eval/types.js';

const attached = (docs: Doc[], level: number, kind: string): AttachedPolicy[] =>
  docs.map((d, j) => ({ id: `p-${kind}-${level}-${j}`, name: `${kind}-${level}-${j}`, policy: mustParse(d) }));

function target(i: number, n: number): TargetInfo {
  if (i === 0) return { type: 'root', id: 'r-root', name: 'Root' };
  if (i === n - 1) return { type: 'account', id: '111122223333', name: 'member' };
  return { type: 'ou', id: `ou-${i}`, name: `OU${i}` };
}

/** Root -> OUs -> account from the case; a one-level case is the root above an account with FullAWSAccess. */
function chainOf(c: EvalCase): Chain {
  let scps = c.scps ?? [[FULL_AWS_ACCESS, { Version: '2012-10-17', Statement: [{ Effect: 'Deny', ...c.deny }] }], [FULL_AWS_ACCESS]];
  if (scps.length === 1) scps = [...scps, [FULL_AWS_ACCESS]];
  const rcpFull: AttachedPolicy = { id: 'p-RCPFullAWSAccess', name: 'RCPFullAWSAccess', policy: mustParse(RCP_FULL_AWS_ACCESS) };
  const levels: ChainLevel[] = scps.map((docs, i) => ({
    target: target(i, scps.length),
    scps: attached(docs, i, 'scp'),
    rcps: c.rcps ? [rcpFull, ...attached(c.rcps[i] ?? [], i, 'rcp')] : [],
  }));
  return { account: levels[levels.length - 1].target, management: !!c.management, scpEnabled: true, rcpEnabled: !!c.rcps, levels };
}

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
