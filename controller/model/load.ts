// Reads orgplane manifests from files (CLI mode): multi-document YAML, one Resource per
// document, each remembering where it came from. Only the envelope (apiVersion, kind,
// metadata.name) is checked here; spec checks live in schema-check.ts and validate.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { API_VERSION, KIND_NAMES, refKey, type AnyResource, type Kind } from '../api/schemas.js';
import type { ValidationError } from './desired.js';

export interface LoadResult {
  resources: AnyResource[];
  errors: ValidationError[];
}

const TOP_LEVEL_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
/** Kubernetes object names: RFC 1123 subdomain. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KUSTOMIZATION = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const describeType = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
};

export const isValidResourceName = (name: string): boolean => name.length <= 253 && DNS1123_SUBDOMAIN.test(name);

/** Parses one YAML text (possibly many documents). `sourceName` names it in sources and errors. */
export function parseManifests(text: string, sourceName: string): LoadResult {
  const parsed = parseOne(text, sourceName);
  return dropDuplicates(parsed.resources, parsed.errors);
}

/** Reads files and directories (recursively; *.yaml / *.yml in sorted order). */
export function loadManifests(paths: string[], opts: { cwd?: string } = {}): LoadResult {
  const cwd = opts.cwd ?? process.cwd();
  const resources: AnyResource[] = [];
  const errors: ValidationError[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = collectFiles(p);
    } catch (e) {
      errors.push({ resource: p, field: '', rule: 'file', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    for (const file of files) {
      const name = relative(cwd, file) || file;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        errors.push({ resource: name, field: '', rule: 'file', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        continue;
      }
      const one = parseOne(text, name);
      resources.push(...one.resources);
      errors.push(...one.errors);
    }
  }
  return dropDuplicates(resources, errors);
}

function collectFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path]; // an explicitly named file is read whatever its extension
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...collectFiles(full));
    else if (['.yaml', '.yml'].includes(extname(entry.name)) && !KUSTOMIZATION.has(entry.name)) out.push(full);
  }
  return out;
}

function parseOne(text: string, sourceName: string): LoadResult {
  const resources: AnyResource[] = [];
  const errors: ValidationError[] = [];
  if (KUSTOMIZATION.has(basename(sourceName))) return { resources, errors };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return { resources, errors }; // EmptyStream
  docs.forEach((doc, index) => {
    const docKey = `${sourceName}#${index}`;
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = lineCounter.linePos(err.pos[0]);
      const firstLine = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      errors.push({
        resource: docKey,
        field: '(document)',
        rule: 'yaml-syntax',
        message: `YAML syntax error at line ${pos.line}, column ${pos.col}: ${firstLine}`,
        source: `${sourceName}:${pos.line}`,
      });
      return;
    }
    if (doc.contents === null) return; // empty document (e.g. a trailing ---)
    const line = lineCounter.linePos(doc.contents.range[0]).line;
    const source = `${sourceName}:${line}`;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const res = checkEnvelope(value, docKey, source, errors);
    if (res) resources.push(res);
  });
  return { resources, errors };
}

/** Checks apiVersion/kind/metadata.name; returns the Resource when the envelope is usable. */
function checkEnvelope(value: unknown, docKey: string, source: string, errors: ValidationError[]): AnyResource | undefined {
  if (!isMapping(value)) {
    errors.push({ resource: docKey, field: '(document)', rule: 'not-a-mapping', message: `document is ${describeType(value)}, not a mapping with apiVersion, kind, metadata and spec`, source });
    return undefined;
  }
  const kind = value.kind;
  const meta = value.metadata;
  const name = isMapping(meta) ? meta.name : undefined;
  const key = typeof kind === 'string' && kind !== '' && typeof name === 'string' && name !== '' ? `${kind}/${name}` : docKey;
  const before = errors.length;
  const err = (field: string, rule: string, message: string) => errors.push({ resource: key, field, rule, message, source });

  if (value.apiVersion === undefined) err('apiVersion', 'api-version', `apiVersion is required (must be ${API_VERSION})`);
  else if (value.apiVersion !== API_VERSION) err('apiVersion', 'api-version', `apiVersion must be ${API_VERSION}, found ${JSON.stringify(value.apiVersion)}`);

  if (kind === undefined) err('kind', 'unknown-kind', `kind is required; valid kinds: ${KIND_NAMES.join(', ')}`);
  else if (typeof kind !== 'string' || !(KIND_NAMES as string[]).includes(kind)) {
    err('kind', 'unknown-kind', `unknown kind ${JSON.stringify(kind)}; valid kinds: ${KIND_NAMES.join(', ')}`);
  }

  if (!isMapping(meta)) err('metadata', 'metadata-name', meta === undefined ? 'metadata is required' : `metadata must be a mapping, found ${describeType(meta)}`);
  else if (name === undefined || name === '') err('metadata.name', 'metadata-name', 'metadata.name is required');
  else if (typeof name !== 'string') err('metadata.name', 'metadata-name', `metadata.name must be a string, found ${describeType(name)}`);
  else if (!isValidResourceName(name)) {
    err('metadata.name', 'metadata-name', `metadata.name ${JSON.stringify(name)} is not a valid DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)`);
  }

  for (const field of Object.keys(value)) {
    if (!TOP_LEVEL_FIELDS.has(field)) err(field, 'unknown-field', `unknown top-level field (allowed: ${[...TOP_LEVEL_FIELDS].join(', ')})`);
  }
  if (errors.length > before) return undefined;
  return {
    apiVersion: API_VERSION,
    kind: kind as Kind,
    metadata: meta as unknown as AnyResource['metadata'],
    spec: value.spec,
    ...(value.status !== undefined ? { status: value.status } : {}),
    source,
  } as AnyResource;
}

/**
 * The same Kind/name twice would make one copy silently win. Later copies are dropped with an
 * error keyed by Kind/name; passing the errors to buildDesired (ctx.loadErrors) then marks the
 * first copy invalid too, so neither is applied.
 */
function dropDuplicates(all: AnyResource[], errors: ValidationError[]): LoadResult {
  const seen = new Map<string, AnyResource>();
  const resources: AnyResource[] = [];
  for (const r of all) {
    const key = refKey(r.kind, r.metadata.name);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, r);
      resources.push(r);
      continue;
    }
    errors.push({
      resource: key,
      field: 'metadata.name',
      rule: 'duplicate-resource',
      message: `${key} is defined more than once (first at ${first.source ?? 'an earlier document'})`,
      source: r.source,
    });
  }
  return { resources, errors };
}
