// The controller's tag cache against a real moto server: repeated reads skip ListTagsForResource,
// tags orgplane writes are re-read at once, and out-of-band edits are seen after the TTL.
import { describe, expect, it } from 'vitest';
import { CreateOrganizationalUnitCommand, ListRootsCommand, TagResourceCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { createAwsClients } from '../../controller/aws/clients.js';
import { UNLIMITED } from '../../controller/aws/middleware.js';
import { readOrganization } from '../../controller/aws/read-org.js';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';

describe('tag cache (controller)', () => {
  const moto = useMoto();

  it('reads tags once, re-reads what it tagged itself, and sees outside edits after the TTL', async () => {
    const clients = createAwsClients({
      endpoint: moto.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      rateLimits: UNLIMITED,
      tagCacheTtlMs: 200,
    });
    const outside = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const rootId = (await outside.send(new ListRootsCommand({}))).Roots![0].Id!;
    const ou = (await outside.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Team', Tags: [{ Key: 'team', Value: 'a' }] })))
      .OrganizationalUnit!.Id!;
    const tagReads = () => clients.calls.byOperation.get('Organizations:ListTagsForResource') ?? 0;

    expect((await readOrganization(clients)).ous[ou].tags).toEqual({ team: 'a' });
    const first = tagReads();
    expect(first).toBeGreaterThanOrEqual(1);
    expect((await readOrganization(clients)).ous[ou].tags).toEqual({ team: 'a' });
    expect(tagReads()).toBe(first);

    // orgplane's own write: the entry is dropped, the next read asks AWS.
    await clients.organizations.send(new TagResourceCommand({ ResourceId: ou, Tags: [{ Key: 'team', Value: 'b' }] }));
    expect((await readOrganization(clients)).ous[ou].tags).toEqual({ team: 'b' });
    expect(tagReads()).toBe(first + 1);

    // Someone else's write is invisible until the entry expires.
    await outside.send(new TagResourceCommand({ ResourceId: ou, Tags: [{ Key: 'team', Value: 'c' }] }));
    expect((await readOrganization(clients)).ous[ou].tags).toEqual({ team: 'b' });
    await new Promise((r) => setTimeout(r, 250));
    expect((await readOrganization(clients)).ous[ou].tags).toEqual({ team: 'c' });
    outside.destroy();
    clients.destroy();
  });

  it('is off by default (the CLI reads every time)', async () => {
    const clients = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, rateLimits: UNLIMITED });
    expect(clients.tagCache).toBeUndefined();
    const outside = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const rootId = (await outside.send(new ListRootsCommand({}))).Roots![0].Id!;
    await outside.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Team' }));
    await readOrganization(clients);
    const n = clients.calls.byOperation.get('Organizations:ListTagsForResource') ?? 0;
    await readOrganization(clients);
    expect(clients.calls.byOperation.get('Organizations:ListTagsForResource')).toBe(2 * n);
    outside.destroy();
    clients.destroy();
  });
});
