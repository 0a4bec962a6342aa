// Admission of Approvals: who granted one is recorded by the approver in spec.grantedBy and
// checked here against the authenticated user of the CREATE request, which is the only place the
// requester is visible (the stored object and its managedFields name a client, not a person). A
// validating webhook cannot write the name itself; refusing any other value keeps the record true
// and lets anyone check it by reading the object. The spec is immutable (CEL), so the name
// cannot be changed afterwards.
import { APPROVAL_KIND, GROUP } from '../../api/schemas.js';
import type { AdmissionDecision, AdmissionRequest } from '../runtime/admission.js';

export const isApprovalRequest = (req: AdmissionRequest): boolean => req.kind.group === GROUP && req.kind.kind === APPROVAL_KIND;

export function admitApproval(req: AdmissionRequest): AdmissionDecision {
  if (req.operation !== 'CREATE') return { allowed: true };
  const user = req.userInfo?.username;
  const grantedBy = (req.object as { spec?: { grantedBy?: unknown } } | undefined)?.spec?.grantedBy;
  if (!user) return { allowed: false, message: 'an Approval needs an authenticated requester: the request names no user' };
  if (grantedBy === user) return { allowed: true };
  return {
    allowed: false,
    message: `spec.grantedBy: Invalid value: ${JSON.stringify(grantedBy ?? null)}: must be the user creating the Approval, "${user}" (see kubectl auth whoami)`,
  };
}
