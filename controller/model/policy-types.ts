// The policy kinds and the AWS policy types they stand for. One planner, reader and writer serve
// every type; this table is where the kinds differ (label, AWS managed default policy).
import type { AnyResource } from '../api/schemas.js';

export const SCP_TYPE = 'SERVICE_CONTROL_POLICY';
export const RCP_TYPE = 'RESOURCE_CONTROL_POLICY';
export const RCP_FULL_AWS_ACCESS_NAME = 'RCPFullAWSAccess';

export type PolicyKindName = 'ServiceControlPolicy' | 'ResourceControlPolicy' | 'ManagementPolicy';
export const POLICY_KINDS: readonly PolicyKindName[] = ['ServiceControlPolicy', 'ResourceControlPolicy', 'ManagementPolicy'];

export const isPolicyKind = (kind: string): kind is PolicyKindName => (POLICY_KINDS as readonly string[]).includes(kind);

/** An actual policy that is an SCP (type missing in old snapshots means SCP). */
export const isScp = (p: { type?: string }): boolean => !p.type || p.type === SCP_TYPE;

/** The AWS policy type a policy resource describes. */
export function policyTypeOf(r: AnyResource): string | undefined {
  if (r.kind === 'ServiceControlPolicy') return SCP_TYPE;
  if (r.kind === 'ResourceControlPolicy') return RCP_TYPE;
  if (r.kind === 'ManagementPolicy') return r.spec.type;
  return undefined;
}

/** The kind that manages policies of an AWS type (import, status, labels). */
export const kindOfPolicyType = (type: string | undefined): PolicyKindName =>
  !type || type === SCP_TYPE ? 'ServiceControlPolicy' : type === RCP_TYPE ? 'ResourceControlPolicy' : 'ManagementPolicy';

const SHORT: Record<string, string> = {
  SERVICE_CONTROL_POLICY: 'SCP',
  RESOURCE_CONTROL_POLICY: 'RCP',
  TAG_POLICY: 'tag policy',
  BACKUP_POLICY: 'backup policy',
  AISERVICES_OPT_OUT_POLICY: 'AI opt-out policy',
  CHATBOT_POLICY: 'chatbot policy',
  DECLARATIVE_POLICY_EC2: 'declarative policy',
};
/** "SCP", "RCP", "tag policy" … for plan summaries. */
export const policyLabel = (type: string | undefined): string => SHORT[type || SCP_TYPE] ?? type ?? 'SCP';

/**
 * Key of a policy in DesiredOrg.policies. SCPs keep metadata.name (as before policy kinds, so
 * every existing caller and fixture stays valid); the other kinds use "Kind/name", which cannot
 * collide with a metadata.name (names never contain "/").
 */
export const desiredPolicyKey = (kind: PolicyKindName, name: string): string => (kind === 'ServiceControlPolicy' ? name : `${kind}/${name}`);

/** Plural of policyLabel: "SCPs", "RCPs", "tag policies". */
export const policyLabels = (type: string | undefined): string => {
  const l = policyLabel(type);
  return l.endsWith('policy') ? `${l.slice(0, -1)}ies` : `${l}s`;
};
