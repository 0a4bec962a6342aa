// Runs the Argo CD health checks for real, in a Lua VM (fengari, Lua 5.3 in JS; Argo CD uses
// gopher-lua 5.1 — the script sticks to the common subset), against sample orgplane objects.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { KIND_NAMES } from '../../controller/api/schemas.js';

interface LuaState { readonly __brand: 'lua_State' }
interface Fengari {
  lua: {
    lua_pushnil(L: LuaState): void; lua_pushboolean(L: LuaState, b: boolean): void; lua_pushnumber(L: LuaState, n: number): void;
    lua_pushinteger(L: LuaState, n: number): void; lua_pushstring(L: LuaState, s: Uint8Array): void; lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_setfield(L: LuaState, idx: number, k: Uint8Array): void; lua_rawseti(L: LuaState, idx: number, n: number): void; lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number; lua_getfield(L: LuaState, idx: number, k: Uint8Array): number;
    lua_tojsstring(L: LuaState, idx: number): string | null; lua_type(L: LuaState, idx: number): number; lua_pop(L: LuaState, n: number): void; LUA_OK: number; LUA_TTABLE: number;
  };
  lauxlib: { luaL_newstate(): LuaState; luaL_loadstring(L: LuaState, s: Uint8Array): number };
  lualib: { luaL_openlibs(L: LuaState): void };
  to_luastring(s: string): Uint8Array;
}
const { lua, lauxlib, lualib, to_luastring } = createRequire(import.meta.url)('fengari') as Fengari;

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../manifests/argocd');
const HEALTH_LUA = readFileSync(path.join(dir, 'health.lua'), 'utf8');
const CM = parse(readFileSync(path.join(dir, 'argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };

function push(L: LuaState, v: unknown): void {
  if (v === null || v === undefined) lua.lua_pushnil(L);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (typeof v === 'number') (Number.isInteger(v) ? lua.lua_pushinteger(L, v) : lua.lua_pushnumber(L, v));
  else if (typeof v === 'string') lua.lua_pushstring(L, to_luastring(v));
  else if (Array.isArray(v)) {
    lua.lua_createtable(L, v.length, 0);
    v.forEach((x, i) => { push(L, x); lua.lua_rawseti(L, -2, i + 1); });
  } else {
    lua.lua_createtable(L, 0, 0);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) { push(L, x); lua.lua_setfield(L, -2, to_luastring(k)); }
  }
}

/** Runs a health script the way Argo CD does: `obj` global, the chunk returns {status, message}. */
function health(script: string, obj: unknown): { status: string; message: string } {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK) throw new Error(`lua syntax: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error(`lua error: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) throw new Error('health script did not return a table');
  lua.lua_getfield(L, -1, to_luastring('status'));
  const status = lua.lua_tojsstring(L, -1) ?? '';
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, to_luastring('message'));
  const message = lua.lua_tojsstring(L, -1) ?? '';
  return { status, message };
}

const T = '2026-01-01T00:00:00Z';
const cond = (type: string, status: string, reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: T, observedGeneration: 2 });
const account = (status?: Record<string, unknown>, generation = 2) => ({
  apiVersion: 'orgplane.io/v1alpha1', kind: 'Account',
  metadata: { name: 'dev', namespace: 'securecart', generation },
  spec: { email: 'dev@example.com', parent: 'workloads' },
  ...(status ? { status: { observedGeneration: 2, ...status } } : {}),
});

describe('argocd-cm patch', () => {
  it('has one health check per orgplane kind, each exactly health.lua', () => {
    for (const kind of KIND_NAMES) expect(CM.data[`resource.customizations.health.orgplane.io_${kind}`]).toBe(HEALTH_LUA);
    expect(Object.keys(CM.data).filter((k) => k.includes('orgplane.io_')).sort()).toEqual(KIND_NAMES.map((k) => `resource.customizations.health.orgplane.io_${k}`).sort());
  });

  it('has the Application health check the app-of-apps waves need', () => {
    const app = CM.data['resource.customizations.health.argoproj.io_Application'];
    expect(health(app, { status: { health: { status: 'Healthy' } } })).toEqual({ status: 'Healthy', message: '' });
    expect(health(app, {})).toEqual({ status: 'Progressing', message: '' });
  });
});

describe('orgplane health check', () => {
  const run = (o: unknown) => health(HEALTH_LUA, o);

  it('is Progressing before the controller wrote any status', () => {
    expect(run(account())).toEqual({ status: 'Progressing', message: 'Waiting for the orgplane controller' });
  });

  it('is Progressing while the controller has not seen the latest generation', () => {
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available')] }, 3)))
      .toEqual({ status: 'Progressing', message: 'Waiting for the controller to observe generation 3' });
  });

  it('is Progressing for an Account that is still being created (on purpose: waves wait, not fail)', () => {
    expect(run(account({
      conditions: [cond('Ready', 'False', 'Creating', 'CreateAccount request car-123 IN_PROGRESS'), cond('Synced', 'True', 'ReconcileSuccess'), cond('Progressing', 'True', 'Creating', 'create: Polling')],
      workflow: { kind: 'create', phase: 'Polling' },
    }))).toEqual({ status: 'Progressing', message: 'create: Polling' });
    expect(run(account({ conditions: [cond('Ready', 'False', 'Unavailable', 'not present in AWS yet'), cond('Synced', 'False', 'ChangesPending', 'create account dev')] })))
      .toEqual({ status: 'Progressing', message: 'not present in AWS yet' });
  });

  it('is Healthy when Ready and Synced', () => {
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available', 'Account 123456789012 exists in AWS'), cond('Synced', 'True', 'ReconcileSuccess'), cond('Progressing', 'False', 'Idle')], state: 'ACTIVE' })))
      .toEqual({ status: 'Healthy', message: 'Account 123456789012 exists in AWS' });
  });

  it('is Progressing while a Ready object still has changes to apply (a move)', () => {
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'ChangesPending', 'move dev to shared-services'), cond('Progressing', 'False', 'Idle')] })))
      .toEqual({ status: 'Progressing', message: 'move dev to shared-services' });
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess'), cond('Progressing', 'True', 'Migrating', 'migrate: Moving')] })))
      .toEqual({ status: 'Progressing', message: 'migrate: Moving' });
  });

  it('is Degraded for an invalid spec, a blocked deletion or a failed write', () => {
    expect(run({ kind: 'OrganizationalUnit', metadata: { name: 'x', generation: 1 }, status: { observedGeneration: 1, conditions: [cond('Ready', 'False', 'InvalidSpec', 'the spec is invalid; nothing was created'), cond('Synced', 'False', 'InvalidSpec', 'spec.parent: unknown OrganizationalUnit "nope"')] } }))
      .toEqual({ status: 'Degraded', message: 'InvalidSpec: spec.parent: unknown OrganizationalUnit "nope"' });
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'DeletionCircuitBreaker', 'would delete 40% of managed objects')] })))
      .toEqual({ status: 'Degraded', message: 'DeletionCircuitBreaker: would delete 40% of managed objects' });
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'ReconcileError', 'MoveAccount: AccessDenied')] })))
      .toEqual({ status: 'Degraded', message: 'ReconcileError: MoveAccount: AccessDenied' });
  });

  it('is Degraded for a closed account', () => {
    expect(run(account({ state: 'SUSPENDED', conditions: [cond('Ready', 'False', 'Unavailable', 'account is SUSPENDED'), cond('Synced', 'True', 'ReconcileSuccess')] })))
      .toEqual({ status: 'Degraded', message: 'Account is SUSPENDED' });
  });

  it('is Suspended when paused, observe-only with pending changes, or awaiting migration approval', () => {
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'Paused', 'orgplane.io/paused is set')] })))
      .toEqual({ status: 'Suspended', message: 'orgplane.io/paused is set' });
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'ObserveOnly', '2 change(s) pending')] })))
      .toEqual({ status: 'Suspended', message: '2 change(s) pending' });
    expect(run(account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess'), cond('Progressing', 'True', 'Migrating')], workflow: { kind: 'migrate', phase: 'AwaitingApproval', message: 'move awaits approval (gains DenyLeaveOrg)' } })))
      .toEqual({ status: 'Suspended', message: 'move awaits approval (gains DenyLeaveOrg)' });
  });

  it('throttling retries stay Progressing', () => {
    expect(run(account({ conditions: [cond('Ready', 'False', 'Unavailable', 'not present in AWS yet'), cond('Synced', 'False', 'Throttled', 'CreateAccount: TooManyRequestsException')] })))
      .toEqual({ status: 'Progressing', message: 'not present in AWS yet' });
  });
});

const KUBECTL = existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : undefined;
if (!KUBECTL) console.warn('[argocd] sync wave checks skipped: no kubectl at /usr/bin/kubectl to run kustomize');

describe.skipIf(!KUBECTL)('Argo CD sync waves (kubectl kustomize)', () => {
  type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };
  const render = (dir: string): Doc[] =>
    parseAllDocuments(execFileSync(KUBECTL!, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path.join(dir)], { encoding: 'utf8' }))
      .map((d) => d.toJS() as Doc);
  const wave = (d: Doc) => Number(d.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0');

  it('puts the CRDs in an earlier wave than the controller and every orgplane resource', () => {
    const install = render(path.resolve(dir, '../install'));
    const crds = install.filter((d) => d.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'accounts.orgplane.io', 'approvals.orgplane.io', 'crossaccountroles.orgplane.io', 'organizationalunits.orgplane.io',
      'organizations.orgplane.io', 'permissionsets.orgplane.io', 'servicecontrolpolicies.orgplane.io',
    ]);
    const cart = render(path.join(dir, 'securecart'));
    expect(cart.length).toBeGreaterThan(10);
    const firstResourceWave = Math.min(...cart.map(wave));
    for (const c of crds) expect(wave(c)).toBeLessThan(Math.min(firstResourceWave, wave(install.find((d) => d.kind === 'Deployment')!)));
  });

  it('orders the resources by reference: OUs, then Accounts, then SCPs and the Organization', () => {
    const cart = render(path.join(dir, 'securecart'));
    const waves = new Map<string, Set<number>>();
    for (const d of cart) {
      expect(d.metadata.namespace).toBe('orgplane');
      expect(d.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
      waves.set(d.kind, (waves.get(d.kind) ?? new Set()).add(wave(d)));
    }
    const only = (k: string) => { const w = [...(waves.get(k) ?? [])]; expect(w).toHaveLength(1); return w[0]; };
    expect(only('OrganizationalUnit')).toBeLessThan(only('Account'));
    expect(only('Account')).toBeLessThan(only('ServiceControlPolicy'));
    expect(only('Account')).toBeLessThan(only('Organization'));
    expect(only('ServiceControlPolicy')).toBeLessThan(only('PermissionSet'));
    expect(only('ServiceControlPolicy')).toBeLessThan(only('CrossAccountRole'));
  });

  it('covers every file of the example', () => {
    const files = readdirSync(path.resolve(dir, '../examples/securecart')).filter((f) => f.endsWith('.yaml')).sort();
    const listed = (parse(readFileSync(path.join(dir, 'securecart/kustomization.yaml'), 'utf8')) as { resources: string[] }).resources.map((r) => path.basename(r)).sort();
    expect(listed).toEqual(files);
  });

  it('installs the controller before the example (app of apps)', () => {
    const apps = render(path.join(dir, 'apps'));
    const byName = new Map(apps.map((a) => [a.metadata.name, wave(a)]));
    expect(byName.get('orgplane-install')).toBeLessThan(byName.get('orgplane-securecart')!);
  });
});
