// Every bad-input case, through `orgplane apply --auto-approve` against a real moto server:
// the command exits 1, prints the case's expected errors, and the organization is exactly as it
// was (no OU, account, policy, attachment or tag written).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ListRootsCommand, EnablePolicyTypeCommand } from '@aws-sdk/client-organizations';
import { useMoto } from '../support/moto.js';
import { clientsFor, orgClient } from '../support/engine.js';
import { readOrganization } from '../../controller/aws/read-org.js';
import { runApply } from '../../controller/cli/commands.js';
import { INVALID_DIR, expectedErrors } from '../support/corpus.js';

const cases = readdirSync(INVALID_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
// Lines that name the corpus's fixed member account / root only exist in the unit corpus's
// made-up organization; moto assigns its own ids.
const portable = (line: string) => !/210987654321|existing@example\.com|r-abcd/.test(line);

describe('invalid manifests never write to AWS', () => {
  const moto = useMoto();
  let printed = '';

  beforeEach(async () => {
    const org = orgClient(moto.endpoint);
    const rootId = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    org.destroy();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    printed = '';
    const capture = (chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it.each(cases)('%s', async (file) => {
    const clients = clientsFor(moto.endpoint);
    const strip = (a: Awaited<ReturnType<typeof readOrganization>>) => ({ ...a, readAt: '' });
    const before = strip(await readOrganization(clients));
    const code = await runApply({
      filename: [join(INVALID_DIR, file)],
      endpoint: moto.endpoint,
      region: 'us-east-1',
      namespace: 'default',
      color: false,
      autoApprove: true,
      concurrency: 4,
      state: join(INVALID_DIR, '..', `.state-${file}.json`),
    });
    expect(code, printed).toBe(1);
    printed = printed.replaceAll('test/fixtures/invalid/', '');
    for (const line of expectedErrors(readFileSync(join(INVALID_DIR, file), 'utf8')).filter(portable)) {
      // The source suffix "(file.yaml:N)" is relative to where the files were loaded from.
      expect(printed).toContain(line.replace(/ \([^()]*\.ya?ml(:\d+)?\)$/, ''));
    }
    expect(printed).not.toMatch(/Apply complete/);
    expect(strip(await readOrganization(clients))).toEqual(before);
    clients.destroy();
  });
});
