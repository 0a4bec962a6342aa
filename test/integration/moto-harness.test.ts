import { describe, expect, it } from 'vitest';
import { OrganizationsClient, ListRootsCommand, DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { useMoto, TEST_CREDENTIALS, TEST_REGION } from '../support/moto.js';

describe('moto harness', () => {
  const moto = useMoto();
  it('serves a fresh organization with one root after each reset', async () => {
    const org = new OrganizationsClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const roots = await org.send(new ListRootsCommand({}));
    expect(roots.Roots).toHaveLength(1);
    const d = await org.send(new DescribeOrganizationCommand({}));
    expect(d.Organization?.FeatureSet).toBe('ALL');
    expect(d.Organization?.MasterAccountId).toMatch(/^\d{12}$/);
  });
});
