// Policy variables (${aws:username}, ${aws:PrincipalTag/team}, ${s3:prefix, 'default'}) and the
// special characters ${*}, ${?}, ${$}. Substitution happens in Resource and Condition values only.
import { LIT_DOLLAR, LIT_QMARK, LIT_STAR } from './wildcard.js';

const VARIABLE = /\$\{([^}]*)\}/g;
const literal = (s: string): string => s.replace(/\*/g, LIT_STAR).replace(/\?/g, LIT_QMARK);
const SPECIAL: Record<string, string> = { '*': LIT_STAR, '?': LIT_QMARK, $: LIT_DOLLAR };
// ${key, 'default'}: the default is used when the key is absent from the request context.
const WITH_DEFAULT = /^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$/;

/**
 * Replaces the variables in a policy value. Returns undefined when a variable names a key the
 * request does not carry (and has no default): AWS then treats the value as matching nothing.
 * A multi-valued key cannot be a variable, so it also yields undefined.
 */
export function substitute(value: string, context: Map<string, string[]>): string | undefined {
  if (!value.includes('${')) return value;
  let missing = false;
  const out = value.replace(VARIABLE, (_m, inner: string) => {
    const special = SPECIAL[inner];
    if (special) return special;
    const d = WITH_DEFAULT.exec(inner);
    const key = (d ? d[1] : inner.trim()).toLowerCase();
    const values = context.get(key);
    // A substituted value is data, not a pattern: a "*" in a tag value matches only "*".
    if (values && values.length === 1) return literal(values[0]);
    if (d) return literal(d[2]);
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}
