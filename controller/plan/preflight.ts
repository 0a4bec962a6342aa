// Migration preflight: which SCPs an account gains and loses when it moves. The SCPs that apply
// to an account are those attached along root -> ... -> parent OU plus those attached to the
// account itself; "before" uses the live attachments, "after" the attachments once the plan ran.
import type { NodeKey } from './match.js';

/** The SCP picture of one state of the organization (before or after the plan). */
export class ScpView {
  private readonly memo = new Map<NodeKey, ReadonlySet<string>>();

  constructor(
    /** Parent of an OU node (undefined for the root). */
    private readonly parentOf: (node: NodeKey) => NodeKey | undefined,
    /** Names of the SCPs attached directly to a node (root, OU or account). */
    private readonly attached: (node: NodeKey) => Iterable<string>,
  ) {}

  /** SCPs in effect on an OU or the root: its own plus all its ancestors'. Memoised, so a whole org costs O(OUs). */
  inherited(node: NodeKey): ReadonlySet<string> {
    const hit = this.memo.get(node);
    if (hit) return hit;
    // Mark before recursing so a malformed cycle ends instead of overflowing the stack.
    this.memo.set(node, new Set());
    const parent = this.parentOf(node);
    const set = new Set<string>(parent === undefined ? [] : this.inherited(parent));
    for (const name of this.attached(node)) set.add(name);
    this.memo.set(node, set);
    return set;
  }

  /** SCPs in effect on an account placed under `parent`. */
  forAccount(account: NodeKey, parent: NodeKey): Set<string> {
    const set = new Set(this.inherited(parent));
    for (const name of this.attached(account)) set.add(name);
    return set;
  }
}

/** Sorted names in `after` but not `before` (gained) and the reverse (lost). */
export function scpDelta(before: ReadonlySet<string>, after: ReadonlySet<string>): { gained: string[]; lost: string[] } {
  return {
    gained: [...after].filter((n) => !before.has(n)).sort(),
    lost: [...before].filter((n) => !after.has(n)).sort(),
  };
}
