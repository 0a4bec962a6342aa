// What a real management account already has before orgplane runs, recreated in a fresh local
// emulator: an organization (feature set ALL) and the Identity Center groups an IdP's SCIM sync
// would have created. Used by `make run` and by the integration tests.
import { OrganizationsClient, CreateOrganizationCommand, DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { SSOAdminClient, ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import { IdentitystoreClient, CreateGroupCommand, ListGroupsCommand } from '@aws-sdk/client-identitystore';
import type { AwsCredentialIdentity } from '@aws-sdk/types';

/** The groups manifests/examples refer to (seed 002: developers, security engineers, vendors). */
export const EXAMPLE_GROUPS = ['Developers', 'SecurityEngineers', 'Vendors', 'PlatformAdmins'];

export async function seedEmulator(
  endpoint: string,
  opts: { groups?: string[]; region?: string; credentials?: AwsCredentialIdentity } = {},
): Promise<{ organizationId: string; created: boolean; groups: string[] }> {
  const cfg = { endpoint, region: opts.region ?? 'us-east-1', credentials: opts.credentials };
  const org = new OrganizationsClient(cfg);
  const sso = new SSOAdminClient(cfg);
  const ids = new IdentitystoreClient(cfg);
  try {
    let organizationId: string;
    let created = false;
    try {
      organizationId = (await org.send(new DescribeOrganizationCommand({}))).Organization!.Id!;
    } catch {
      organizationId = (await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization!.Id!;
      created = true;
    }
    const groups: string[] = [];
    const storeId = (await sso.send(new ListInstancesCommand({}))).Instances?.[0]?.IdentityStoreId;
    if (storeId) {
      const existing = new Set(((await ids.send(new ListGroupsCommand({ IdentityStoreId: storeId }))).Groups ?? []).map((g) => g.DisplayName));
      for (const name of opts.groups ?? EXAMPLE_GROUPS) {
        if (!existing.has(name)) await ids.send(new CreateGroupCommand({ IdentityStoreId: storeId, DisplayName: name }));
        groups.push(name);
      }
    }
    return { organizationId, created, groups };
  } finally {
    org.destroy();
    sso.destroy();
    ids.destroy();
  }
}
