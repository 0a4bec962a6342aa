// Tags of OUs, accounts and SCPs: exactly the spec tags plus orgplane's ownership tags. Other
// tags are reported as drift and left alone; a first write of the ownership tags is an adoption.
import { isPolicyKind, type PolicyKindName } from '../../model/policy-types.js';
import type { Tags } from '../../model/actual.js';
import { RESERVED_TAG_PREFIX, TAG_DELETION_POLICY, TAG_OWNER } from '../../model/ownership.js';
import type { PlanContext } from '../context.js';

export interface TagInput {
  key: string;
  target: string;
  label: string;
  spec: Tags;
  ownWanted: Tags;
  /** undefined: not read (accounts, where reading costs a call per account): nothing is planned. */
  have: Tags | undefined;
  adoptedById?: boolean;
}

export function planTags(ctx: PlanContext, t: TagInput): void {
  const have = t.have;
  if (have === undefined) return;
  // An object adopted by AWS id with deletionPolicy Retain needs no ownership record: losing
  // its manifest only means orgplane stops managing it. So `orgplane import` re-plans to zero.
  const own = t.adoptedById && have[TAG_OWNER] === undefined && t.ownWanted[TAG_DELETION_POLICY] === 'Retain' ? {} : t.ownWanted;
  const want: Tags = { ...t.spec, ...own };
  const set: Tags = {};
  for (const k of Object.keys(want).sort()) {
    if (have[k] === want[k]) continue;
    set[k] = want[k];
    if (!k.startsWith(RESERVED_TAG_PREFIX))
      ctx.noteDrift(t.key, have[k] === undefined ? `tag ${k} is missing` : `tag ${k} is "${have[k]}", manifest says "${want[k]}"`);
  }
  const remove = Object.keys(have)
    .filter((k) => k.startsWith(RESERVED_TAG_PREFIX) && !(k in want))
    .sort();
  for (const k of Object.keys(have).sort()) {
    if (!k.startsWith(RESERVED_TAG_PREFIX) && !(k in want)) ctx.noteDrift(t.key, `tag ${k}=${have[k]} is not in the manifest (left as is)`);
  }
  const extra = Object.keys(set)
    .filter((k) => !k.startsWith(RESERVED_TAG_PREFIX))
    .map((k) => `${k}=${set[k]}`);
  if (Object.keys(set).length > 0 && have[TAG_OWNER] === undefined && own[TAG_OWNER] !== undefined) {
    // Taking over an object orgplane did not create (the manifest opted in: match.ts refuses
    // otherwise) is an op of its own, so the plan says "adopt", not "tag".
    ctx.drafts.push({
      body: {
        op: 'AdoptResource',
        resource: t.key,
        target: { id: t.target },
        objectKind: objectKindOf(t.key),
        name: t.label,
        tags: set,
        summary: `adopt ${t.label}: write orgplane's ownership tags${extra.length ? ` and ${extra.join(', ')}` : ''}`,
      },
    });
  } else if (Object.keys(set).length > 0) {
    const adopting = have[TAG_OWNER] !== own[TAG_OWNER];
    const summary = adopting
      ? `adopt ${t.label}: add ownership tags${extra.length ? ` and ${extra.join(', ')}` : ''}`
      : `tag ${t.label}: ${Object.keys(set)
          .map((k) => `${k}=${set[k]}`)
          .join(', ')}`;
    ctx.drafts.push({ body: { op: 'TagResource', resource: t.key, target: { id: t.target }, tags: set, summary } });
  }
  if (remove.length > 0)
    ctx.drafts.push({
      body: { op: 'UntagResource', resource: t.key, target: { id: t.target }, tagKeys: remove, summary: `untag ${t.label}: ${remove.join(', ')}` },
    });
}

function objectKindOf(key: string): 'OrganizationalUnit' | 'Account' | PolicyKindName {
  if (key.startsWith('Account/')) return 'Account';
  const kind = key.split('/')[0];
  if (isPolicyKind(kind)) return kind;
  return 'OrganizationalUnit';
}
