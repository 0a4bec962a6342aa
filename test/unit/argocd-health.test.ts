// Runs the Argo CD health checks for real, in a Lua VM (fengari, Lua 5.3 in JS; Argo CD uses
// gopher-lua 5.1 — the script sticks to the common subset), against sample orgplane objects.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { KIND_NAMES } from '../../controller/api/schemas.js';

interface LuaState {
  readonly __brand: 'lua_State';
}
interface Fengari {
  lua: {
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_setfield(L: LuaState, idx: number, k: Uint8Array): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number;
    lua_getfield(L: LuaState, idx: number, k: Uint8Array): number;
    lua_tojsstring(L: LuaState, idx: number): string | null;
    lua_type(L: LuaState, idx: number): number;
    lua_pop(L: LuaState, n: number): void;
    LUA_OK: number;
    LUA_TTABLE: number;
  };
  lauxlib: { luaL_newstate(): LuaState; luaL_loadstring(L: LuaState, s: Uint8Array): number };
  lualib: { luaL_openlibs(L: LuaState): void };
  to_luastring(s: string): Uint8Array;
}
const execFileP = promisify(execFile);
const { lua, lauxlib, lualib, to_luastring } = createRequire(import.meta.url)('fengari') as Fengari;

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../manifests/argocd');
const HEALTH_LUA = readFileSync(path.join(dir, 'health.lua'), 'utf8');
const CM = parse(readFileSync(path.join(dir, 'argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };

function push(L: LuaState, v: unknown): void {
  if (v === null || v === undefined) lua.lua_pushnil(L);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else if (typeof v === 'number') Number.isInteger(v) ? lua.lua_pushinteger(L, v) : lua.lua_pushnumber(L, v);
  else if (typeof v === 'string') lua.lua_pushstring(L, to_luastring(v));
  else if (Array.isArray(v)) {
    lua.lua_createtable(L, v.length, 0);
    v.forEach((x, i) => {
      push(L, x);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    lua.lua_createtable(L, 0, 0);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      push(L, x);
      lua.lua_setfield(L, -2, to_luastring(k));
    }
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
  apiVersion: 'orgplane.io/v1alpha1',
  kind: 'Account',
  metadata: { name: 'dev', namespace: 'securecart', generation },
  spec: { email: 'dev@example.com', parent: 'workloads' },
  ...(status ? { status: { observedGeneration: 2, ...status } } : {}),
});

/** The child Application health check (app of apps): Healthy only when Healthy, Synced and idle. */
const application = (status?: Record<string, unknown>) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'orgplane-securecart', namespace: 'argocd' },
  spec: {},
  ...(status ? { status } : {}),
});
const APP_CASES: { name: string; obj: unknown; want: { status: string; message: string } }[] = [
  { name: 'no status yet', obj: application(), want: { status: 'Progressing', message: '' } },
  { name: 'Healthy and Synced', obj: application({ health: { status: 'Healthy' }, sync: { status: 'Synced' } }), want: { status: 'Healthy', message: '' } },
  {
    name: 'Healthy before its first sync (just created)',
    obj: application({ health: { status: 'Healthy' }, sync: { status: 'OutOfSync' } }),
    want: { status: 'Progressing', message: 'Sync status is OutOfSync' },
  },
  {
    name: 'Healthy while a sync runs',
    obj: application({
      health: { status: 'Healthy' },
      sync: { status: 'Synced' },
      operationState: { phase: 'Running', message: 'waiting for healthy state of orgplane.io/Account/dev' },
    }),
    want: { status: 'Progressing', message: 'waiting for healthy state of orgplane.io/Account/dev' },
  },
  {
    name: 'Missing while its sync creates the resources wave by wave',
    obj: application({
      health: { status: 'Missing' },
      sync: { status: 'OutOfSync' },
      operationState: { phase: 'Running', message: 'waiting for healthy state of orgplane.io/OrganizationalUnit/security' },
    }),
    want: { status: 'Progressing', message: 'waiting for healthy state of orgplane.io/OrganizationalUnit/security' },
  },
  {
    name: 'Missing and OutOfSync, no sync running',
    obj: application({ health: { status: 'Missing' }, sync: { status: 'OutOfSync' } }),
    want: { status: 'Progressing', message: 'Sync status is OutOfSync' },
  },
  {
    name: 'Degraded (passes through, whatever the sync status)',
    obj: application({ health: { status: 'Degraded', message: 'one resource is Degraded' }, sync: { status: 'OutOfSync' } }),
    want: { status: 'Degraded', message: 'one resource is Degraded' },
  },
];

describe('argocd-cm patch', () => {
  it('has one health check per orgplane kind, each exactly health.lua', () => {
    for (const kind of KIND_NAMES) expect(CM.data[`resource.customizations.health.orgplane.io_${kind}`]).toBe(HEALTH_LUA);
    expect(
      Object.keys(CM.data)
        .filter((k) => k.includes('orgplane.io_'))
        .sort(),
    ).toEqual(KIND_NAMES.map((k) => `resource.customizations.health.orgplane.io_${k}`).sort());
  });

  it('has the Application health check the app-of-apps waves need', () => {
    const app = CM.data['resource.customizations.health.argoproj.io_Application'];
    for (const c of APP_CASES) expect(health(app, c.obj), c.name).toEqual(c.want);
  });
});

/** One case of the health corpus: what Argo CD reports, and (when it differs) what the Lua alone returns. */
interface HealthCase {
  name: string;
  obj: Record<string, unknown>;
  want: { status: string; message: string };
  /** The script's own answer where Argo CD decides before running it (deletion in progress). */
  lua?: { status: string; message: string };
}

const withMeta = (o: Record<string, unknown>, meta: Record<string, unknown>) => ({ ...o, metadata: { ...(o.metadata as Record<string, unknown>), ...meta } });
const healthyAccount = account({
  conditions: [
    cond('Ready', 'True', 'Available', 'Account 123456789012 exists in AWS'),
    cond('Synced', 'True', 'ReconcileSuccess'),
    cond('Progressing', 'False', 'Idle'),
  ],
  state: 'ACTIVE',
});

/** Every case runs twice: in fengari below, and in Argo CD's own Lua runtime (further down). */
const CASES: HealthCase[] = [
  {
    name: 'no status at all (Argo CD would hit a nil obj.status): Progressing',
    obj: account(),
    want: { status: 'Progressing', message: 'Waiting for the orgplane controller' },
  },
  {
    name: 'a status without conditions: Progressing',
    obj: account({ id: '123456789012' }),
    want: { status: 'Progressing', message: 'Waiting for the orgplane controller' },
  },
  {
    name: 'stale observedGeneration (spec changed, controller not there yet): Progressing',
    obj: account({ conditions: [cond('Ready', 'True', 'Available')] }, 3),
    want: { status: 'Progressing', message: 'Waiting for the controller to observe generation 3' },
  },
  {
    name: 'no observedGeneration at all: Progressing',
    obj: { ...account(), status: { conditions: [cond('Ready', 'True', 'Available')] } },
    want: { status: 'Progressing', message: 'Waiting for the controller to observe generation 2' },
  },
  {
    name: 'an Account still being created: Progressing (on purpose: waves wait, not fail)',
    obj: account({
      conditions: [
        cond('Ready', 'False', 'Creating', 'CreateAccount request car-123 IN_PROGRESS'),
        cond('Synced', 'True', 'ReconcileSuccess'),
        cond('Progressing', 'True', 'Creating', 'create: Polling'),
      ],
      workflow: { kind: 'create', phase: 'Polling' },
    }),
    want: { status: 'Progressing', message: 'create: Polling' },
  },
  {
    name: 'not in AWS yet, changes pending: Progressing',
    obj: account({
      conditions: [cond('Ready', 'False', 'Unavailable', 'not present in AWS yet'), cond('Synced', 'False', 'ChangesPending', 'create account dev')],
    }),
    want: { status: 'Progressing', message: 'not present in AWS yet' },
  },
  { name: 'Ready=True and Synced: Healthy', obj: healthyAccount, want: { status: 'Healthy', message: 'Account 123456789012 exists in AWS' } },
  {
    name: 'message-only change keeps the health (Argo CD 3.x skips status-only updates unless health changes)',
    obj: account({
      conditions: [
        cond('Ready', 'True', 'Available', 'Account 123456789012 exists in AWS (refreshed)'),
        cond('Synced', 'True', 'ReconcileSuccess'),
        cond('Progressing', 'False', 'Idle'),
      ],
      state: 'ACTIVE',
    }),
    want: { status: 'Healthy', message: 'Account 123456789012 exists in AWS (refreshed)' },
  },
  {
    name: 'Ready=True with changes still to apply (a move): Progressing',
    obj: account({
      conditions: [
        cond('Ready', 'True', 'Available'),
        cond('Synced', 'False', 'ChangesPending', 'move dev to shared-services'),
        cond('Progressing', 'False', 'Idle'),
      ],
    }),
    want: { status: 'Progressing', message: 'move dev to shared-services' },
  },
  {
    name: 'a migration workflow under way: Progressing',
    obj: account({
      conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess'), cond('Progressing', 'True', 'Migrating', 'migrate: Moving')],
    }),
    want: { status: 'Progressing', message: 'migrate: Moving' },
  },
  {
    name: 'Ready=False InvalidSpec: Degraded with the validation message',
    obj: {
      apiVersion: 'orgplane.io/v1alpha1',
      kind: 'OrganizationalUnit',
      metadata: { name: 'x', namespace: 'securecart', generation: 1 },
      spec: { name: 'X', parent: 'nope' },
      status: {
        observedGeneration: 1,
        conditions: [
          cond('Ready', 'False', 'InvalidSpec', 'the spec is invalid; nothing was created'),
          cond('Synced', 'False', 'InvalidSpec', 'spec.parent: unknown OrganizationalUnit "nope"'),
        ],
      },
    },
    want: { status: 'Degraded', message: 'InvalidSpec: spec.parent: unknown OrganizationalUnit "nope"' },
  },
  {
    name: 'Ready=False InvalidSpec without a Synced condition: Degraded',
    obj: account({ conditions: [cond('Ready', 'False', 'InvalidSpec', 'spec.email: not an email address')] }),
    want: { status: 'Degraded', message: 'InvalidSpec: spec.email: not an email address' },
  },
  {
    name: 'the deletion circuit breaker: Degraded',
    obj: account({
      conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'DeletionCircuitBreaker', 'would delete 40% of managed objects')],
    }),
    want: { status: 'Degraded', message: 'DeletionCircuitBreaker: would delete 40% of managed objects' },
  },
  {
    name: 'a failed AWS write: Degraded',
    obj: account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'ReconcileError', 'MoveAccount: AccessDenied')] }),
    want: { status: 'Degraded', message: 'ReconcileError: MoveAccount: AccessDenied' },
  },
  {
    name: 'a closed account: Degraded',
    obj: account({
      state: 'SUSPENDED',
      conditions: [cond('Ready', 'False', 'Unavailable', 'account is SUSPENDED'), cond('Synced', 'True', 'ReconcileSuccess')],
    }),
    want: { status: 'Degraded', message: 'Account is SUSPENDED' },
  },
  {
    name: 'Ready=Unknown: Progressing, saying so',
    obj: account({ conditions: [cond('Ready', 'Unknown', 'Checking', 'AWS not reached yet'), cond('Synced', 'True', 'ReconcileSuccess')] }),
    want: { status: 'Progressing', message: 'Ready is Unknown: AWS not reached yet' },
  },
  {
    name: 'Synced=Unknown with Ready=True: Healthy (only Synced=False holds a resource back)',
    obj: account({ conditions: [cond('Ready', 'True', 'Available', 'usable'), cond('Synced', 'Unknown', 'Reconciling')] }),
    want: { status: 'Healthy', message: 'usable' },
  },
  {
    name: 'paused: Suspended',
    obj: account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'Paused', 'orgplane.io/paused is set')] }),
    want: { status: 'Suspended', message: 'orgplane.io/paused is set' },
  },
  {
    name: 'observe-only with changes pending: Suspended',
    obj: account({ conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'False', 'ObserveOnly', '2 change(s) pending')] }),
    want: { status: 'Suspended', message: '2 change(s) pending' },
  },
  {
    name: 'a move awaiting approval: Suspended',
    obj: account({
      conditions: [cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess'), cond('Progressing', 'True', 'Migrating')],
      workflow: { kind: 'migrate', phase: 'AwaitingApproval', message: 'move awaits approval (gains DenyLeaveOrg)' },
    }),
    want: { status: 'Suspended', message: 'move awaits approval (gains DenyLeaveOrg)' },
  },
  {
    name: 'throttled retries: Progressing',
    obj: account({
      conditions: [
        cond('Ready', 'False', 'Unavailable', 'not present in AWS yet'),
        cond('Synced', 'False', 'Throttled', 'CreateAccount: TooManyRequestsException'),
      ],
    }),
    want: { status: 'Progressing', message: 'not present in AWS yet' },
  },
  {
    name: 'deletion in progress (finalizer held for deletionPolicy Delete): Argo CD says Pending deletion before any Lua runs',
    obj: withMeta(account({ conditions: [cond('Ready', 'True', 'Available', 'usable'), cond('Synced', 'False', 'Deleting', 'closing the account')] }), {
      deletionTimestamp: T,
      finalizers: ['orgplane.io/finalizer'],
    }),
    want: { status: 'Progressing', message: 'Pending deletion' },
    lua: { status: 'Progressing', message: 'closing the account' },
  },
  ...KIND_NAMES.filter((k) => k !== 'Account').map(
    (kind): HealthCase => ({
      name: `${kind}: Healthy when Ready and Synced`,
      obj: {
        apiVersion: 'orgplane.io/v1alpha1',
        kind,
        metadata: { name: 'x', namespace: 'securecart', generation: 4 },
        spec: {},
        status: { observedGeneration: 4, conditions: [cond('Ready', 'True', 'Available', `${kind} exists`), cond('Synced', 'True', 'ReconcileSuccess')] },
      },
      want: { status: 'Healthy', message: `${kind} exists` },
    }),
  ),
];

describe('orgplane health check (health.lua in fengari)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(health(HEALTH_LUA, c.obj)).toEqual(c.lua ?? c.want);
    });
  }
});

// The same corpus through Argo CD's own code: `argocd admin settings resource-overrides health`
// loads argocd-cm-patch.yaml as argocd-cm and evaluates the object with gopher-lua and Argo CD's
// sandbox, exactly as the application-controller does (gitops-engine's GetResourceHealth,
// deletionTimestamp handling included). The binary is the one scripts/argocd.sh builds.
const REPO = path.resolve(dir, '../..');
const ARGOCD = (() => {
  try {
    return execFileSync('bash', [path.join(REPO, 'scripts/argocd.sh'), 'bin'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();
const haveArgo = ARGOCD !== '' && existsSync(ARGOCD);
if (!haveArgo && process.env.CI) throw new Error(`[argocd] no Argo CD binary at ${ARGOCD || '?'}: run scripts/argocd.sh build`);
if (!haveArgo) console.warn(`[argocd] Argo CD health corpus skipped: no binary at ${ARGOCD || '?'} (scripts/argocd.sh build)`);

describe.skipIf(!haveArgo)("orgplane health check in Argo CD's own runtime (argocd admin settings resource-overrides health)", () => {
  const CM_PATH = path.join(dir, 'argocd-cm-patch.yaml');
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'orgplane-argocd-health-'));
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const argoHealth = async (obj: unknown, file: string): Promise<{ status: string; message: string }> => {
    const f = path.join(tmp, file);
    writeFileSync(f, stringify(obj));
    const { stdout } = await execFileP(ARGOCD, ['admin', 'settings', 'resource-overrides', 'health', f, '--argocd-cm-path', CM_PATH], {
      env: { ...process.env, ARGOCD_BINARY_NAME: 'argocd', KUBECONFIG: '/dev/null' },
      timeout: 60_000,
    });
    const status = /^STATUS: (.*)$/m.exec(stdout)?.[1];
    const message = /^MESSAGE: (.*)$/m.exec(stdout)?.[1];
    if (status === undefined || message === undefined) throw new Error(`unexpected argocd output: ${stdout}`);
    return { status, message };
  };

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      expect(await argoHealth(c.obj, `case-${i}.yaml`)).toEqual(c.want);
    });
  });

  APP_CASES.forEach((c, i) => {
    it(`Application health check (app of apps): ${c.name}`, async () => {
      expect(await argoHealth(c.obj, `app-${i}.yaml`)).toEqual(c.want);
    });
  });
});

const KUBECTL = existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : undefined;
if (!KUBECTL) console.warn('[argocd] sync wave checks skipped: no kubectl at /usr/bin/kubectl to run kustomize');

describe.skipIf(!KUBECTL)('Argo CD sync waves (kubectl kustomize)', () => {
  type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };
  const render = (dir: string): Doc[] =>
    parseAllDocuments(execFileSync(KUBECTL!, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path.join(dir)], { encoding: 'utf8' })).map(
      (d) => d.toJS() as Doc,
    );
  const wave = (d: Doc) => Number(d.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0');

  it('puts the CRDs in an earlier wave than the controller and every orgplane resource', () => {
    const install = render(path.resolve(dir, '../install'));
    const crds = install.filter((d) => d.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'accounts.orgplane.io',
      'approvals.orgplane.io',
      'crossaccountroles.orgplane.io',
      'managementpolicies.orgplane.io',
      'organizationalunits.orgplane.io',
      'organizations.orgplane.io',
      'permissionsets.orgplane.io',
      'resourcecontrolpolicies.orgplane.io',
      'servicecontrolpolicies.orgplane.io',
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
      expect(d.metadata.namespace).toBe('orgplane-org');
      expect(d.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
      waves.set(d.kind, (waves.get(d.kind) ?? new Set()).add(wave(d)));
    }
    const only = (k: string) => {
      const w = [...(waves.get(k) ?? [])];
      expect(w).toHaveLength(1);
      return w[0];
    };
    expect(only('OrganizationalUnit')).toBeLessThan(only('Account'));
    expect(only('Account')).toBeLessThan(only('ServiceControlPolicy'));
    expect(only('Account')).toBeLessThan(only('Organization'));
    expect(only('ServiceControlPolicy')).toBeLessThan(only('PermissionSet'));
    expect(only('ServiceControlPolicy')).toBeLessThan(only('CrossAccountRole'));
  });

  it('covers every file of the example', () => {
    const files = readdirSync(path.resolve(dir, '../examples/securecart'))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    const listed = (parse(readFileSync(path.join(dir, 'securecart/kustomization.yaml'), 'utf8')) as { resources: string[] }).resources
      .map((r) => path.basename(r))
      .sort();
    expect(listed).toEqual(files);
  });

  it('the e2e overlay (test/) installs all of manifests/install but the controller workload, and points the app of apps at it', () => {
    const kinds = (docs: Doc[]) => docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    const full = render(path.resolve(dir, '../install'));
    const overlay = render(path.join(dir, 'test/install'));
    // The e2e controller is a process: no Deployment, nothing that serves it, no webhook pointing at it.
    const workload = new Set(['Deployment', 'PodDisruptionBudget', 'Service', 'ValidatingWebhookConfiguration']);
    expect(full.some((d) => d.kind === 'Deployment')).toBe(true);
    expect(kinds(overlay)).toEqual(kinds(full.filter((d) => !workload.has(d.kind))));
    const apps = render(path.join(dir, 'test/apps')) as (Doc & { spec: { source: { path: string } } })[];
    expect(apps.map((a) => [a.metadata.name, a.spec.source.path, wave(a)]).sort()).toEqual([
      ['orgplane-install', 'manifests/argocd/test/install', -1],
      ['orgplane-securecart', 'manifests/argocd/securecart', 0],
    ]);
  });

  it('installs the controller before the example (app of apps)', () => {
    const apps = render(path.join(dir, 'apps'));
    const byName = new Map(apps.map((a) => [a.metadata.name, wave(a)]));
    expect(byName.get('orgplane-install')).toBeLessThan(byName.get('orgplane-securecart')!);
  });
});
