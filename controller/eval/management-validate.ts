// Offline syntax checks for management policy documents (the inheritance-operator types), with
// the per-type size quotas of the Organizations user guide. Messages name the field and the rule.
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
import { CHILD_CONTROL, VALUE_OPERATORS, type Json } from './effective-policy.js';

export interface ManagementPolicyType {
  /** The one top-level key documents of this type hold. */
  root: string;
  /** Maximum document size in characters (whitespace-free JSON). */
  maxSize: number;
}

export const MANAGEMENT_POLICY_TYPES: Record<string, ManagementPolicyType> = {
  TAG_POLICY: { root: 'tags', maxSize: 10_000 },
  BACKUP_POLICY: { root: 'plans', maxSize: 10_000 },
  AISERVICES_OPT_OUT_POLICY: { root: 'services', maxSize: 2_500 },
  CHATBOT_POLICY: { root: 'chatbot', maxSize: 10_000 },
  DECLARATIVE_POLICY_EC2: { root: 'ec2_attributes', maxSize: 10_000 },
};

export interface PolicyProblem {
  field: string;
  rule: string;
  message: string;
}

type JsonObject = { [k: string]: Json };
const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const OPERATORS = new Set<string>([...VALUE_OPERATORS, CHILD_CONTROL]);
const CHILD_VALUES = new Set(['@@all', '@@none', ...VALUE_OPERATORS]);

function checkChildControl(v: Json, field: string, out: PolicyProblem[]): void {
  const list = Array.isArray(v) ? v : undefined;
  if (!list || list.length === 0 || list.some((x) => typeof x !== 'string' || !CHILD_VALUES.has(x))) {
    out.push({ field, rule: 'child-control', message: `must be a list of @@all, @@none, @@assign, @@append, @@remove` });
  } else if ((list.includes('@@all') || list.includes('@@none')) && list.length > 1) {
    out.push({ field, rule: 'child-control', message: '@@all and @@none must stand alone' });
  }
}

function checkNode(node: JsonObject, path: string, out: PolicyProblem[]): void {
  for (const [key, v] of Object.entries(node)) {
    const field = `${path}.${key}`;
    if (key.startsWith('@@')) {
      if (!OPERATORS.has(key)) out.push({ field, rule: 'unknown-operator', message: `unknown inheritance operator ${key}` });
      else if (key === CHILD_CONTROL) checkChildControl(v, field, out);
      else if ((key === '@@append' || key === '@@remove') && !Array.isArray(v)) {
        out.push({ field, rule: 'operator-value', message: `${key} works on multi-valued settings only: the value must be a JSON array` });
      }
    } else if (isObject(v)) {
      checkNode(v, field, out);
    } else {
      out.push({ field, rule: 'missing-operator', message: 'a setting must be an object with an inheritance operator such as {"@@assign": ...}' });
    }
  }
}

/** AI opt-out values are a closed set; the user guide lists optIn / optOut. */
function checkAiOptOut(doc: JsonObject, out: PolicyProblem[]): void {
  const services = doc.services;
  if (!isObject(services)) return;
  for (const [svc, body] of Object.entries(services)) {
    const v = isObject(body) && isObject(body.opt_out_policy) ? body.opt_out_policy['@@assign'] : undefined;
    if (v !== undefined && v !== 'optIn' && v !== 'optOut') {
      out.push({ field: `services.${svc}.opt_out_policy.@@assign`, rule: 'opt-out-value', message: `must be "optIn" or "optOut", not ${JSON.stringify(v)}` });
    }
  }
}

export function validateManagementPolicy(type: string, content: string | Json): PolicyProblem[] {
  const spec = MANAGEMENT_POLICY_TYPES[type];
  if (!spec)
    return [
      { field: 'type', rule: 'policy-type', message: `unknown management policy type ${type}: one of ${Object.keys(MANAGEMENT_POLICY_TYPES).join(', ')}` },
    ];
  let doc: Json;
  try {
    doc = typeof content === 'string' ? (JSON.parse(content) as Json) : content;
  } catch (e) {
    return [{ field: 'document', rule: 'policy-json', message: `not valid JSON: ${(e as Error).message}` }];
  }
  if (!isObject(doc)) return [{ field: 'document', rule: 'policy-json', message: 'must be a JSON object' }];
  const out: PolicyProblem[] = [];
  const size = JSON.stringify(doc).length;
  if (size > spec.maxSize)
    out.push({ field: 'document', rule: 'policy-size', message: `${size} characters; ${type} documents are limited to ${spec.maxSize}` });
  for (const key of Object.keys(doc)) {
    if (key !== spec.root) out.push({ field: key, rule: 'top-level-key', message: `${type} documents hold only "${spec.root}" at the top level` });
  }
  if (doc[spec.root] !== undefined && !isObject(doc[spec.root])) out.push({ field: spec.root, rule: 'policy-json', message: 'must be an object' });
  else if (isObject(doc[spec.root])) checkNode(doc[spec.root] as JsonObject, spec.root, out);
  if (type === 'AISERVICES_OPT_OUT_POLICY') checkAiOptOut(doc, out);
  return out;
}
