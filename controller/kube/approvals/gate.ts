// The approval gate of one reconcile: the engine asks it whether a move (or, once the planner's
// org-wide ops are wired, an org-wide op) may go ahead; it answers from the Approvals listed at
// the start of the run and remembers which Approval let which op through, so that the controller
// marks exactly those Consumed once their op has succeeded.
import type { AnyResource, ApprovalObject } from '../../api/schemas.js';
import {
  approvalFor,
  describeOperation,
  migrationOf,
  ouNameIndex,
  versionOf,
  type ChangeRequest,
  type MoveLike,
  type RequestedOperation,
  type ResourceVersion,
} from './match.js';

/** On an Account: approve its pending move. Honoured only with --allow-self-approval, then cleared. */
export const ANNOTATION_APPROVE_MIGRATION = 'orgplane.io/approve-migration';

/** The fields of a plan op the gate reads (MoveAccount, or the op a planner marks org-wide). */
export interface GatedOp {
  id?: string;
  resource: string;
  summary: string;
  risk?: string;
}

export interface Grant {
  /** The Approval that let the op through; undefined when the approve-migration annotation did. */
  approval?: ApprovalObject;
  resource: string;
  opId?: string;
  summary: string;
  /** The operation as an Approval names it ("Migration platform -> root"). */
  approves: string;
}

export interface GateOptions {
  resources: readonly AnyResource[];
  approvals: readonly ApprovalObject[];
  now: Date;
  /** Approvals are not separated from authoring: the approve-migration annotation also approves. */
  allowSelfApproval?: boolean;
}

/**
 * Key of an op in the grant record: id, resource and summary. Not the id alone: the engine plans
 * again after applying, and an op of that second plan may reuse the id of a different op of the first.
 */
export const opKey = (op: { id?: string; resource: string; summary: string }): string => [op.id ?? '', op.resource, op.summary].join('\u0000');

export class ApprovalGate {
  /** opKey -> what let that op through, filled as the engine asks. */
  readonly grants = new Map<string, Grant>();
  readonly names: ReadonlyMap<string, string>;
  private readonly versions: Map<string, ResourceVersion>;
  private readonly byKey: Map<string, AnyResource>;

  /** Whether annotations on the resources also approve (--allow-self-approval). */
  get selfApproval(): boolean {
    return this.o.allowSelfApproval === true;
  }

  constructor(private readonly o: GateOptions) {
    this.names = ouNameIndex(o.resources);
    this.versions = new Map(
      o.resources.map((r) => {
        const v = versionOf(r);
        return [v.key, v];
      }),
    );
    this.byKey = new Map(o.resources.map((r) => [`${r.kind}/${r.metadata.name}`, r]));
  }

  /** May this account move go ahead? (ReconcileOptions.approveMigration) */
  readonly migration = (op: MoveLike & GatedOp): boolean => {
    const requested = migrationOf(op, this.names);
    if (this.grantFromApproval(op, requested)) return true;
    return this.grantFromAnnotation(op, requested);
  };

  /** May this org-wide op go ahead? Signature of the planner's ReconcileOptions.allowOrgWide (plus the fingerprint). */
  readonly orgWide = (op: GatedOp, fingerprint: string): boolean => this.grantFromApproval(op, { kind: 'OrgWide', fingerprint });

  private grantFromApproval(op: GatedOp, operation: RequestedOperation): boolean {
    const resource = this.versions.get(op.resource);
    if (!resource) return false;
    const req: ChangeRequest = { resource, operation };
    const found = approvalFor(this.o.approvals, req, this.o.now);
    if (!found) return false;
    this.record(op, { approval: found, approves: describeOperation(found.spec.operation) });
    return true;
  }

  private grantFromAnnotation(op: GatedOp, requested: RequestedOperation): boolean {
    if (!this.o.allowSelfApproval || requested.kind !== 'Migration') return false;
    const v = this.byKey.get(op.resource)?.metadata.annotations?.[ANNOTATION_APPROVE_MIGRATION];
    if (v === undefined || v === 'false') return false;
    this.record(op, { approves: `Migration ${requested.from.at(-1)} -> ${requested.to.at(-1)}` });
    return true;
  }

  private record(op: GatedOp, g: Pick<Grant, 'approval' | 'approves'>): void {
    this.grants.set(opKey(op), { ...g, resource: op.resource, opId: op.id, summary: op.summary });
  }

  /** What let this applied op through, if anything did. */
  grantFor(op: { id?: string; resource: string; summary: string }): Grant | undefined {
    return (
      this.grants.get(opKey(op)) ??
      this.grants.get(opKey({ resource: op.resource, summary: op.summary })) ??
      [...this.grants.values()].find((g) => g.opId === undefined && g.resource === op.resource && g.summary === op.summary)
    );
  }
}

/**
 * For the planner's `ReconcileOptions.allowOrgWide` (wired after its merge): an org-wide op goes
 * ahead only with a Pending Approval of kind OrgWide for the same resource, generation / spec
 * hash and fingerprint. Pass a gate to have its grants consumed by the controller afterwards.
 */
export function orgWideApprover(
  resources: readonly AnyResource[],
  approvals: readonly ApprovalObject[],
  gate = new ApprovalGate({ resources, approvals, now: new Date() }),
): (op: GatedOp, fingerprint: string) => boolean {
  return gate.orgWide;
}
