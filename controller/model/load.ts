// Reads orgplane manifests from files (CLI mode): multi-document YAML, one Resource per
// document, each remembering where it came from. Which files are read, and how safely, is
// manifest-files.ts. Only the envelope (apiVersion, kind, metadata.name) is checked here; spec
// checks live in schema-check.ts and validate.ts.
import { basename } from 'node:path';
import { Composer, LineCounter, Parser, type Document } from 'yaml';
import { API_VERSION, KIND_NAMES, refKey, type AnyResource, type Kind } from '../api/schemas.js';
import type { ValidationError } from './desired.js';
import { collectManifestFiles, newBudget, readManifestFile, type FileProblem, type LoadBudget, type LoadLimits } from './manifest-files.js';

export { DEFAULT_LOAD_LIMITS, type LoadLimits } from './manifest-files.js';

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
export function parseManifests(text: string, sourceName: string, limits: Partial<LoadLimits> = {}): LoadResult {
  const out: LoadResult = { resources: [], errors: [] };
  parseOne(text, sourceName, newBudget(limits), out);
  return dropDuplicates(out.resources, out.errors);
}

/**
 * Reads files and directories (recursively; *.yaml / *.yml in sorted order). Only regular files
 * inside a named directory are read, within the size and document limits (manifest-files.ts);
 * each refused file is an error naming it.
 */
export function loadManifests(paths: string[], opts: { cwd?: string; limits?: Partial<LoadLimits> } = {}): LoadResult {
  const out: LoadResult = { resources: [], errors: [] };
  const budget = newBudget(opts.limits);
  const { files, problems } = collectManifestFiles(paths, opts.cwd ?? process.cwd());
  for (const p of problems) out.errors.push(fileError(p));
  for (const file of files) {
    if (budget.stopped) break;
    const read = readManifestFile(file, budget);
    if ('problem' in read) out.errors.push(fileError(read.problem));
    else parseOne(read.text, file.name, budget, out);
  }
  return dropDuplicates(out.resources, out.errors);
}

const fileError = (p: FileProblem): ValidationError => ({ resource: p.name, field: '(file)', rule: p.rule, message: p.message });

/** Parses one file's documents into `out` (one by one: a file may hold hundreds of thousands). */
function parseOne(text: string, sourceName: string, budget: LoadBudget, out: LoadResult): void {
  if (KUSTOMIZATION.has(basename(sourceName))) return;
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ prettyErrors: false });
  let index = 0;
  for (const doc of composer.compose(parser.parse(text))) {
    if (++budget.documents > budget.limits.maxDocuments) {
      budget.stopped = true;
      out.errors.push({
        resource: sourceName,
        field: '(file)',
        rule: 'document-limit',
        message: `more than ${budget.limits.maxDocuments} YAML documents in one run, the limit; stopped at document #${index} of this file`,
      });
      return;
    }
    parseDocument(doc, `${sourceName}#${index++}`, sourceName, lineCounter, out);
  }
}

function parseDocument(doc: Document.Parsed, docKey: string, sourceName: string, lineCounter: LineCounter, out: LoadResult): void {
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = at(err.pos[0]);
    const firstLine = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    out.errors.push({
      resource: docKey,
      field: '(document)',
      rule: 'yaml-syntax',
      message: `YAML syntax error at line ${pos.line}, column ${pos.col}: ${firstLine}`,
      source: `${sourceName}:${pos.line}`,
    });
    return;
  }
  if (doc.contents === null) return; // empty document (e.g. a trailing ---)
  const source = `${sourceName}:${at(doc.contents.range[0]).line}`;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    out.errors.push({ resource: docKey, field: '(document)', rule: 'yaml-alias', message: aliasMessage(e), source });
    return;
  }
  if (value === null || value === undefined) return;
  const res = checkEnvelope(value, docKey, source, out.errors);
  if (res) out.resources.push(res);
}

/** Alias uses per document; each use of an anchor counts the nodes it stands for. */
const MAX_ALIAS_COUNT = 100;

const aliasMessage = (e: unknown): string =>
  /Excessive alias count/.test((e as Error).message)
    ? `YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?); the document is not read`
    : `YAML alias error: ${(e as Error).message}`;

/** Checks apiVersion/kind/metadata.name; returns the Resource when the envelope is usable. */
function checkEnvelope(value: unknown, docKey: string, source: string, errors: ValidationError[]): AnyResource | undefined {
  if (!isMapping(value)) {
    errors.push({
      resource: docKey,
      field: '(document)',
      rule: 'not-a-mapping',
      message: `document is ${describeType(value)}, not a mapping with apiVersion, kind, metadata and spec`,
      source,
    });
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

  if (!isMapping(meta))
    err('metadata', 'metadata-name', meta === undefined ? 'metadata is required' : `metadata must be a mapping, found ${describeType(meta)}`);
  else if (name === undefined || name === '') err('metadata.name', 'metadata-name', 'metadata.name is required');
  else if (typeof name !== 'string') err('metadata.name', 'metadata-name', `metadata.name must be a string, found ${describeType(name)}`);
  else if (!isValidResourceName(name)) {
    err(
      'metadata.name',
      'metadata-name',
      `metadata.name ${JSON.stringify(name)} is not a valid DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)`,
    );
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
