// One notion of JSON data equality and one stable text for it: object keys sorted, undefined
// members dropped, lists in their own order unless a caller says a list is a set. Status patches
// (kube/conditions.ts), saved-plan fingerprints (plan/fingerprint.ts) and the JSON plan renderer
// use it as is; the IAM policy canonical form (policy-json.ts) adds its own list rules on top. Pure.

/** What to do with a list once its items are stable: keep the order (the default), sort, collapse. */
export type ListRule = (items: unknown[]) => unknown;

const keepOrder: ListRule = (items) => items;

/** The value with object keys sorted at every level and undefined members dropped. */
export function stableData(v: unknown, list: ListRule = keepOrder): unknown {
  if (Array.isArray(v)) return list(v.map((x) => stableData(x, list)));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = stableData(o[k], list);
    return out;
  }
  return v;
}

/** Compact JSON text of stableData(v); undefined is 'null'. Equal data gives equal text. */
export const stableJson = (v: unknown, list: ListRule = keepOrder): string => JSON.stringify(stableData(v, list)) ?? 'null';

/** A ListRule for lists that are sets: items sorted by their stable text. */
export const asSet: ListRule = (items) =>
  items
    .map((i) => [stableJson(i), i] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, i]) => i);

/** Structural equality of JSON data: key order and undefined members ignored, list order kept. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => sameData(ao[k], bo[k]));
}
