// orgplane enters member accounts with sts:AssumeRole carrying SourceIdentity=orgplane (the IAM
// policy allows AssumeRole only with it, and member-account CloudTrail shows it). Checked on the
// request the real SDK puts on the wire to a real moto server.
import { afterEach, describe, expect, it } from 'vitest';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-sts';
import type { FinalizeRequestMiddleware } from '@aws-sdk/types';
import { createAwsClients, type AwsClients } from '../../controller/aws/clients.js';
import { TEST_CREDENTIALS, TEST_REGION, useMoto } from '../support/moto.js';

describe('sts:AssumeRole into member accounts', () => {
  const moto = useMoto();
  let clients: AwsClients | undefined;
  afterEach(() => clients?.destroy());

  const assumeBodies = (c: AwsClients): string[] => {
    const bodies: string[] = [];
    const capture: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      if (typeof body === 'string' && body.includes('Action=AssumeRole')) bodies.push(body);
      return next(args);
    };
    c.sts.middlewareStack.add(capture, { step: 'finalizeRequest', name: 'captureAssumeRole' });
    return bodies;
  };

  it('sends SourceIdentity=orgplane and the session name, and the assumed credentials work', async () => {
    clients = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const bodies = assumeBodies(clients);
    const { iam } = await clients.forAccount('111122223333', 'OrganizationAccountAccessRole');
    const params = new URLSearchParams(bodies[0]);
    expect(bodies).toHaveLength(1);
    expect(params.get('SourceIdentity')).toBe('orgplane');
    expect(params.get('RoleSessionName')).toBe('orgplane');
    expect(params.get('RoleArn')).toBe('arn:aws:iam::111122223333:role/OrganizationAccountAccessRole');
    await expect(iam.send(new GetRoleCommand({ RoleName: 'does-not-exist' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('takes another SourceIdentity from the options', async () => {
    clients = createAwsClients({ endpoint: moto.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, sourceIdentity: 'orgplane-ci' });
    const bodies = assumeBodies(clients);
    await clients.forAccount('111122223333', 'OrganizationAccountAccessRole');
    expect(new URLSearchParams(bodies[0]).get('SourceIdentity')).toBe('orgplane-ci');
  });
});
