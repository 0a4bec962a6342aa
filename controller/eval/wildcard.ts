// Wildcard matching as IAM does it: "*" any run of characters, "?" one character, nothing else
// special. Patterns that came out of policy-variable substitution carry ${*} / ${?} as the
// private-use sentinels below, which match the literal character only.

/** Literal "*" / "?" / "$" produced by ${*}, ${?}, ${$}. */
export const LIT_STAR = '\uE000';
export const LIT_QMARK = '\uE001';
export const LIT_DOLLAR = '\uE002';

const SENTINELS = /[\uE000-\uE002]/g;
const SENTINEL_CHAR: Record<string, string> = { [LIT_STAR]: '*', [LIT_QMARK]: '?', [LIT_DOLLAR]: '$' };

/** The text a pattern stands for when compared literally (StringEquals): sentinels back to characters. */
export const literalText = (pattern: string): string => pattern.replace(SENTINELS, (c) => SENTINEL_CHAR[c]);

// Compiled patterns are cached: the batch evaluator matches the same few hundred patterns against
// tens of thousands of actions, and compiling a RegExp each time would dominate its cost.
const cache = new Map<string, RegExp>();

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = cache.get(key);
  if (!re) {
    let src = '';
    for (const ch of pattern) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += literalText(ch).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`, ignoreCase ? 'is' : 's');
    if (cache.size > 50_000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

export const hasWildcard = (pattern: string): boolean => pattern.includes('*') || pattern.includes('?');

/** Glob match of the whole value. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!hasWildcard(pattern)) {
    const lit = literalText(pattern);
    return ignoreCase ? lit.toLowerCase() === value.toLowerCase() : lit === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

/** Splits an ARN into its six parts; the resource part keeps any further colons. */
export function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * ArnLike / ArnEquals and the Resource element: "each of the six colon-delimited components of
 * the ARN is checked separately", case-sensitively, so a "*" never spans a colon of the first five.
 */
export function arnMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const v = arnParts(value);
  if (!p || !v) return globMatch(pattern, value);
  for (let i = 0; i < 6; i++) if (!globMatch(p[i], v[i])) return false;
  return true;
}
