// One canonical form for IAM-style policy documents (SCP, RCP, IAM trust and inline policies), so
// that "has this policy changed?" (the planner) and "what changed in it?" (the plan renderer) agree.
// IAM reads documents as data: key order, whitespace, the order of values in a string list and
// `["x"]` versus `"x"` carry no meaning, and neither does the order of statements. Built on the
// generic stable form (json-data.ts) with those list rules.
import { asSet, stableData } from './json-data.js';

/** A document parsed when it is JSON text; anything else (already parsed, or not JSON) as is. */
export function parsePolicy(doc: unknown): unknown {
  if (typeof doc !== 'string') return doc;
  if (!doc.trim()) return undefined;
  try {
    return JSON.parse(doc) as unknown;
  } catch {
    return doc;
  }
}

/** A document as data for Op.change (renderers diff it statement by statement): text that is not JSON stays text, '' is null. */
export const parsedDoc = (doc: string): unknown => parsePolicy(doc) ?? null;

/**
 * The canonical value of a parsed document: keys sorted, string lists sorted with duplicates
 * dropped, one-element lists collapsed to the element, and lists of objects (statements) sorted
 * by their own canonical text. Two documents IAM treats alike have equal canonical values.
 */
export const canonicalValue = (v: unknown): unknown => stableData(v, policyList);

function policyList(items: unknown[]): unknown {
  if (items.length === 1) return items[0];
  if (items.every((i) => typeof i === 'string')) return [...new Set(items as string[])].sort();
  if (items.every((i) => i !== null && typeof i === 'object' && !Array.isArray(i))) return asSet(items);
  return items;
}

/** Canonical JSON text of a parsed value (the diff planner's historical name). */
export const canonicalJson = (v: unknown): string => JSON.stringify(canonicalValue(v)) ?? 'undefined';

/** Canonical JSON text of a document given as text; '' stays '', text that is not JSON stays as is. */
export function canonicalPolicy(doc: string): string {
  if (!doc.trim()) return '';
  const parsed = parsePolicy(doc);
  return typeof parsed === 'string' ? doc : canonicalJson(parsed);
}

/** Whether two documents (text or parsed) mean the same to IAM. */
export function samePolicy(a: unknown, b: unknown): boolean {
  const x = typeof a === 'string' ? canonicalPolicy(a) : canonicalJson(a);
  const y = typeof b === 'string' ? canonicalPolicy(b) : canonicalJson(b);
  return x === y;
}
