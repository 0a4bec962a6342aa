// Policy documents as data: comparison that ignores whitespace and key order, and the parsed
// form Op.change carries for renderers. Pure.

/** Policy documents compared as data: whitespace and key order do not matter. */
export function sameJson(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return a === b;
  }
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A policy document as data for Op.change (renderers diff it statement by statement); text that is not JSON stays text. */
export function parsedDoc(doc: string): unknown {
  if (!doc.trim()) return null;
  try {
    return JSON.parse(doc) as unknown;
  } catch {
    return doc;
  }
}
