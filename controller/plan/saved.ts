// Saved plans: `orgplane plan --out FILE` writes the plan with fingerprints of what it was
// computed from; `orgplane apply --plan FILE` applies exactly those ops, and only if the
// manifests and the organization are still what the plan read. The file is untrusted input (it
// travels through CI artifacts and pull requests): it is validated, and its ops are never run
// on their own word, only when the plan recomputed from today's inputs is the very same.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { AnyResource } from '../api/schemas.js';
import type { ActualOrg } from '../model/actual.js';
import { sameData } from '../model/json-data.js';
import { describeDifferences, manifestFingerprint, organizationFingerprint, type Fingerprint } from './fingerprint.js';
import { OPS } from './op-table.js';
import type { Op, Plan } from './operations.js';

export const SAVED_PLAN_FORMAT = 1;
export const SAVED_PLAN_KIND = 'orgplane-plan';

const PrintSchema = Type.Object({ label: Type.String(), fields: Type.Record(Type.String(), Type.String()) });
const FingerprintSchema = Type.Object({ hash: Type.String({ pattern: '^[0-9a-f]{64}$' }), objects: Type.Record(Type.String(), PrintSchema) });
/** The envelope every op has; the rest of an op is checked by comparison with the recomputed plan. */
const OpSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  op: Type.String({ minLength: 1 }),
  resource: Type.String(),
  summary: Type.String(),
  deps: Type.Array(Type.String()),
});
const PlanSchema = Type.Object({
  ops: Type.Array(OpSchema),
  blocked: Type.Array(Type.Object({ resource: Type.String(), reason: Type.String(), message: Type.String() })),
  unmanaged: Type.Array(Type.String()),
  warnings: Type.Array(Type.String()),
  drift: Type.Record(Type.String(), Type.Array(Type.String())),
});
const SavedPlanSchema = Type.Object({
  formatVersion: Type.Literal(SAVED_PLAN_FORMAT),
  kind: Type.Literal(SAVED_PLAN_KIND),
  createdAt: Type.String(),
  namespace: Type.String({ minLength: 1 }),
  manifests: FingerprintSchema,
  organization: FingerprintSchema,
  plan: PlanSchema,
});

/** The file as written: a plan plus what it was computed from. */
export interface SavedPlan extends Omit<Static<typeof SavedPlanSchema>, 'plan' | 'manifests' | 'organization'> {
  manifests: Fingerprint;
  organization: Fingerprint;
  plan: Plan;
}

export function savePlan(plan: Plan, inputs: { resources: readonly AnyResource[]; actual: ActualOrg; namespace: string; now?: Date }): SavedPlan {
  return {
    formatVersion: SAVED_PLAN_FORMAT,
    kind: SAVED_PLAN_KIND,
    createdAt: (inputs.now ?? new Date()).toISOString(),
    namespace: inputs.namespace,
    manifests: manifestFingerprint(inputs.resources),
    organization: organizationFingerprint(inputs.actual),
    plan,
  };
}

export const serializeSavedPlan = (p: SavedPlan): string => `${JSON.stringify(p, null, 2)}\n`;

/** Parses and checks a plan file; throws an Error whose message says what is wrong with it. */
export function parseSavedPlan(text: string, source: string): SavedPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not a saved orgplane plan: not JSON (${(e as Error).message})`);
  }
  const o = (data ?? {}) as Record<string, unknown>;
  if (typeof data !== 'object' || data === null || o.kind !== SAVED_PLAN_KIND) {
    throw new Error(`${source} is not a saved orgplane plan (write one with orgplane plan --out ${source})`);
  }
  if (o.formatVersion !== SAVED_PLAN_FORMAT) {
    throw new Error(`${source}: plan formatVersion ${JSON.stringify(o.formatVersion)} is not supported (this orgplane reads ${SAVED_PLAN_FORMAT}); plan again`);
  }
  const first = [...Value.Errors(SavedPlanSchema, data)][0];
  if (first) throw new Error(`${source}: invalid saved plan at ${first.path || '/'}: ${first.message}`);
  const unknown = (data as SavedPlan).plan.ops.find((op) => !(op.op in OPS));
  if (unknown) throw new Error(`${source}: invalid saved plan: ${unknown.id} has unknown op kind ${JSON.stringify(unknown.op)}`);
  return data as SavedPlan;
}

/** Why the saved plan may not be applied to today's inputs (empty: it may). Nothing is written either way. */
export function verifySavedPlan(saved: SavedPlan, now: { resources: readonly AnyResource[]; actual: ActualOrg; namespace: string; plan: Plan }): string[] {
  if (saved.namespace !== now.namespace) return [`the plan was made for namespace ${saved.namespace}, not ${now.namespace}`];
  const problems: string[] = [];
  const manifests = manifestFingerprint(now.resources);
  if (manifests.hash !== saved.manifests.hash) problems.push(`manifests changed: ${describeDifferences(saved.manifests, manifests).join('; ')}`);
  const org = organizationFingerprint(now.actual);
  if (org.hash !== saved.organization.hash) problems.push(`organization changed since the plan: ${describeDifferences(saved.organization, org).join('; ')}`);
  if (problems.length === 0) problems.push(...opDifferences(saved.plan.ops, now.plan.ops), ...warningDifferences(saved.plan.warnings, now.plan.warnings));
  return problems;
}

/** Warnings carry the stored workflows a plan cancels: a different set means the state file changed. */
function warningDifferences(saved: readonly string[], now: readonly string[]): string[] {
  const added = now.filter((w) => !saved.includes(w));
  const gone = saved.filter((w) => !now.includes(w));
  if (added.length + gone.length === 0) return [];
  return [
    `the plan's warnings differ (did the workflow state file change?): ${[...added.map((w) => `now: ${w}`), ...gone.map((w) => `no longer: ${w}`)].join('; ')}`,
  ];
}

/**
 * Same inputs must give the same ops. If they do not, the file was edited (or the stored
 * workflows, or orgplane itself, changed): its ops are not what this orgplane would do, so none runs.
 */
function opDifferences(saved: readonly Op[], now: readonly Op[]): string[] {
  if (sameData(saved, now)) return [];
  const byId = new Map(now.map((o) => [o.id, o]));
  const diff = saved.filter((o) => !sameData(o, byId.get(o.id) ?? null)).map((o) => `${o.id} (${o.summary})`);
  const extra = now.filter((o) => !saved.some((s) => s.id === o.id)).map((o) => `${o.id} (${o.summary}) is not in the saved plan`);
  return [
    `the saved ops are not the ops of a plan made from the same inputs: ${[...diff.map((d) => `${d} differs`), ...extra].slice(0, 10).join('; ')}; plan again`,
  ];
}
