// Which files `-f` reads, and reading them without trusting them. A manifest directory comes
// from a git checkout anyone with commit rights shapes, so: only regular files inside it are
// read (a FIFO named *.yaml would block forever, a link to /dev/zero would read forever, a link
// to ~/.aws/credentials would leak into error messages), every file and the whole run have a size
// cap, and bytes that are not UTF-8 are an error, never silently replaced.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { extname, join, relative, sep } from 'node:path';

export interface LoadLimits {
  /** Bytes per file. */
  maxFileBytes: number;
  /** Bytes over every file of one run. */
  maxTotalBytes: number;
  /** YAML documents over every file of one run (empty ones included). */
  maxDocuments: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_LOAD_LIMITS: LoadLimits = { maxFileBytes: 8 * MiB, maxTotalBytes: 64 * MiB, maxDocuments: 50_000 };

/** One file to read: `path` is opened, `name` is shown. */
export interface ManifestFile {
  path: string;
  name: string;
  /** Named on the command line (may be a symlink the user chose); directory entries are resolved already. */
  explicit: boolean;
}

/** A file (or path) that is refused, with the rule it broke. */
export interface FileProblem {
  name: string;
  rule: string;
  message: string;
}

/** What one run has used of its limits; `stopped` once a run-wide limit is hit. */
export interface LoadBudget {
  limits: LoadLimits;
  bytes: number;
  documents: number;
  stopped: boolean;
}

export const newBudget = (limits: Partial<LoadLimits> = {}): LoadBudget => ({
  limits: { ...DEFAULT_LOAD_LIMITS, ...limits },
  bytes: 0,
  documents: 0,
  stopped: false,
});

const KUSTOMIZATION = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
const isManifestName = (name: string): boolean => ['.yaml', '.yml'].includes(extname(name)) && !KUSTOMIZATION.has(name);
const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const inside = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

export const formatBytes = (n: number): string => (n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`);

function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

interface Walk {
  root: string;
  seen: Set<string>;
  files: ManifestFile[];
  problems: FileProblem[];
  shown: (p: string) => string;
}

/** Files named on the command line as they are; directories walked recursively in sorted order. */
export function collectManifestFiles(paths: string[], cwd: string): { files: ManifestFile[]; problems: FileProblem[] } {
  const files: ManifestFile[] = [];
  const problems: FileProblem[] = [];
  const shown = (p: string) => relative(cwd, p) || p;
  for (const p of paths) {
    let st: Stats;
    try {
      st = statSync(p);
    } catch (e) {
      problems.push({ name: p, rule: 'file', message: `cannot read: ${errno(e)}` });
      continue;
    }
    if (!st.isDirectory()) {
      files.push({ path: p, name: shown(p), explicit: true }); // read whatever its extension
      continue;
    }
    const root = realpathSync(p);
    walkDir({ root, seen: new Set([root]), files, problems, shown }, root, p);
  }
  return { files, problems };
}

function walkDir(w: Walk, real: string, display: string): void {
  for (const entry of readdirSync(real, { withFileTypes: true }).sort(byName)) {
    const full = join(real, entry.name);
    const name = join(display, entry.name);
    if (entry.isDirectory()) enterDir(w, full, name);
    else if (entry.isSymbolicLink()) followLink(w, full, name, entry.name);
    else if (isManifestName(entry.name)) w.files.push({ path: full, name: w.shown(name), explicit: false });
  }
}

/** A link inside the directory is read when it resolves inside it: a manifest file or a directory. */
function followLink(w: Walk, full: string, name: string, base: string): void {
  let target: string;
  let st: Stats;
  try {
    target = realpathSync(full);
    st = statSync(target);
  } catch (e) {
    if (isManifestName(base)) w.problems.push({ name: w.shown(name), rule: 'file-type', message: `broken symlink: ${errno(e)}` });
    return;
  }
  if (!st.isDirectory() && !isManifestName(base)) return;
  if (!inside(w.root, target)) {
    w.problems.push({
      name: w.shown(name),
      rule: 'file-type',
      message: `symlink leaves the manifest directory (points to ${target}); only files inside it are read`,
    });
  } else if (!st.isDirectory()) {
    w.files.push({ path: target, name: w.shown(name), explicit: false });
  } else {
    enterDir(w, target, name);
  }
}

/** Each real directory is read once, however many links lead to it (links may loop). */
function enterDir(w: Walk, real: string, display: string): void {
  if (w.seen.has(real)) return;
  w.seen.add(real);
  walkDir(w, real, display);
}

/** Reads one file as UTF-8 text, or says why it is refused. Run-wide byte use goes into `budget`. */
export function readManifestFile(file: ManifestFile, budget: LoadBudget): { text: string } | { problem: FileProblem } {
  const refuse = (rule: string, message: string) => ({ problem: { name: file.name, rule, message } });
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: a directory entry resolved
    // to a real path must not have become a symlink since.
    fd = openSync(file.path, constants.O_RDONLY | constants.O_NONBLOCK | (file.explicit ? 0 : constants.O_NOFOLLOW));
  } catch (e) {
    return refuse('file', `cannot read: ${errno(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return refuse('file-type', `${fileKind(st)}, not a regular file; only regular files are read`);
    const bytes = st.size > budget.limits.maxFileBytes ? undefined : readCapped(fd, budget.limits.maxFileBytes);
    if (!bytes) return refuse('file-size', `larger than ${formatBytes(budget.limits.maxFileBytes)}, the limit per file`);
    if (budget.bytes + bytes.length > budget.limits.maxTotalBytes) {
      budget.stopped = true;
      return refuse(
        'file-size',
        `the manifests read so far and this file exceed ${formatBytes(budget.limits.maxTotalBytes)}, the limit per run; this file and the ones after it are not read`,
      );
    }
    budget.bytes += bytes.length;
    const bad = invalidUtf8Offset(bytes);
    if (bad >= 0)
      return refuse('utf8', `not valid UTF-8: byte 0x${bytes[bad].toString(16).padStart(2, '0')} at byte offset ${bad} (line ${lineAt(bytes, bad)})`);
    return { text: bytes.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes, or undefined when it has more than `max` (reads at most max + 1: it may grow). */
function readCapped(fd: number, max: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(1024 * 1024, max + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max) return undefined;
  }
}

const lineAt = (bytes: Buffer, offset: number): number => {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
};

/** Offset of the first byte that makes `b` invalid UTF-8 (RFC 3629), or -1. */
export function invalidUtf8Offset(b: Uint8Array): number {
  if (isUtf8(b)) return -1;
  let i = 0;
  while (i < b.length) {
    const len = sequenceLength(b, i);
    if (len === 0 || i + len > b.length) return i;
    for (let k = 1; k < len; k++) if (!continuationOk(b, i, k)) return i + k;
    i += len;
  }
  return -1;
}

function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return 2;
  if (c >= 0xe0 && c <= 0xef) return 3;
  if (c >= 0xf0 && c <= 0xf4) return 4;
  return 0;
}

/** Byte k of the sequence starting at i; the second byte's range excludes overlongs and surrogates. */
function continuationOk(b: Uint8Array, i: number, k: number): boolean {
  const x = b[i + k];
  if (k > 1) return x >= 0x80 && x <= 0xbf;
  const lead = b[i];
  const [lo, hi] = lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
  return x >= lo && x <= hi;
}
