// Plans Identity Center and cross-account IAM role changes: desired permission sets, assignments
// and roles against ActualAccess. Pure: plain data in, typed AccessOps out. Each kind has its own
// planner in kinds/ (permission-sets, assignments, roles) sharing one AccessContext; the canonical
// forms they compare live in access-forms.ts.
import type { ActualOrg } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import type { Op } from './operations.js';
import { createAccessContext, type AccessPlan, type AccessPlanOptions } from './access-context.js';
import { planPermissionSets } from './kinds/permission-sets.js';
import { planRoles } from './kinds/roles.js';

export type { AccessPlan, AccessPlanOptions } from './access-context.js';
export {
  accountPlaceholder,
  normalizeDuration,
  permissionSetBody,
  permissionSetChanges,
  roleBody,
  roleChanges,
  roleDocChanges,
  trustPolicy,
} from './access-forms.js';

export function planAccess(desired: DesiredOrg, actual: ActualOrg, orgOps: Op[], opts: AccessPlanOptions = {}): AccessPlan {
  const ctx = createAccessContext(desired, actual, orgOps, opts);
  planPermissionSets(ctx);
  planRoles(ctx);
  return ctx.plan;
}
