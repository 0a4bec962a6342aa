// Shared by the unit corpus test and the moto "AWS was not written" test: where the cases live,
// how their expectations are written, and the organization they are validated against
// (moto's defaults: management account 123456789012, master@example.com).
import { join } from 'node:path';
import type { ActualOrg } from '../../controller/model/actual.js';

export const INVALID_DIR = join(import.meta.dirname, '../fixtures/invalid');
export const VALID_DIR = join(import.meta.dirname, '../fixtures/valid');

/** `# expect: <formatValidationError line>` header lines, in order. */
export const expectedErrors = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));

export const MANAGEMENT_ACCOUNT_ID = '123456789012';
export const MANAGEMENT_EMAIL = 'master@example.com';

export const CORPUS_ACTUAL: ActualOrg = {
  id: 'o-abcdefghij',
  arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT_ID}:organization/o-abcdefghij`,
  featureSet: 'ALL',
  managementAccountId: MANAGEMENT_ACCOUNT_ID,
  managementAccountEmail: MANAGEMENT_EMAIL,
  root: {
    id: 'r-abcd',
    arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT_ID}:root/o-abcdefghij/r-abcd`,
    name: 'Root',
    enabledPolicyTypes: ['SERVICE_CONTROL_POLICY'],
  },
  ous: {},
  accounts: {
    [MANAGEMENT_ACCOUNT_ID]: {
      id: MANAGEMENT_ACCOUNT_ID,
      arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT_ID}:account/o-abcdefghij/${MANAGEMENT_ACCOUNT_ID}`,
      name: 'master',
      email: MANAGEMENT_EMAIL,
      state: 'ACTIVE',
      parentId: 'r-abcd',
    },
    '210987654321': {
      id: '210987654321',
      arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT_ID}:account/o-abcdefghij/210987654321`,
      name: 'existing',
      email: 'existing@example.com',
      state: 'ACTIVE',
      parentId: 'r-abcd',
    },
  },
  policies: {
    'p-FullAWSAccess': {
      id: 'p-FullAWSAccess',
      arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess',
      name: 'FullAWSAccess',
      description: 'Allows access to every operation',
      type: 'SERVICE_CONTROL_POLICY',
      awsManaged: true,
      content: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      targets: ['r-abcd'],
    },
  },
  trustedServices: [],
  delegatedAdmins: [],
  readAt: '2025-01-01T00:00:00.000Z',
};
