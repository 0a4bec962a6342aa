// Each per-kind planner on plain data, through the one PlanContext they share.
import { describe, expect, it } from 'vitest';
import { createContext } from '../../controller/plan/context.js';
import { planOrgSettings } from '../../controller/plan/kinds/org-settings.js';
import { planTags } from '../../controller/plan/kinds/tags.js';
import { planOUs } from '../../controller/plan/kinds/ous.js';
import { planAccounts } from '../../controller/plan/kinds/accounts.js';
import { planPolicies } from '../../controller/plan/kinds/policies.js';
import { planOrgDeletions } from '../../controller/plan/kinds/deletions.js';
import { preflightMoves } from '../../controller/plan/kinds/moves.js';
import { createAccessContext } from '../../controller/plan/access-context.js';
import { planRemovedRoles } from '../../controller/plan/kinds/roles.js';
import { wantedAssignments } from '../../controller/plan/kinds/assignments.js';
import { effectiveGuards } from '../../controller/plan/guards.js';
import { holdOrgWide, opFingerprint, approvalCovers } from '../../controller/plan/org-wide.js';
import { accessDeletionUnits } from '../../controller/plan/access-deletions.js';
import type { Op } from '../../controller/plan/operations.js';
import {
  ALLOW_ALL,
  DENY_ROOT,
  MGMT_ID,
  NS,
  ROOT_ID,
  addAccount,
  addOU,
  addPolicy,
  baseActual,
  dAccount,
  dOU,
  dPolicy,
  desiredOrg,
  own,
  toOU,
} from './plan-fixtures.js';

const bodies = (ctx: ReturnType<typeof createContext>) => ctx.drafts.map((d) => `${d.body.op} ${d.body.summary}`);

describe('per-kind planners', () => {
  it('org settings: enables and disables policy types and trusted access as listed', () => {
    const a = baseActual();
    a.trustedServices = ['sso.amazonaws.com'];
    const d = desiredOrg();
    d.organization = { key: 'Organization/org', featureSet: 'ALL', enabledPolicyTypes: ['TAG_POLICY'], trustedServices: ['guardduty.amazonaws.com'] };
    const ctx = createContext(d, a, { namespace: NS });
    planOrgSettings(ctx);
    expect(bodies(ctx)).toEqual([
      'EnablePolicyType enable policy type TAG_POLICY on the root',
      'DisablePolicyType disable policy type SERVICE_CONTROL_POLICY on the root',
      'EnableServiceAccess enable trusted access for guardduty.amazonaws.com',
      'DisableServiceAccess disable trusted access for sso.amazonaws.com',
    ]);
  });

  it('tags: missing spec tags are set, foreign tags are drift only, a first ownership write is an adoption', () => {
    const ctx = createContext(desiredOrg(), baseActual(), { namespace: NS });
    planTags(ctx, {
      key: 'OrganizationalUnit/a',
      target: 'ou-ab12-aaaaaaaa',
      label: 'OU A',
      spec: { team: 'x' },
      ownWanted: own('OrganizationalUnit/a'),
      have: { other: '1' },
    });
    expect(bodies(ctx)).toEqual(["AdoptResource adopt OU A: write orgplane's ownership tags and team=x"]);
    expect(ctx.drift.get('OrganizationalUnit/a')).toEqual(['tag team is missing', 'tag other=1 is not in the manifest (left as is)']);
    const ctx2 = createContext(desiredOrg(), baseActual(), { namespace: NS });
    planTags(ctx2, {
      key: 'OrganizationalUnit/a',
      target: 'ou-ab12-aaaaaaaa',
      label: 'OU A',
      spec: {},
      ownWanted: own('OrganizationalUnit/a'),
      have: undefined,
    });
    expect(ctx2.drafts).toEqual([]);
  });

  it('OUs and accounts: create under the matched parent; an account in the wrong OU is moved', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-wwwwwwww', 'W', ROOT_ID, own('OrganizationalUnit/w'));
    addAccount(a, '222222222222', 'App', 'app@example.com', ROOT_ID, { tags: own('Account/app') });
    const ctx = createContext(
      desiredOrg({
        ous: [dOU('w', 'root', { name: 'W' }), dOU('x', 'w', { name: 'X' })],
        accounts: [dAccount('app', 'app@example.com', 'w', { name: 'App' })],
      }),
      a,
      { namespace: NS },
    );
    planOUs(ctx);
    planAccounts(ctx);
    expect(bodies(ctx)).toEqual([
      'CreateOU create OU X under W (ou-ab12-wwwwwwww)',
      'MoveAccount move account App (222222222222) from Root to W (ou-ab12-wwwwwwww)',
    ]);
    preflightMoves(ctx);
    expect(ctx.movers[0].body.op === 'MoveAccount' && ctx.movers[0].body.gained).toEqual([]);
  });

  it('policies: update the document with before/after, attach to targets, never to the management account', () => {
    const a = baseActual();
    addOU(a, 'ou-ab12-wwwwwwww', 'W', ROOT_ID, own('OrganizationalUnit/w'));
    addPolicy(a, 'p-guard', 'guard', ALLOW_ALL, [], own('ServiceControlPolicy/guard'));
    const ctx = createContext(
      desiredOrg({ ous: [dOU('w', 'root', { name: 'W' })], policies: [dPolicy('guard', DENY_ROOT, [toOU('w')], { name: 'guard' })] }),
      a,
      { namespace: NS },
    );
    planPolicies(ctx);
    expect(bodies(ctx)).toEqual(['UpdatePolicy update SCP guard (p-guard): content', 'AttachPolicy attach SCP guard to W (ou-ab12-wwwwwwww)']);
  });

  it('deletions: an OU with deletionPolicy Delete whose manifest is gone is deleted when the breaker allows it', () => {
    const a = baseActual();
    for (const n of ['a', 'b', 'c', 'd', 'e']) addOU(a, `ou-ab12-${n.repeat(8)}`, n.toUpperCase(), ROOT_ID, own(`OrganizationalUnit/${n}`, 'Delete'));
    const keep = ['b', 'c', 'd', 'e'].map((n) => dOU(n, 'root', { name: n.toUpperCase(), deletionPolicy: 'Delete' }));
    const ctx = createContext(desiredOrg({ ous: keep }), a, { namespace: NS });
    expect(planOrgDeletions(ctx).deletions.map((d) => d.body.op)).toEqual(['DeleteOU']);
    // The same deletion with 4 access deletions counted in: 5 of 9 is over 25%.
    const ctx2 = createContext(desiredOrg({ ous: keep }), a, {
      namespace: NS,
      accessDeletions: { units: [1, 2, 3, 4].map((i) => ({ resource: `CrossAccountRole/r${i}`, label: `role ${i}` })), managed: 4 },
    });
    expect(planOrgDeletions(ctx2).deletions).toEqual([]);
    expect(
      ctx2.blocked
        .filter((b) => b.reason === 'DeletionCircuitBreaker')
        .map((b) => b.resource)
        .sort(),
    ).toEqual(['CrossAccountRole/r1', 'CrossAccountRole/r2', 'CrossAccountRole/r3', 'CrossAccountRole/r4', 'OrganizationalUnit/a']);
  });
});

describe('access planners', () => {
  it('a role copy tagged as ours in an account the role no longer covers is deleted with deletionPolicy Delete', () => {
    const a = baseActual();
    addAccount(a, '222222222222', 'Gone', 'gone@example.com', ROOT_ID);
    a.access = {
      permissionSets: {},
      principals: {},
      roles: {
        '222222222222/R': {
          accountId: '222222222222',
          roleName: 'R',
          path: '/',
          arn: '',
          description: '',
          trustPolicy: '{}',
          managedPolicyArns: [],
          inlinePolicies: {},
          maxSessionDuration: 3600,
          tags: own('CrossAccountRole/r', 'Delete'),
        },
      },
      roleReadErrors: {},
    };
    const ctx = createAccessContext(desiredOrg(), a, [], {});
    planRemovedRoles(ctx, new Map(), new Set());
    expect(ctx.plan.ops.map((o) => o.summary)).toEqual(['delete role R in Gone (222222222222)']);
    // Protected (invalid manifest): kept.
    const ctx2 = createAccessContext(desiredOrg(), a, [], { protectedKeys: new Set(['CrossAccountRole/r']) });
    planRemovedRoles(ctx2, new Map(), new Set());
    expect(ctx2.plan.ops).toEqual([]);
  });

  it('assignments: an OU target covers every account but the management account', () => {
    const a = baseActual();
    addAccount(a, '222222222222', 'App', 'app@example.com', ROOT_ID);
    a.access = { instanceArn: 'arn:i', permissionSets: {}, principals: { 'GROUP:Devs': 'g-1' }, roles: {}, roleReadErrors: {} };
    const d = desiredOrg();
    const ctx = createAccessContext(d, a, [], {});
    const wants = wantedAssignments(ctx, {
      key: 'PermissionSet/p',
      ref: 'p',
      name: 'p',
      description: '',
      sessionDuration: 'PT1H',
      relayState: '',
      managedPolicies: [],
      customerManagedPolicies: [],
      inlinePolicy: '',
      assignments: [{ principal: { type: 'GROUP', name: 'Devs' }, accounts: [], organizationalUnits: ['root'], includeDescendants: true }],
      tags: {},
      paused: false,
      deletionPolicy: 'Retain',
    });
    expect([...(wants?.keys() ?? [])]).toEqual(['222222222222|GROUP:g-1']);
    expect(MGMT_ID).not.toBe('222222222222');
  });
});

describe('guards, org-wide holds, access deletion units', () => {
  it('effectiveGuards: manifest lowers, never raises', () => {
    expect(effectiveGuards({ maxDeleteFraction: 0.5 }, { maxDeleteFraction: 0.1 }).guards.maxDeleteFraction).toBe(0.1);
    const raised = effectiveGuards(undefined, { maxDeleteFraction: 0.9, maxAccountClosuresPerRun: 3 }, 'Organization/o');
    expect(raised.guards).toEqual({ maxDeleteFraction: 0.25, maxAccountClosuresPerRun: 1 });
    expect(raised.warnings).toHaveLength(2);
  });

  it('holdOrgWide: a refused op and its dependents are blocked; an approval naming its fingerprint lets it through', () => {
    const disable: Op = {
      id: 'op-1',
      deps: [],
      resource: 'Organization/o',
      summary: 'disable policy type SERVICE_CONTROL_POLICY on the root',
      op: 'DisablePolicyType',
      rootId: ROOT_ID,
      policyType: 'SERVICE_CONTROL_POLICY',
      risk: 'org-wide',
    };
    const after: Op = {
      id: 'op-2',
      deps: ['op-1'],
      resource: 'Organization/o',
      summary: 'enable trusted access for x',
      op: 'EnableServiceAccess',
      servicePrincipal: 'x',
      risk: 'routine',
    };
    const free: Op = {
      id: 'op-3',
      deps: [],
      resource: 'OrganizationalUnit/a',
      summary: 'rename',
      op: 'RenameOU',
      ouId: 'ou-1',
      from: 'a',
      to: 'b',
      risk: 'routine',
    };
    const held = holdOrgWide([disable, after, free], () => false);
    expect(held.ops.map((o) => o.id)).toEqual(['op-3']);
    expect(held.blocked.map((b) => b.reason)).toEqual(['OrgWideNotAllowed', 'OrgWideNotAllowed']);
    expect(opFingerprint(disable)).toBe('DisablePolicyType:Organization/o:SERVICE_CONTROL_POLICY');
    expect(approvalCovers('DisablePolicyType:Organization/o:SERVICE_CONTROL_POLICY', disable)).toBe(true);
    expect(approvalCovers('DisablePolicyType:Organization/o:TAG_POLICY', disable)).toBe(false);
    expect(holdOrgWide([disable, after, free], (op) => approvalCovers('true', op)).ops).toHaveLength(3);
  });

  it('accessDeletionUnits: a deleted permission set counts once with its assignments', () => {
    const ops: Op[] = [
      {
        id: 'a1',
        deps: [],
        resource: 'PermissionSet/p',
        summary: '',
        op: 'DeleteAccountAssignment',
        instanceArn: 'i',
        permissionSetArn: 'ps',
        accountId: '2',
        principalType: 'GROUP',
        principalId: 'g',
        accountName: 'x',
        principalName: 'g',
      },
      { id: 'a2', deps: ['a1'], resource: 'PermissionSet/p', summary: '', op: 'DeletePermissionSet', instanceArn: 'i', permissionSetArn: 'ps', name: 'P' },
      {
        id: 'a3',
        deps: [],
        resource: 'CrossAccountRole/r',
        summary: '',
        op: 'DeleteRole',
        accountId: '2',
        accountName: 'x',
        accessRoleName: 'A',
        roleName: 'R',
      },
    ];
    expect(accessDeletionUnits(ops).map((u) => u.label)).toEqual(['permission set P', 'role R in x (2)']);
  });
});

describe('orderPlanOps: one dependency order over Organizations and access ops', () => {
  it('an access deletion waits for the non-deletion ops it is told to; ids are kept', async () => {
    const { orderPlanOps } = await import('../../controller/plan/order.js');
    const del: Op = {
      id: 'op-a1',
      deps: [],
      resource: 'CrossAccountRole/r',
      summary: 'delete role',
      op: 'DeleteRole',
      accountId: '2',
      accountName: 'x',
      accessRoleName: 'A',
      roleName: 'R',
    };
    const ou: Op = {
      id: 'op-1',
      deps: [],
      resource: 'OrganizationalUnit/a',
      summary: 'create OU',
      op: 'CreateOU',
      name: 'A',
      parent: { id: ROOT_ID },
      tags: {},
    };
    const put: Op = {
      id: 'op-a2',
      deps: ['op-1'],
      resource: 'CrossAccountRole/s',
      summary: 'put role',
      op: 'PutRole',
      account: { id: '3' },
      accountName: 'y',
      accessRoleName: 'A',
      role: {} as never,
      create: true,
      changes: [],
    };
    const ordered = orderPlanOps(
      [del, ou, put],
      (o) => o.op === 'DeleteRole',
      () => true,
    );
    expect(ordered.map((o) => o.id)).toEqual(['op-1', 'op-a2', 'op-a1']);
    expect(ordered[2].deps).toEqual(['op-a2']);
    // Waiting only on Organizations ops: an unrelated role does not hold the deletion back.
    const structural = orderPlanOps(
      [del, ou, put],
      (o) => o.op === 'DeleteRole',
      (_d, o) => o.op === 'CreateOU',
    );
    expect(structural.find((o) => o.id === 'op-a1')?.deps).toEqual(['op-1']);
  });
});
