// Statement-level diff of two IAM-style policy documents (SCP, RCP, IAM trust and inline
// policies), so a reviewer sees "Action: + s3:PutObject" instead of the word "content". Pure.
// Statements are compared in the one canonical form (model/policy-json.ts) and matched by Sid
// where they have one, else by content; fast-json-patch (RFC 6902) finds which fields of a
// matched pair changed, and gives machines a patch of the whole document.
import jsonpatch, { type Operation } from 'fast-json-patch';
import { canonicalValue, parsePolicy } from '../model/policy-json.js';

export type Statement = Record<string, unknown>;

/** One field of a statement (or of the document) that differs, as the leaf values it lost and gained. */
export interface FieldChange {
  field: string;
  removed: string[];
  added: string[];
}

/** A statement present on one side only. */
export interface StatementEntry {
  /** `"Sid"` or `#n` (1-based position in the document it is from). */
  label: string;
  statement: Statement;
}

export interface StatementChange {
  label: string;
  before: Statement;
  after: Statement;
  fields: FieldChange[];
}

export interface PolicyDiff {
  added: StatementEntry[];
  removed: StatementEntry[];
  changed: StatementChange[];
  /** Top-level fields other than Statement (Version, Id), or the whole text of a document that is not JSON. */
  document: FieldChange[];
  /** Statements equal on both sides. */
  unchanged: number;
  /** RFC 6902 patch from the canonical before document to the canonical after document. */
  patch: Operation[];
}

/** A line a renderer prints under the op: sign, nesting depth (statement 0, field 1) and text. */
export interface DiffLine {
  sign: '+' | '-' | '~';
  depth: 0 | 1;
  text: string;
}

// Fields in the order a person reads a statement; others follow alphabetically.
const FIELD_ORDER = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];
// Fields that make two Sid-less statements "the same statement, edited" rather than unrelated ones.
const IDENTITY_FIELDS = ['Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

function fieldRank(f: string): number {
  const i = FIELD_ORDER.indexOf(f);
  return i < 0 ? FIELD_ORDER.length : i;
}
const byField = (a: string, b: string): number => fieldRank(a) - fieldRank(b) || (a < b ? -1 : a > b ? 1 : 0);

/** The statements of a parsed document, each canonical, in document order. */
function statementsOf(doc: unknown): Statement[] {
  if (!isRecord(doc)) return [];
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((s) => (isRecord(s) ? (canonicalValue(s) as Statement) : { '(statement)': canonicalValue(s) }));
}

const sidOf = (s: Statement): string | undefined => (typeof s.Sid === 'string' && s.Sid !== '' ? s.Sid : undefined);
const labelOf = (s: Statement, index: number): string => (sidOf(s) !== undefined ? JSON.stringify(sidOf(s)) : `#${index + 1}`);

/** A leaf value as a reviewer reads it: bare when unambiguous, JSON-quoted when it has spaces, quotes or control characters. */
export function showValue(v: unknown): string {
  if (typeof v !== 'string') return text(v);
  return v === '' || /[\s"\\\u0000-\u001f\u007f-\u009f]/.test(v) ? JSON.stringify(v) : v;
}

/** Leaf lines of one field value: list items one each, objects (Condition, Principal) as "key key = value". */
export function leaves(v: unknown, path: string[] = []): string[] {
  if (Array.isArray(v)) return v.flatMap((i) => leaves(i, path));
  if (isRecord(v)) return Object.keys(v).flatMap((k) => leaves(v[k], [...path, showValue(k)]));
  return [path.length > 0 ? `${path.join(' ')} = ${showValue(v)}` : showValue(v)];
}

function fieldChange(field: string, before: unknown, after: unknown): FieldChange | undefined {
  const b = before === undefined ? [] : leaves(before);
  const a = after === undefined ? [] : leaves(after);
  const removed = b.filter((x) => !a.includes(x));
  const added = a.filter((x) => !b.includes(x));
  return removed.length + added.length > 0 ? { field, removed, added } : undefined;
}

/** Fields of a matched pair that differ: fast-json-patch says which, the leaves say how. */
function statementFields(before: Statement, after: Statement): FieldChange[] {
  const touched = new Set(jsonpatch.compare(before, after).map((op) => jsonpatch.unescapePathComponent(op.path.split('/')[1] ?? '')));
  return [...touched].sort(byField).flatMap((f) => fieldChange(f, before[f], after[f]) ?? []);
}

/** How alike two Sid-less statements are: 0 when unrelated (different Effect or nothing in common). */
function likeness(a: Statement, b: Statement): number {
  if (a.Effect !== b.Effect) return 0;
  return IDENTITY_FIELDS.filter((f) => a[f] !== undefined && text(a[f]) === text(b[f])).length;
}

interface Pairing {
  pairs: [number, number][];
  onlyBefore: number[];
  onlyAfter: number[];
}

/** Pairs before/after statements: same Sid, then same content, then the most alike Sid-less ones. */
function pairStatements(before: Statement[], after: Statement[]): Pairing {
  const freeB = new Set(before.map((_, i) => i));
  const freeA = new Set(after.map((_, i) => i));
  const pairs: [number, number][] = [];
  const take = (i: number, j: number): void => {
    pairs.push([i, j]);
    freeB.delete(i);
    freeA.delete(j);
  };
  const pass = (match: (b: Statement, a: Statement) => boolean): void => {
    for (const j of [...freeA]) {
      const i = [...freeB].find((k) => match(before[k], after[j]));
      if (i !== undefined) take(i, j);
    }
  };
  pass((b, a) => sidOf(a) !== undefined && sidOf(a) === sidOf(b));
  const withoutSid = (s: Statement): string => text({ ...s, Sid: undefined });
  pass((b, a) => withoutSid(b) === withoutSid(a));
  // Two different Sids name two different statements; only a Sid-less side may be "edited".
  const editable = (b: Statement, a: Statement): boolean => sidOf(a) === undefined || sidOf(b) === undefined;
  const candidates = [...freeB]
    .flatMap((i) => [...freeA].map((j) => ({ i, j, score: editable(before[i], after[j]) ? likeness(before[i], after[j]) : 0 })))
    .filter((c) => c.score > 0)
    .sort((x, y) => y.score - x.score || x.j - y.j || x.i - y.i);
  for (const c of candidates) if (freeB.has(c.i) && freeA.has(c.j)) take(c.i, c.j);
  return { pairs, onlyBefore: [...freeB], onlyAfter: [...freeA] };
}

/** Top-level fields other than Statement; a document that is not a JSON object is one opaque field. */
function documentFields(before: unknown, after: unknown): FieldChange[] {
  if (!isRecord(before) && !isRecord(after)) {
    const c = fieldChange('(document)', before, after);
    return c ? [c] : [];
  }
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => k !== 'Statement').sort(byField);
  return keys.flatMap((k) => fieldChange(k, canonicalValue(b[k]), canonicalValue(a[k])) ?? []);
}

/**
 * The statement-level difference between two documents, each given as JSON text or parsed
 * (undefined / '' = no document: every statement of the other side is added or removed).
 */
export function diffPolicies(beforeDoc: unknown, afterDoc: unknown): PolicyDiff {
  const before = parsePolicy(beforeDoc);
  const after = parsePolicy(afterDoc);
  const b = statementsOf(before);
  const a = statementsOf(after);
  const { pairs, onlyBefore, onlyAfter } = pairStatements(b, a);
  const changed: StatementChange[] = [];
  let unchanged = 0;
  for (const [i, j] of pairs.sort((x, y) => x[1] - y[1])) {
    const fields = statementFields(b[i], a[j]);
    if (fields.length === 0) unchanged++;
    else changed.push({ label: labelOf(a[j], j), before: b[i], after: a[j], fields });
  }
  const canonical = (d: unknown): object => (isRecord(d) ? (canonicalValue(d) as object) : { document: d ?? null });
  return {
    added: onlyAfter.sort((x, y) => x - y).map((j) => ({ label: labelOf(a[j], j), statement: a[j] })),
    removed: onlyBefore.sort((x, y) => x - y).map((i) => ({ label: labelOf(b[i], i), statement: b[i] })),
    changed,
    document: documentFields(before, after),
    unchanged,
    patch: jsonpatch.compare(canonical(before), canonical(after)),
  };
}

export const isEmptyDiff = (d: PolicyDiff): boolean => d.added.length + d.removed.length + d.changed.length + d.document.length === 0;

/** Every field of a statement as leaf lines, Sid left out (the label already names it). */
function statementLines(s: Statement, sign: '+' | '-'): DiffLine[] {
  return Object.keys(s)
    .filter((f) => f !== 'Sid')
    .sort(byField)
    .flatMap((f) => leaves(s[f]).map((l): DiffLine => ({ sign, depth: 1, text: `${f}: ${l}` })));
}

function fieldLines(c: FieldChange, depth: 0 | 1): DiffLine[] {
  return [
    ...c.removed.map((l): DiffLine => ({ sign: '-', depth, text: `${c.field}: ${l}` })),
    ...c.added.map((l): DiffLine => ({ sign: '+', depth, text: `${c.field}: ${l}` })),
  ];
}

/** The diff as lines: document fields, then changed, added and removed statements with their fields. */
export function diffLines(d: PolicyDiff): DiffLine[] {
  return [
    ...d.document.flatMap((c) => fieldLines(c, 0)),
    ...d.changed.flatMap((c): DiffLine[] => [{ sign: '~', depth: 0, text: `Statement ${c.label}` }, ...c.fields.flatMap((f) => fieldLines(f, 1))]),
    ...d.added.flatMap((e): DiffLine[] => [{ sign: '+', depth: 0, text: `Statement ${e.label}` }, ...statementLines(e.statement, '+')]),
    ...d.removed.flatMap((e): DiffLine[] => [{ sign: '-', depth: 0, text: `Statement ${e.label}` }, ...statementLines(e.statement, '-')]),
  ];
}
