// The per-resource baseline: how a controller with one custom resource per AWS object (or a
// plan-time refresh of a state file) reads an organization it already knows the ids of — one
// describe per object plus its parent and tags, never a list call that covers many at once.
// Same clients, same rate limiter, same call counting as orgplane, so the two are comparable.
import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribePolicyCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
} from '@aws-sdk/client-organizations';
import type { AwsClients } from '../controller/aws/clients.js';
import { mapLimit } from '../controller/aws/read-org.js';

export interface KnownIds {
  ous: string[];
  accounts: string[];
  policies: string[];
}

async function allPages(fetch: (token: string | undefined) => Promise<string | undefined>): Promise<void> {
  let token: string | undefined;
  do token = await fetch(token);
  while (token);
}

/**
 * Refreshes every known object separately: DescribeOrganizationalUnit + ListTagsForResource per
 * OU; DescribeAccount + ListParents + ListTagsForResource per account; DescribePolicy +
 * ListTargetsForPolicy + ListTagsForResource per policy. `concurrency` defaults to 10, Terraform's
 * default parallelism.
 */
export async function perResourceRefresh(clients: AwsClients, ids: KnownIds, concurrency = 10): Promise<void> {
  const org = clients.organizations;
  const tags = (id: string) => allPages(async (NextToken) => (await org.send(new ListTagsForResourceCommand({ ResourceId: id, NextToken }))).NextToken);
  await mapLimit(ids.ous, concurrency, async (id) => {
    await org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }));
    await tags(id);
  });
  await mapLimit(ids.accounts, concurrency, async (id) => {
    await org.send(new DescribeAccountCommand({ AccountId: id }));
    await allPages(async (NextToken) => (await org.send(new ListParentsCommand({ ChildId: id, NextToken }))).NextToken);
    await tags(id);
  });
  await mapLimit(ids.policies, concurrency, async (id) => {
    await org.send(new DescribePolicyCommand({ PolicyId: id }));
    await allPages(async (NextToken) => (await org.send(new ListTargetsForPolicyCommand({ PolicyId: id, NextToken }))).NextToken);
    await tags(id);
  });
}
