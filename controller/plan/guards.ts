// The deletion circuit breaker and the closure quota belong to the operator who runs orgplane
// (CLI / controller flags), not to the manifests they guard: one commit must not be able to raise
// both and close every account. A manifest may only tighten them. Pure.
export interface Guards {
  /** Share of managed objects one reconcile may delete (circuit breaker). */
  maxDeleteFraction: number;
  /** Account closures one run may start. */
  maxAccountClosuresPerRun: number;
}

/** Today's defaults, now the defaults of --max-delete-fraction and --max-closures-per-run. */
export const DEFAULT_GUARDS: Guards = { maxDeleteFraction: 0.25, maxAccountClosuresPerRun: 1 };

/**
 * The guards in force: the operator's values, lowered by the manifest's where it asks for less. A
 * manifest value above the operator's is ignored, with a warning the plan shows.
 */
export function effectiveGuards(
  operator: Partial<Guards> | undefined,
  manifest: Partial<Guards>,
  where = 'Organization',
): { guards: Guards; warnings: string[] } {
  const op: Guards = { ...DEFAULT_GUARDS, ...stripUndefined(operator ?? {}) };
  const warnings: string[] = [];
  const pick = (k: keyof Guards, field: string, flag: string): number => {
    const m = manifest[k];
    if (m === undefined || m <= op[k]) return m ?? op[k];
    warnings.push(`${where}: ${field} ${m} is above the operator's limit ${op[k]} (${flag}); the manifest may only lower it, so ${op[k]} applies`);
    return op[k];
  };
  return {
    guards: {
      maxDeleteFraction: pick('maxDeleteFraction', 'spec.deletion.maxDeleteFraction', '--max-delete-fraction'),
      maxAccountClosuresPerRun: pick('maxAccountClosuresPerRun', 'spec.quotas.maxAccountClosuresPerRun', '--max-closures-per-run'),
    },
    warnings,
  };
}

function stripUndefined(g: Partial<Guards>): Partial<Guards> {
  const out: Partial<Guards> = {};
  if (g.maxDeleteFraction !== undefined) out.maxDeleteFraction = g.maxDeleteFraction;
  if (g.maxAccountClosuresPerRun !== undefined) out.maxAccountClosuresPerRun = g.maxAccountClosuresPerRun;
  return out;
}
