// Organization settings: enabled policy types, trusted service access, delegated administrators.
// Only the lists a manifest sets are managed; what AWS has beyond them is drift and is undone.
import type { DesiredOrganization } from '../../model/desired.js';
import { nodeRef } from '../match.js';
import { targetName } from '../safety.js';
import type { PlanContext } from '../context.js';

export function planOrgSettings(ctx: PlanContext): void {
  const org = ctx.desired.organization;
  if (!org) return;
  if (org.featureSet !== ctx.actual.featureSet) {
    ctx.noteDrift(org.key, `feature set is ${ctx.actual.featureSet}, manifest says ${org.featureSet} (not changed by orgplane)`);
  }
  planPolicyTypes(ctx, org);
  planTrustedServices(ctx, org);
  planDelegatedAdmins(ctx, org);
}

export function planPolicyTypes(ctx: PlanContext, org: DesiredOrganization): void {
  if (!org.enabledPolicyTypes) return;
  const { actual, drafts } = ctx;
  const res = org.key;
  const have = new Set(actual.root.enabledPolicyTypes);
  const want = new Set(org.enabledPolicyTypes);
  for (const t of [...want].sort()) {
    if (!have.has(t))
      drafts.push({ body: { op: 'EnablePolicyType', resource: res, rootId: actual.root.id, policyType: t, summary: `enable policy type ${t} on the root` } });
  }
  for (const t of [...have].sort()) {
    if (want.has(t)) continue;
    ctx.noteDrift(res, `policy type ${t} is enabled but not in spec.enabledPolicyTypes`);
    drafts.push({ body: { op: 'DisablePolicyType', resource: res, rootId: actual.root.id, policyType: t, summary: `disable policy type ${t} on the root` } });
  }
}

export function planTrustedServices(ctx: PlanContext, org: DesiredOrganization): void {
  if (!org.trustedServices) return;
  const res = org.key;
  const have = new Set(ctx.actual.trustedServices);
  const want = new Set(org.trustedServices);
  for (const s of [...want].sort()) {
    if (!have.has(s)) ctx.drafts.push({ body: { op: 'EnableServiceAccess', resource: res, servicePrincipal: s, summary: `enable trusted access for ${s}` } });
  }
  for (const s of [...have].sort()) {
    if (want.has(s)) continue;
    ctx.noteDrift(res, `trusted access for ${s} is enabled but not in spec.trustedServices`);
    ctx.drafts.push({ body: { op: 'DisableServiceAccess', resource: res, servicePrincipal: s, summary: `disable trusted access for ${s}` } });
  }
}

export function planDelegatedAdmins(ctx: PlanContext, org: DesiredOrganization): void {
  if (!org.delegatedAdministrators) return;
  const { actual, m } = ctx;
  const res = org.key;
  const have = new Set(actual.delegatedAdmins.map((d) => `${d.accountId}|${d.servicePrincipal}`));
  const want = new Set<string>();
  for (const da of org.delegatedAdministrators) {
    const am = m.accounts.get(da.account);
    if (!am) {
      ctx.warnings.push(`${res}: delegated administrator Account/${da.account} is not planned; ${da.servicePrincipal} left as is`);
      // Keep whatever AWS has for that service rather than deregistering it.
      for (const d of actual.delegatedAdmins) if (d.servicePrincipal === da.servicePrincipal) want.add(`${d.accountId}|${d.servicePrincipal}`);
      continue;
    }
    if (am.node === ctx.mgmt) {
      ctx.blocked.push({
        resource: res,
        reason: 'ManagementAccount',
        message: `Account/${da.account} is the management account, which cannot be a delegated administrator (${da.servicePrincipal})`,
      });
      continue;
    }
    want.add(`${am.node}|${da.servicePrincipal}`);
    if (!have.has(`${am.node}|${da.servicePrincipal}`)) {
      ctx.drafts.push({
        body: {
          op: 'RegisterDelegatedAdmin',
          resource: res,
          account: nodeRef(am.node),
          servicePrincipal: da.servicePrincipal,
          summary: `register ${ctx.nodeName(am.node)} as delegated administrator for ${da.servicePrincipal}`,
        },
      });
    }
  }
  for (const d of actual.delegatedAdmins) {
    if (want.has(`${d.accountId}|${d.servicePrincipal}`)) continue;
    ctx.noteDrift(res, `${targetName(actual, d.accountId)} is delegated administrator for ${d.servicePrincipal}, not in spec.delegatedAdministrators`);
    ctx.drafts.push({
      body: {
        op: 'DeregisterDelegatedAdmin',
        resource: res,
        accountId: d.accountId,
        servicePrincipal: d.servicePrincipal,
        summary: `deregister ${targetName(actual, d.accountId)} as delegated administrator for ${d.servicePrincipal}`,
      },
    });
  }
}
