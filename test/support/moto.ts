// A real moto server for integration tests: one process per test file (so files can run in
// parallel without resetting each other), on a free loopback port, reset before each test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { seedEmulator } from '../../scripts/emulator-seed.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MOTO_BIN = process.env.ORGPLANE_MOTO_SERVER ?? path.join(repo, '.venv/bin/moto_server');

export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const TEST_REGION = 'us-east-1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface MotoServer {
  endpoint: string;
  port: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * iamManagedPolicies: load AWS managed IAM policies (ReadOnlyAccess, ...) as real accounts have
 * them. It makes every new account's IAM slower in moto, so only tests that attach them ask.
 */
export async function startMoto(opts: { iamManagedPolicies?: boolean } = {}): Promise<MotoServer> {
  if (!existsSync(MOTO_BIN)) {
    throw new Error(`moto_server not found at ${MOTO_BIN}: run scripts/venv.sh (make test does)`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_BIN, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ACCOUNT_ID: undefined, MOTO_IAM_LOAD_MANAGED_POLICIES: opts.iamManagedPolicies ? 'true' : 'false' } as NodeJS.ProcessEnv,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.ok || r.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

/**
 * Creates the organization (feature set ALL) every test starts from, as an existing AWS setup
 * has it; with groups, also the Identity Center groups an IdP would have synced.
 */
export async function createOrganization(endpoint: string, groups: string[] = []): Promise<void> {
  await seedEmulator(endpoint, { groups, region: TEST_REGION, credentials: TEST_CREDENTIALS });
}

/**
 * vitest hook set: a moto server for this file, reset and given a fresh organization before each
 * test. Returns a holder whose `endpoint` is valid inside tests.
 */
export function useMoto(opts: { organization?: boolean; groups?: string[]; iamManagedPolicies?: boolean } = {}): { endpoint: string; server: MotoServer } {
  const holder = {} as { endpoint: string; server: MotoServer };
  beforeAll(async () => {
    holder.server = await startMoto({ iamManagedPolicies: opts.iamManagedPolicies });
    holder.endpoint = holder.server.endpoint;
  }, 60_000);
  beforeEach(async () => {
    await holder.server.reset();
    if (opts.organization !== false) await createOrganization(holder.endpoint, opts.groups);
  });
  afterAll(async () => {
    await holder.server?.stop();
  });
  return holder;
}
