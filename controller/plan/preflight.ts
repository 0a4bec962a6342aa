// Migration preflight: how a move changes the SCPs that shape an account's permissions.
// SCPs do not simply inherit. A Deny anywhere on the path root -> OUs -> account applies; but an
// action is allowed only when EVERY level of that path has an attached SCP that allows it. So an
// Allow-bearing SCP (FullAWSAccess, or an allow-list) matters per level: moving an account under
// an OU whose only Allow is "allow-s3" limits it to S3 even though FullAWSAccess is still on the
// root. "before" uses the live attachments, "after" the attachments once the plan has run.
import { isScp } from '../model/policy-types.js';
import type { ActualOrg } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import { canonicalValue, parsePolicy } from '../model/policy-json.js';
import { isNewNode, refNode, type NodeKey } from './match.js';
import type { IdRef, ScpLevel } from './operations.js';

const FULL_AWS_ACCESS = 'FullAWSAccess';

/** What a policy document can do at a level: allow something, allow everything, deny something. */
export interface PolicyEffect {
  allows: boolean;
  allowsAll: boolean;
  denies: boolean;
}

// An SCP whose document is not known (not read) is treated the way SCPs were before per-level
// reasoning: as a guardrail that counts wherever it is attached.
const UNKNOWN_EFFECT: PolicyEffect = { allows: true, allowsAll: false, denies: true };
const ALLOW_ALL_EFFECT: PolicyEffect = { allows: true, allowsAll: true, denies: false };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const hasStar = (v: unknown): boolean => v === '*' || (Array.isArray(v) && v.includes('*'));

/** An Allow of every action on every resource, unconditionally. */
function allowsEverything(s: Record<string, unknown>): boolean {
  return (
    s.Effect === 'Allow' &&
    hasStar(s.Action) &&
    s.NotAction === undefined &&
    (s.Resource === undefined || hasStar(s.Resource)) &&
    s.NotResource === undefined &&
    s.Condition === undefined
  );
}

/** Classifies a policy document (text or parsed); undefined when it is not a readable document. */
export function policyEffect(doc: unknown): PolicyEffect | undefined {
  const parsed = parsePolicy(doc);
  if (!isRecord(parsed)) return undefined;
  const raw = parsed.Statement;
  const statements = (Array.isArray(raw) ? raw : [raw]).map(canonicalValue).filter(isRecord);
  return {
    allows: statements.some((s) => s.Effect === 'Allow'),
    allowsAll: statements.some(allowsEverything),
    denies: statements.some((s) => s.Effect === 'Deny'),
  };
}

export interface ScpViewOptions {
  /** Policy document (text or parsed) by SCP name. */
  docOf?: (name: string) => unknown;
  /** SCPs AWS attaches by itself when it creates a node (FullAWSAccess on a new OU). */
  attachedOnCreate?: (node: NodeKey) => string[];
}

/** The SCP picture of one state of the organization (before or after the plan). */
export class ScpView {
  private readonly memo = new Map<NodeKey, ReadonlySet<string>>();
  private readonly effects = new Map<string, PolicyEffect>();

  constructor(
    /** Parent of an OU node (undefined for the root). */
    private readonly parentOf: (node: NodeKey) => NodeKey | undefined,
    /** Names of the SCPs attached directly to a node (root, OU or account). */
    private readonly attached: (node: NodeKey) => Iterable<string>,
    private readonly opts: ScpViewOptions = {},
  ) {}

  /** SCP names attached to a node, sorted, including those AWS adds when the plan creates it. */
  attachedTo(node: NodeKey): string[] {
    const names = new Set(this.attached(node));
    for (const n of this.opts.attachedOnCreate?.(node) ?? []) names.add(n);
    return [...names].sort();
  }

  /** Every SCP attached on the way from the root to an OU (its own included). Memoised: a whole org costs O(OUs). */
  inherited(node: NodeKey): ReadonlySet<string> {
    const hit = this.memo.get(node);
    if (hit) return hit;
    // Mark before recursing so a malformed cycle ends instead of overflowing the stack.
    this.memo.set(node, new Set());
    const parent = this.parentOf(node);
    const set = new Set<string>(parent === undefined ? [] : this.inherited(parent));
    for (const name of this.attachedTo(node)) set.add(name);
    this.memo.set(node, set);
    return set;
  }

  /** Every SCP attached somewhere on the path of an account placed under `parent`. */
  forAccount(account: NodeKey, parent: NodeKey): Set<string> {
    const set = new Set(this.inherited(parent));
    for (const name of this.attachedTo(account)) set.add(name);
    return set;
  }

  effectOf(name: string): PolicyEffect {
    let e = this.effects.get(name);
    if (!e) {
      const doc = this.opts.docOf?.(name);
      e = policyEffect(doc) ?? (name === FULL_AWS_ACCESS ? ALLOW_ALL_EFFECT : UNKNOWN_EFFECT);
      this.effects.set(name, e);
    }
    return e;
  }

  /** The levels root -> ... -> parent -> account, each with its SCPs and what they allow. */
  levels(account: NodeKey, parent: NodeKey, nameOf: (node: NodeKey) => string): ScpLevel[] {
    const chain: NodeKey[] = [account];
    for (let n: NodeKey | undefined = parent; n !== undefined && !chain.includes(n); n = this.parentOf(n)) chain.push(n);
    return chain.reverse().map((node) => this.level(node, nameOf(node)));
  }

  private level(node: NodeKey, name: string): ScpLevel {
    const policies = this.attachedTo(node);
    const allowing = policies.filter((p) => this.effectOf(p).allows);
    return { node, name, policies, allowing, allowsAll: allowing.some((p) => this.effectOf(p).allowsAll) };
  }

  /**
   * The SCPs that shape an account on a path: those that deny something (wherever attached),
   * the Allow-bearing ones at levels that do not allow everything (they are the limit there),
   * and, when every level allows everything, the allow-all SCPs doing so.
   */
  effective(levels: ScpLevel[]): Set<string> {
    const out = new Set<string>();
    for (const l of levels) {
      for (const p of l.policies) {
        const e = this.effectOf(p);
        if (e.denies || (e.allows && !l.allowsAll)) out.add(p);
      }
    }
    if (levels.length > 0 && levels.every((l) => l.allowsAll)) for (const p of allowAllEverywhere(levels, this)) out.add(p);
    return out;
  }
}

/** Allow-all SCPs found at every level, or (when levels use different ones) all of them. */
function allowAllEverywhere(levels: ScpLevel[], view: ScpView): string[] {
  const perLevel = levels.map((l) => l.allowing.filter((p) => view.effectOf(p).allowsAll));
  const common = perLevel[0].filter((p) => perLevel.every((ps) => ps.includes(p)));
  return common.length > 0 ? common : [...new Set(perLevel.flat())];
}

/** Sorted names in `after` but not `before` (gained) and the reverse (lost). */
export function scpDelta(before: ReadonlySet<string>, after: ReadonlySet<string>): { gained: string[]; lost: string[] } {
  return {
    gained: [...after].filter((n) => !before.has(n)).sort(),
    lost: [...before].filter((n) => !after.has(n)).sort(),
  };
}

export interface MovePreflight {
  gained: string[];
  lost: string[];
  path: { before: ScpLevel[]; after: ScpLevel[] };
}

/** What a move of `mv.accountId` from `mv.fromId` to `mv.to` does to the SCPs that shape it. */
export function movePreflight(
  before: ScpView,
  after: ScpView,
  mv: { accountId: string; fromId: string; to: IdRef },
  nameOf: (node: NodeKey) => string,
): MovePreflight {
  const b = before.levels(mv.accountId, mv.fromId, nameOf);
  const a = after.levels(mv.accountId, refNode(mv.to), nameOf);
  return { ...scpDelta(before.effective(b), after.effective(a)), path: { before: b, after: a } };
}

/**
 * Policy documents by SCP name before the plan (live) and after it (manifests, else live), and
 * FullAWSAccess on OUs the plan creates (AWS attaches it to every new OU; the plan detaches it
 * from a new OU only in a later run).
 */
export function preflightViews(actual: ActualOrg, desired: DesiredOrg): { before: ScpViewOptions; after: ScpViewOptions } {
  const live = new Map(
    Object.values(actual.policies)
      .filter(isScp)
      .map((p) => [p.name, p.content]),
  );
  const wanted = new Map(
    Object.values(desired.policies)
      .filter((p) => p.content !== '' && p.policyType === undefined)
      .map((p) => [p.name, p.content]),
  );
  const fullAccess = Object.values(actual.policies).find((p) => p.awsManaged && p.name === FULL_AWS_ACCESS);
  return {
    before: { docOf: (n) => live.get(n) },
    after: {
      docOf: (n) => wanted.get(n) ?? live.get(n),
      attachedOnCreate: (node) => (fullAccess && isNewNode(node) && node.includes('OrganizationalUnit/') ? [fullAccess.name] : []),
    },
  };
}

const andList = (xs: string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const allowSig = (l: ScpLevel): string => l.allowing.join('\u0000');

/** Sentences a reviewer needs about Allows on the path: levels that deny everything, allow-lists that start or stop limiting the account. */
export function pathNotes(path: { before: ScpLevel[]; after: ScpLevel[] }): string[] {
  const notes: string[] = [];
  const beforeByNode = new Map(path.before.map((l) => [l.node, l]));
  // An account that was already denied everything (a level without Allow) gets no alarm from the move.
  const allowedBefore = path.before.every((l) => l.allowing.length > 0);
  for (const l of path.after) {
    if (l.allowing.length > 0 || !allowedBefore) continue;
    const prev = beforeByNode.get(l.node);
    notes.push(
      prev && prev.allowing.length > 0
        ? `${l.name} loses its only Allow-bearing SCP (${andList(prev.allowing)}): every action in the account is denied`
        : `${l.name} has no SCP that allows anything: every action in the account is denied`,
    );
  }
  const limits = (levels: ScpLevel[]) => levels.filter((l) => l.allowing.length > 0 && !l.allowsAll);
  const beforeSigs = new Set(limits(path.before).map(allowSig));
  const afterSigs = new Set(limits(path.after).map(allowSig));
  for (const l of limits(path.after)) {
    if (!beforeSigs.has(allowSig(l)))
      notes.push(`now limited to what ${andList(l.allowing)} allow${l.allowing.length === 1 ? 's' : ''} at ${l.name} (allow-list)`);
  }
  for (const l of limits(path.before)) {
    if (!afterSigs.has(allowSig(l))) notes.push(`no longer limited to what ${andList(l.allowing)} allow${l.allowing.length === 1 ? 's' : ''} at ${l.name}`);
  }
  return notes;
}
