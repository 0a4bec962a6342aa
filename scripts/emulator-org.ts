// Gives a fresh local emulator the organization a real management account already has, so the
// demo starts from where a user starts. Real AWS is never touched: AWS_ENDPOINT_URL must be set.
import { OrganizationsClient, CreateOrganizationCommand, DescribeOrganizationCommand } from '@aws-sdk/client-organizations';

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint || !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint)) {
  console.error('emulator-org: AWS_ENDPOINT_URL must point at a local emulator (http://127.0.0.1:PORT)');
  process.exit(1);
}
const org = new OrganizationsClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
try {
  const d = await org.send(new DescribeOrganizationCommand({}));
  console.log(`organization ${d.Organization?.Id} already exists`);
} catch {
  const c = await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  console.log(`created organization ${c.Organization?.Id}, management account ${c.Organization?.MasterAccountId}`);
}
