// Checks each resource's spec against its TypeBox schema (controller/api/schemas.ts) and turns
// TypeBox's errors into short, field-addressed messages. Unknown fields are rejected: a typo such
// as `parnet` must fail loudly, not be ignored (the API server prunes them on the CRD side).
import { Kind as KindSymbol, TypeRegistry, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { KINDS, refKey, type AnyResource } from '../api/schemas.js';
import type { ValidationError } from './desired.js';

// FreeForm() (policy documents) is Type.Unsafe, which Value.Errors refuses as an unknown kind.
// Any JSON is acceptable there; the policy rules in validate.ts check its content.
if (!TypeRegistry.Has('Unsafe')) TypeRegistry.Set('Unsafe', () => true);

type Schema = TSchema & {
  type?: string;
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  items?: TSchema;
  anyOf?: TSchema[];
  const?: unknown;
};

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** JSON pointer under spec ("/assignments/0/principal") -> "spec.assignments[0].principal". */
export function fieldPath(pointer: string, prefix = 'spec'): string {
  if (pointer === '') return prefix;
  let out = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^[0-9]+$/.test(seg)) out += `[${seg}]`;
    else if (IDENT.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function message(e: ValueError): string {
  const s = e.schema as Schema & Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.String:
      return `must be a string (got ${describe(e.value)})`;
    case ValueErrorType.Integer:
      return `must be an integer (got ${describe(e.value)})`;
    case ValueErrorType.Number:
      return `must be a number (got ${describe(e.value)})`;
    case ValueErrorType.Boolean:
      return `must be true or false (got ${describe(e.value)})`;
    case ValueErrorType.Object:
      return `must be a mapping (got ${describe(e.value)})`;
    case ValueErrorType.Array:
      return `must be a list (got ${describe(e.value)})`;
    case ValueErrorType.StringPattern:
      return `must match pattern ${String(s.pattern)} (got ${describe(e.value)})`;
    case ValueErrorType.StringMinLength:
      return `must be at least ${String(s.minLength)} characters long (got ${String((e.value as string).length)})`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s.maxLength)} characters long (got ${String((e.value as string).length)})`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${String(s.minimum)} (got ${String(e.value)})`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${String(s.maximum)} (got ${String(e.value)})`;
    case ValueErrorType.Union: {
      const literals = (s.anyOf ?? []).map((o) => (o as Schema).const);
      if (literals.length > 0 && literals.every((l) => typeof l === 'string')) return `must be one of ${literals.join(', ')} (got ${describe(e.value)})`;
      return `has an invalid value (got ${describe(e.value)})`;
    }
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s.const)} (got ${describe(e.value)})`;
    default:
      return e.message;
  }
}

/** Fields present in the value but absent from an object schema, at any depth. */
function unknownFields(schema: Schema, value: unknown, pointer: string, out: { pointer: string; message: string }[]): void {
  if ((schema as unknown as Record<symbol, unknown>)[KindSymbol] === 'Unsafe') return; // free-form JSON
  if (schema.type === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if (schema.properties) {
      const allowed = Object.keys(schema.properties);
      for (const [k, v] of Object.entries(obj)) {
        const child = pointer + '/' + k.replace(/~/g, '~0').replace(/\//g, '~1');
        // Own properties only: `constructor`, `__proto__` or `toString` are not fields of any schema.
        const sub = Object.hasOwn(schema.properties, k) ? (schema.properties[k] as Schema) : undefined;
        if (!sub) out.push({ pointer: child, message: `unknown field (allowed: ${allowed.join(', ')})` });
        else unknownFields(sub, v, child, out);
      }
    } else if (schema.patternProperties) {
      const sub = Object.values(schema.patternProperties)[0] as Schema;
      for (const [k, v] of Object.entries(obj)) {
        const child = pointer + '/' + k.replace(/~/g, '~0').replace(/\//g, '~1');
        // A map key (a tag key) that would be an object's prototype wherever it is copied by assignment.
        if (k === '__proto__') out.push({ pointer: child, message: 'key "__proto__" is not allowed' });
        else unknownFields(sub, v, child, out);
      }
    }
  } else if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(schema.items as Schema, v, `${pointer}/${i}`, out));
  }
}

/** Schema errors for one resource's spec; [] when it is valid. */
export function checkSpec(resource: AnyResource): ValidationError[] {
  const key = refKey(resource.kind, resource.metadata.name);
  const schema = KINDS[resource.kind].spec as Schema;
  const base = { resource: key, rule: 'schema', ...(resource.source ? { source: resource.source } : {}) };
  const spec: unknown = resource.spec;
  if (spec === undefined || spec === null) return [{ ...base, field: 'spec', message: 'is required' }];

  const found: { pointer: string; message: string }[] = [];
  const requiredMissing = new Set<string>();
  for (const e of Value.Errors(schema, spec)) {
    // A missing required property is also reported as "not a string" etc.; keep the first.
    if (requiredMissing.has(e.path)) continue;
    if (e.type === ValueErrorType.ObjectRequiredProperty) requiredMissing.add(e.path);
    found.push({ pointer: e.path, message: message(e) });
  }
  const unknown: { pointer: string; message: string }[] = [];
  unknownFields(schema, spec, '', unknown);
  for (const u of unknown) found.push(u);

  // Deterministic order: by field path as written, then by message.
  return found
    .map((f) => ({ ...base, field: fieldPath(f.pointer), message: f.message }))
    .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0))
    .map(({ resource, field, rule, message: m, source }) => ({ resource, field, rule, message: m, ...(source ? { source } : {}) }));
}
