import { describe, expect, it } from 'vitest';
import type { Resource } from '../../controller/api/schemas.js';
import { buildDesired } from '../../controller/model/build.js';
import { importOrganization } from '../../controller/model/import.js';
import { planOrg } from '../../controller/plan/diff.js';
import { FULL, MGMT_ID, ROOT_ID, addAccount, addOU, baseActual } from './plan-fixtures.js';

/** Root, OUs Prod and Sandbox, accounts Shop (Prod) and Lab (Sandbox); FullAWSAccess on root, Prod, both accounts and the management account. */
function org() {
  const a = baseActual();
  addOU(a, 'ou-ab12-prod0000', 'Prod', ROOT_ID);
  addOU(a, 'ou-ab12-sandbox0', 'Sandbox', ROOT_ID);
  addAccount(a, '222222222222', 'Shop', 'shop@example.com', 'ou-ab12-prod0000', { tags: {} });
  addAccount(a, '333333333333', 'Lab', 'lab@example.com', 'ou-ab12-sandbox0', { tags: {} });
  a.policies[FULL].targets = [ROOT_ID, MGMT_ID, 'ou-ab12-prod0000', '222222222222', '333333333333'];
  return a;
}

const fullAccessOf = (rs: ReturnType<typeof importOrganization>) =>
  rs.find((r): r is Resource<'ServiceControlPolicy'> => r.kind === 'ServiceControlPolicy' && r.spec.awsManaged === true);

describe('import: FullAWSAccess', () => {
  it('records where it is attached and, with exclusiveTargets, where it is not (an allow-list OU)', () => {
    const full = fullAccessOf(importOrganization(org()));
    expect(full).toMatchObject({
      metadata: { name: 'fullawsaccess' },
      spec: {
        name: 'FullAWSAccess',
        id: FULL,
        awsManaged: true,
        exclusiveTargets: true,
        targets: { root: true, organizationalUnits: ['prod'], accounts: ['shop', 'lab'] },
      },
    });
    expect(full?.spec.document).toBeUndefined();
  });

  it('re-plans to nothing, and plans a detach when FullAWSAccess is re-attached to the allow-list OU', () => {
    const a = org();
    const { desired, errors } = buildDesired(importOrganization(a), { namespace: 'default' });
    expect(errors).toEqual([]);
    expect(planOrg(desired, a, { namespace: 'default' }).ops).toEqual([]);
    a.policies[FULL].targets!.push('ou-ab12-sandbox0');
    const ops = planOrg(desired, a, { namespace: 'default' }).ops;
    expect(ops.map((o) => o.summary)).toEqual(['detach SCP FullAWSAccess from Sandbox (ou-ab12-sandbox0) (not in spec.targets)']);
  });

  it('keeps targets a minimum where FullAWSAccess is everywhere, or where it is on something the manifests cannot name', () => {
    const everywhere = org();
    everywhere.policies[FULL].targets!.push('ou-ab12-sandbox0');
    expect(fullAccessOf(importOrganization(everywhere))?.spec.exclusiveTargets).toBe(false);
    const closed = org();
    addAccount(closed, '444444444444', 'Old', 'old@example.com', 'ou-ab12-prod0000', { state: 'SUSPENDED' });
    closed.policies[FULL].targets!.push('444444444444');
    expect(fullAccessOf(importOrganization(closed))?.spec.exclusiveTargets).toBe(false);
  });

  it('records nothing when the targets were not read', () => {
    const a = org();
    delete a.policies[FULL].targets;
    expect(fullAccessOf(importOrganization(a))).toBeUndefined();
  });
});
