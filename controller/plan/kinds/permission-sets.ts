// Identity Center permission sets: create, update (and re-provision), provision outdated copies,
// and delete the ones whose manifests are gone with deletionPolicy Delete (assignments first).
import type { ActualPermissionSet } from '../../model/actual.js';
import type { DesiredPermissionSet } from '../../model/desired.js';
import { MANAGED_BY_VALUE, TAG_DELETION_POLICY, TAG_MANAGED_BY, TAG_OWNER, ownershipTags } from '../../model/ownership.js';
import type { AccessOp, IdRef } from '../operations.js';
import { parsedDoc } from '../../model/policy-json.js';
import { permissionSetBody, permissionSetChanges, tagsDiffer } from '../access-forms.js';
import type { AccessContext } from '../access-context.js';
import { planAssignments, wantedAssignments } from './assignments.js';

type Add<K extends AccessOp['op']> = Extract<AccessOp, { op: K }>;

export function planPermissionSets(ctx: AccessContext): void {
  const access = ctx.access;
  const list = Object.values(ctx.desired.permissionSets).sort((a, b) => a.ref.localeCompare(b.ref));
  if (list.length && !access?.instanceArn) {
    for (const p of list) {
      ctx.plan.blocked.push({
        resource: p.key,
        reason: 'DependencyInvalid',
        message: access
          ? 'no IAM Identity Center instance found (ListInstances returned none); enable Identity Center in the management account'
          : 'Identity Center state was not read',
      });
    }
    return;
  }
  for (const p of list) planPermissionSet(ctx, p);
  planRemovedPermissionSets(ctx, new Set(list.map((p) => p.name)));
}

/** One desired permission set: its attributes, then its assignments. */
export function planPermissionSet(ctx: AccessContext, p: DesiredPermissionSet): void {
  const access = ctx.access;
  if (!access?.instanceArn) return;
  if (p.paused) {
    ctx.plan.blocked.push({ resource: p.key, reason: 'Paused', message: 'orgplane.io/paused is set: changes are planned but not applied' });
    return;
  }
  const a = access.permissionSets[p.name];
  // Explicit adoption: a permission set that exists without orgplane's ownership tags is left
  // alone unless the manifest opts in. An endpoint that cannot report permission set tags
  // (moto) gives no answer, and then the name is all there is to go by.
  if (a && a.tags !== undefined && a.tags[TAG_OWNER] === undefined && !p.adopt) {
    ctx.plan.blocked.push({
      resource: p.key,
      reason: 'AdoptionNeedsOptIn',
      message: `adopt (needs opt-in): permission set ${p.name} (${a.arn}) exists without orgplane's ownership tags; orgplane neither changes nor deletes it until the manifest has the annotation orgplane.io/adopt: "true"`,
    });
    return;
  }
  const wants = wantedAssignments(ctx, p);
  if (wants === undefined) return; // an assignment set with a hole would delete what the hole covers
  const { psRef, psDeps } = a ? updatePermissionSet(ctx, p, a) : createPermissionSet(ctx, p);
  planAssignments(ctx, p, a, wants, psRef, psDeps);
}

function createPermissionSet(ctx: AccessContext, p: DesiredPermissionSet): { psRef: IdRef; psDeps: string[] } {
  const instanceArn = ctx.access?.instanceArn ?? '';
  const create = ctx.add<Add<'CreatePermissionSet'>>({
    op: 'CreatePermissionSet',
    deps: [],
    resource: p.key,
    instanceArn,
    name: p.name,
    spec: permissionSetBody(p),
    tags: { ...p.tags, ...ownershipTags(ctx.ns, p.key, p.deletionPolicy) },
    summary: `create permission set ${p.name}`,
  });
  return { psRef: { ref: p.key }, psDeps: [create.id] };
}

function updatePermissionSet(ctx: AccessContext, p: DesiredPermissionSet, a: ActualPermissionSet): { psRef: IdRef; psDeps: string[] } {
  const instanceArn = ctx.access?.instanceArn ?? '';
  const psRef: IdRef = { id: a.arn };
  const body = permissionSetBody(p);
  const tags = { ...p.tags, ...ownershipTags(ctx.ns, p.key, p.deletionPolicy) };
  const changes = permissionSetChanges(body, a, ctx.access?.unsupported ?? []);
  const tagChange = tagsDiffer(tags, a.tags);
  if (changes.length || tagChange) {
    const all = tagChange ? [...changes, 'tags'] : changes;
    const upd = ctx.add<Add<'UpdatePermissionSet'>>({
      op: 'UpdatePermissionSet',
      deps: [],
      resource: p.key,
      instanceArn,
      permissionSetArn: a.arn,
      spec: body,
      changes: all,
      tags: tagChange ? tags : undefined,
      ...(changes.includes('inlinePolicy') ? { change: { inlinePolicy: { before: parsedDoc(a.inlinePolicy), after: parsedDoc(body.inlinePolicy) } } } : {}),
      summary: `update permission set ${p.name} (${all.join(', ')})`,
    });
    for (const c of all) ctx.note(p.key, `${c} differs from the manifest`);
    // An account assignment provisions the set to its account, so a set with assignments is
    // provisioned even where ListAccountsForProvisionedPermissionSet does not say so (moto).
    const provisioned = new Set([...a.provisionedAccounts, ...Object.keys(a.assignments).filter((id) => a.assignments[id].length)]);
    if (changes.length && provisioned.size) {
      ctx.add<Add<'ProvisionPermissionSet'>>({
        op: 'ProvisionPermissionSet',
        deps: [upd.id],
        resource: p.key,
        instanceArn,
        permissionSet: psRef,
        accounts: [],
        allProvisioned: true,
        name: p.name,
        summary: `re-provision permission set ${p.name} to all ${provisioned.size} provisioned account(s)`,
      });
    }
    return { psRef, psDeps: [upd.id] };
  }
  if (a.outdatedAccounts.length) {
    ctx.note(p.key, `provisioned copy out of date in ${a.outdatedAccounts.join(', ')}`);
    ctx.add<Add<'ProvisionPermissionSet'>>({
      op: 'ProvisionPermissionSet',
      deps: [],
      resource: p.key,
      instanceArn,
      permissionSet: psRef,
      accounts: a.outdatedAccounts.map((id) => ({ id })),
      name: p.name,
      summary: `provision permission set ${p.name} to ${a.outdatedAccounts.length} outdated account(s)`,
    });
  }
  return { psRef, psDeps: [] };
}

/** Permission sets whose manifests are gone (being deleted, or found by our tags): deleted with deletionPolicy Delete. */
export function planRemovedPermissionSets(ctx: AccessContext, desiredAwsNames: ReadonlySet<string>): void {
  const access = ctx.access;
  const instanceArn = access?.instanceArn ?? '';
  const removed = new Map<string, { name: string; deletionPolicy: string }>();
  for (const r of ctx.opts.removed ?? []) if (r.kind === 'PermissionSet') removed.set(r.awsName, { name: r.name, deletionPolicy: r.deletionPolicy });
  const prefix = `${ctx.ns}/PermissionSet/`;
  for (const a of Object.values(access?.permissionSets ?? {})) {
    const owner = a.tags?.[TAG_OWNER] ?? '';
    if (a.tags?.[TAG_MANAGED_BY] === MANAGED_BY_VALUE && owner.startsWith(prefix) && !removed.has(a.name)) {
      removed.set(a.name, { name: owner.slice(prefix.length), deletionPolicy: a.tags[TAG_DELETION_POLICY] ?? 'Retain' });
    }
  }
  for (const [awsName, r] of [...removed].sort()) {
    const key = `PermissionSet/${r.name}`;
    if (desiredAwsNames.has(awsName) || ctx.desired.permissionSets[r.name] || ctx.opts.protectedKeys?.has(key)) continue;
    const a = access?.permissionSets[awsName];
    if (!a || r.deletionPolicy !== 'Delete') continue; // Retain: left in AWS as it is
    const deps: string[] = [];
    for (const [accountId, keys] of Object.entries(a.assignments).sort()) {
      for (const k of keys) {
        const [type, principalId] = k.split(':') as ['GROUP' | 'USER', string];
        const accountName = ctx.actual.accounts[accountId]?.name ?? accountId;
        deps.push(
          ctx.add<Add<'DeleteAccountAssignment'>>({
            op: 'DeleteAccountAssignment',
            deps: [],
            resource: key,
            instanceArn,
            permissionSetArn: a.arn,
            accountId,
            principalType: type,
            principalId,
            accountName,
            principalName: principalId,
            summary: `remove ${awsName} from ${type.toLowerCase()} ${principalId} in ${accountName} (${accountId}) before deleting it`,
          }).id,
        );
      }
    }
    ctx.add<Add<'DeletePermissionSet'>>({
      op: 'DeletePermissionSet',
      deps,
      resource: key,
      instanceArn,
      permissionSetArn: a.arn,
      name: awsName,
      summary: `delete permission set ${awsName} (deletionPolicy: Delete)`,
    });
  }
}
