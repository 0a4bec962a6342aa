// The context the access planners (kinds/permission-sets.ts, assignments.ts, roles.ts) share:
// desired and actual, the Organizations ops already planned (accounts created in the same plan),
// and the access plan being built. Pure.
import type { ActualAccess, ActualOrg } from '../model/actual.js';
import type { DesiredOrg } from '../model/desired.js';
import type { AccountTarget } from '../model/expand.js';
import type { AccessOp, Blocked, IdRef, Op } from './operations.js';
import { createAccountOp } from './access-forms.js';

export interface AccessPlan {
  ops: AccessOp[];
  drift: Record<string, string[]>;
  blocked: Blocked[];
}

export interface AccessPlanOptions {
  /**
   * Access resources whose manifests are gone (the engine derives them: controller resources being
   * deleted), with the deletion policy they had. Permission sets and roles found by their orgplane
   * tags are added automatically.
   */
  removed?: { kind: 'PermissionSet' | 'CrossAccountRole'; name: string; awsName: string; deletionPolicy: 'Retain' | 'Delete' }[];
  /**
   * Resource keys whose manifests exist but were left out (invalid spec, or a dependency is):
   * what they own in AWS is never deleted because of that.
   */
  protectedKeys?: ReadonlySet<string>;
}

export interface AccessContext {
  desired: DesiredOrg;
  actual: ActualOrg;
  access: ActualAccess | undefined;
  ns: string;
  orgOps: Op[];
  opts: AccessPlanOptions;
  plan: AccessPlan;
  /** Appends an op with the next id ("op-a1", ...) and returns it. */
  add: <T extends AccessOp>(op: Omit<T, 'id'>) => T;
  note: (key: string, text: string) => void;
  /** Account for an op: its id, or a ref to its CreateAccount op (then a dep); undefined = unusable now. */
  accountRef: (t: AccountTarget) => { account: IdRef; deps: string[] } | undefined;
}

export function createAccessContext(desired: DesiredOrg, actual: ActualOrg, orgOps: Op[], opts: AccessPlanOptions): AccessContext {
  const plan: AccessPlan = { ops: [], drift: {}, blocked: [] };
  let n = 0;
  return {
    desired,
    actual,
    access: actual.access,
    ns: desired.namespace,
    orgOps,
    opts,
    plan,
    add: <T extends AccessOp>(op: Omit<T, 'id'>): T => {
      const full = { ...op, id: `op-a${++n}` } as T;
      plan.ops.push(full);
      return full;
    },
    note: (key, text) => {
      (plan.drift[key] ??= []).push(text);
    },
    accountRef: (t) => {
      if (t.accountId) return { account: { id: t.accountId }, deps: [] };
      const create = t.ref ? createAccountOp(orgOps, t.ref) : undefined;
      return create ? { account: { ref: `Account/${t.ref}` }, deps: [create.id] } : undefined;
    },
  };
}
