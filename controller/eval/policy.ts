// Parses an SCP or RCP document (JSON text or an object) into the normalised form the evaluator
// reads: every element an array, conditions flattened to operator/key/values triples. Problems
// are returned as messages that name the element, not thrown, so validate can list them all.
import type { ConditionTest, Effect, ParsedPolicy, Statement } from './types.js';
import { parseOperator } from './conditions.js';

export interface ParseResult {
  policy?: ParsedPolicy;
  errors: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "x" or ["x","y"] -> string[]; anything else -> an error message. */
function stringList(v: Json | undefined, where: string, errors: string[]): string[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.some((x) => typeof x !== 'string')) {
    errors.push(`${where}: must be a string or a non-empty list of strings`);
    return undefined;
  }
  return list as string[];
}

function principalList(v: Json | undefined, where: string, errors: string[]): string[] | undefined {
  if (v === undefined) return undefined;
  if (v === '*') return ['*'];
  if (!isObject(v)) {
    errors.push(`${where}: must be "*" or an object such as {"AWS": [...]}`);
    return undefined;
  }
  const out: string[] = [];
  for (const [type, val] of Object.entries(v)) out.push(...(stringList(val, `${where}.${type}`, errors) ?? []));
  return out;
}

const scalar = (v: Json): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

function conditions(v: Json | undefined, where: string, errors: string[]): ConditionTest[] {
  if (v === undefined) return [];
  if (!isObject(v)) {
    errors.push(`${where}: must be an object of operator -> {key: values}`);
    return [];
  }
  const out: ConditionTest[] = [];
  for (const [operator, block] of Object.entries(v)) {
    if (!parseOperator(operator)) errors.push(`${where}.${operator}: unknown condition operator`);
    if (!isObject(block)) {
      errors.push(`${where}.${operator}: must be an object of key -> values`);
      continue;
    }
    for (const [key, raw] of Object.entries(block)) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(scalar);
      if (values.some((x) => x === undefined)) errors.push(`${where}.${operator}.${key}: values must be strings, numbers or booleans`);
      out.push({ operator, key, values: values.filter((x): x is string => x !== undefined) });
    }
  }
  return out;
}

function exclusive(s: Record<string, Json>, a: string, b: string, where: string, errors: string[]): void {
  if (s[a] !== undefined && s[b] !== undefined) errors.push(`${where}: has both ${a} and ${b}`);
  if (s[a] === undefined && s[b] === undefined) errors.push(`${where}: needs ${a} or ${b}`);
}

function statement(raw: Json, index: number, errors: string[]): Statement | undefined {
  const where = `Statement[${index}]`;
  if (!isObject(raw)) {
    errors.push(`${where}: must be an object`);
    return undefined;
  }
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') errors.push(`${where}.Effect: must be "Allow" or "Deny"`);
  exclusive(raw, 'Action', 'NotAction', where, errors);
  if (raw.Resource !== undefined && raw.NotResource !== undefined) errors.push(`${where}: has both Resource and NotResource`);
  return {
    index,
    sid: typeof raw.Sid === 'string' ? raw.Sid : undefined,
    effect: effect as Effect,
    action: stringList(raw.Action, `${where}.Action`, errors),
    notAction: stringList(raw.NotAction, `${where}.NotAction`, errors),
    // SCPs may omit Resource (AWS reads it as "*").
    resource: stringList(raw.Resource, `${where}.Resource`, errors),
    notResource: stringList(raw.NotResource, `${where}.NotResource`, errors),
    principal: principalList(raw.Principal, `${where}.Principal`, errors),
    notPrincipal: principalList(raw.NotPrincipal, `${where}.NotPrincipal`, errors),
    conditions: conditions(raw.Condition, `${where}.Condition`, errors),
  };
}

export function parsePolicy(doc: unknown): ParseResult {
  let value: unknown = doc;
  if (typeof doc === 'string') {
    try {
      value = JSON.parse(doc);
    } catch (e) {
      return { errors: [`not valid JSON: ${(e as Error).message}`] };
    }
  }
  if (!isObject(value)) return { errors: ['the policy must be a JSON object'] };
  const errors: string[] = [];
  const rawStatements = value.Statement;
  if (rawStatements === undefined) return { errors: ['Statement: missing'] };
  const list = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  const statements = list.map((s, i) => statement(s, i, errors)).filter((s): s is Statement => s !== undefined);
  return errors.length ? { errors } : { policy: { statements }, errors };
}

/** parsePolicy for callers that hold documents already validated elsewhere. */
export function mustParse(doc: unknown): ParsedPolicy {
  const r = parsePolicy(doc);
  if (!r.policy) throw new Error(`invalid policy: ${r.errors.join('; ')}`);
  return r.policy;
}

/** The AWS managed policies, whose text the manifests do not carry. */
export const FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
export const RCP_FULL_AWS_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };
