// The Condition element: every operator of the IAM reference, with the ...IfExists forms and the
// ForAnyValue: / ForAllValues: set qualifiers. Key names are case-insensitive; String* values
// case-sensitive unless the operator says IgnoreCase.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
import type { ConditionTest } from './types.js';
import { arnMatch, globMatch, literalText } from './wildcard.js';
import { ipInCidr } from './ip.js';
import { substitute } from './variables.js';

type Matcher = (policyValue: string, contextValue: string) => boolean;

interface BaseOperator {
  match: Matcher;
  negated: boolean;
}

const num = (s: string): number | undefined => (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s) ? Number(s) : undefined);

/** Dates are ISO 8601 or epoch seconds, on either side. */
function date(s: string): number | undefined {
  const n = num(s);
  if (n !== undefined) return n * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

const compare =
  (parse: (s: string) => number | undefined, test: (c: number, p: number) => boolean): Matcher =>
  (p, c) => {
    const pv = parse(literalText(p));
    const cv = parse(c);
    return pv !== undefined && cv !== undefined && test(cv, pv);
  };

function base64(s: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s.trim())) return undefined;
  return Buffer.from(s.trim(), 'base64').toString('base64');
}

const stringEquals: Matcher = (p, c) => literalText(p) === c;
const stringEqualsIc: Matcher = (p, c) => literalText(p).toLowerCase() === c.toLowerCase();
const stringLike: Matcher = (p, c) => globMatch(p, c);
const arnLike: Matcher = (p, c) => arnMatch(p, c);
const numericEq = compare(num, (c, p) => c === p);
const dateEq = compare(date, (c, p) => c === p);
const binaryEq: Matcher = (p, c) => {
  const a = base64(literalText(p));
  return a !== undefined && a === base64(c);
};

const pos = (match: Matcher): BaseOperator => ({ match, negated: false });
const neg = (match: Matcher): BaseOperator => ({ match, negated: true });

const OPERATORS: Record<string, BaseOperator> = {
  stringequals: pos(stringEquals),
  stringnotequals: neg(stringEquals),
  stringequalsignorecase: pos(stringEqualsIc),
  stringnotequalsignorecase: neg(stringEqualsIc),
  stringlike: pos(stringLike),
  stringnotlike: neg(stringLike),
  numericequals: pos(numericEq),
  numericnotequals: neg(numericEq),
  numericlessthan: pos(compare(num, (c, p) => c < p)),
  numericlessthanequals: pos(compare(num, (c, p) => c <= p)),
  numericgreaterthan: pos(compare(num, (c, p) => c > p)),
  numericgreaterthanequals: pos(compare(num, (c, p) => c >= p)),
  dateequals: pos(dateEq),
  datenotequals: neg(dateEq),
  datelessthan: pos(compare(date, (c, p) => c < p)),
  datelessthanequals: pos(compare(date, (c, p) => c <= p)),
  dategreaterthan: pos(compare(date, (c, p) => c > p)),
  dategreaterthanequals: pos(compare(date, (c, p) => c >= p)),
  bool: pos((p, c) => literalText(p).toLowerCase() === c.toLowerCase()),
  binaryequals: pos(binaryEq),
  ipaddress: pos((p, c) => ipInCidr(literalText(p), c)),
  notipaddress: neg((p, c) => ipInCidr(literalText(p), c)),
  arnequals: pos(arnLike),
  arnlike: pos(arnLike),
  arnnotequals: neg(arnLike),
  arnnotlike: neg(arnLike),
};

export interface ParsedOperator {
  set?: 'foranyvalue' | 'forallvalues';
  name: string;
  ifExists: boolean;
  base?: BaseOperator;
  isNull: boolean;
}

const parsedCache = new Map<string, ParsedOperator | undefined>();

/** Splits "ForAnyValue:StringLikeIfExists" into its parts; undefined for an unknown operator. */
export function parseOperator(operator: string): ParsedOperator | undefined {
  if (parsedCache.has(operator)) return parsedCache.get(operator);
  let rest = operator.toLowerCase();
  let set: ParsedOperator['set'];
  const m = /^(foranyvalue|forallvalues):(.*)$/.exec(rest);
  if (m) {
    set = m[1] as ParsedOperator['set'];
    rest = m[2];
  }
  const isNull = rest === 'null';
  const ifExists = !isNull && rest.endsWith('ifexists');
  const name = ifExists ? rest.slice(0, -'ifexists'.length) : rest;
  const base = OPERATORS[name];
  const parsed = base || isNull ? { set, name, ifExists, base, isNull } : undefined;
  parsedCache.set(operator, parsed);
  return parsed;
}

/** Null: "true" means the key must be absent, "false" that it must be present. */
function nullTest(values: string[], present: boolean): boolean {
  return values.some((v) => (v.toLowerCase() === 'true' ? !present : v.toLowerCase() === 'false' ? present : false));
}

/** One operator/key pair against the request context. Several values in the policy are ORed. */
export function conditionHolds(test: ConditionTest, context: Map<string, string[]>): boolean {
  const op = parseOperator(test.operator);
  if (!op) return false;
  const ctx = context.get(test.key.toLowerCase());
  const present = ctx !== undefined && ctx.length > 0;
  if (op.isNull) return nullTest(test.values, present);
  const base = op.base as BaseOperator;
  if (!present) {
    // AWS: a missing key makes ForAllValues true, ForAnyValue false, ...IfExists true, and
    // otherwise the condition false unless the operator is a negated one.
    if (op.set === 'forallvalues') return true;
    if (op.set === 'foranyvalue') return false;
    return op.ifExists || base.negated;
  }
  const policyValues = test.values.map((v) => substitute(v, context)).filter((v): v is string => v !== undefined);
  const matches = (c: string) => policyValues.some((p) => base.match(p, c));
  const holds = (c: string) => (base.negated ? !matches(c) : matches(c));
  if (op.set === 'forallvalues') return ctx.every(holds);
  if (op.set === 'foranyvalue') return ctx.some(holds);
  return base.negated ? !ctx.some(matches) : ctx.some(matches);
}

export const conditionsHold = (tests: ConditionTest[], context: Map<string, string[]>): boolean => tests.every((t) => conditionHolds(t, context));
