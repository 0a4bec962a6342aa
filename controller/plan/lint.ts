// Policy lint: manifests that are valid but probably not what their author meant, reported as
// warnings by validate and plan (errors under --strict). Each finding names the resource, the
// field and the rule, like a validation error. Rules:
//   deny-access-path        an SCP on the root or an OU denies sts:AssumeRole of the account access
//                           role (a Deny of "*" included) with no condition: nobody, orgplane
//                           included, can get into the accounts below any more
//   no-allow-left           the plan leaves a target with no Allow-bearing SCP: every action is
//                           denied below it (plan only: it needs the live attachments)
//   trust-any-principal     a CrossAccountRole trusts "*"
//   trust-outside-no-external-id  it trusts an account outside the organization without sts:ExternalId
//                           (unless it requires MFA: people cannot pass an external id from the console)
//   allow-all-inline        an inline policy allows "Action": "*" on "Resource": "*"
//   unknown-action / statement-never-matches  an SCP/RCP Action entry names no action in the catalogue
import { RCP_TYPE } from '../model/policy-types.js';
import type { ActualOrg } from '../model/actual.js';
import type { DesiredOrg, DesiredPolicy, DesiredRole } from '../model/desired.js';
import type { ParsedPolicy, Statement } from '../eval/types.js';
import { parsePolicy } from '../eval/policy.js';
import { loadCatalog, type Catalog } from '../eval/catalog.js';
import { lintPolicyActions } from '../eval/lint.js';
import { statementActionMatches } from '../eval/statement.js';
import { arnMatch } from '../eval/wildcard.js';
import { allChains, orgFromActual, type EvalOrg, type EvalNode } from '../eval/org.js';
import type { LintFinding, Op } from './operations.js';
import { changesChains, simulatePlan } from './simulate.js';

export const DEFAULT_ACCESS_ROLE = 'OrganizationAccountAccessRole';

const parsed = (json: string): ParsedPolicy | undefined => (json ? parsePolicy(json).policy : undefined);
const stmtName = (s: Statement): string => `Statement[${s.index}]${s.sid ? ` (${s.sid})` : ''}`;

// ---- SCPs on the access path ---------------------------------------------------------------------

/** Does this Deny, unconditionally, cover sts:AssumeRole of the role on every account? */
function deniesAccess(s: Statement, role: string): boolean {
  if (s.effect !== 'Deny' || s.conditions.length > 0 || !statementActionMatches(s, 'sts:AssumeRole')) return false;
  const arn = `arn:aws:iam::000000000000:role/${role}`;
  if (s.resource) return s.resource.some((p) => arnMatch(p, arn));
  if (s.notResource) return !s.notResource.some((p) => arnMatch(p, arn));
  return true;
}

function targetText(p: DesiredPolicy): string | undefined {
  const names = p.targets.flatMap((t) => (t.kind === 'root' ? ['the root'] : t.kind === 'ou' ? [`OrganizationalUnit/${t.ref}`] : []));
  return names.length ? names.join(', ') : undefined;
}

export function lintAccessPath(key: string, p: DesiredPolicy, roles: string[]): LintFinding[] {
  const where = targetText(p);
  const doc = parsed(p.content);
  if (!where || !doc) return [];
  return doc.statements.flatMap((s) => {
    const role = roles.find((r) => deniesAccess(s, r));
    if (!role) return [];
    const what = s.action?.includes('*') ? 'denies every action ("*")' : 'denies sts:AssumeRole';
    return [
      {
        resource: key,
        field: `spec.document.${stmtName(s)}`,
        rule: 'deny-access-path',
        message: `${what} on the account access role ${role} with no condition, attached to ${where}: nobody (orgplane included) can assume it in the accounts below; exempt the role with a Condition (e.g. ArnNotLike aws:PrincipalArn)`,
      },
    ];
  });
}

// ---- unknown actions ------------------------------------------------------------------------------

export function lintActions(key: string, content: string, catalog: Catalog): LintFinding[] {
  const doc = parsed(content);
  if (!doc) return [];
  return lintPolicyActions(doc, catalog).map((f) => ({ resource: key, field: `spec.document.${f.field}`, rule: f.rule, message: f.message }));
}

// ---- trust and inline policies ----------------------------------------------------------------------

/** The account a principal ARN or id belongs to ('*' for everyone). */
const accountOfPrincipal = (p: string): string => (p === '*' ? '*' : /^\d{12}$/.test(p) ? p : (p.split(':')[4] ?? ''));

export function lintTrust(r: DesiredRole, orgAccountIds: ReadonlySet<string>, live = false): LintFinding[] {
  // Offline only spec.id says which accounts are in the organization: the message says so.
  const outside = live ? 'outside the organization' : 'not an account id of the manifests, so taken to be outside the organization';
  return r.trust.principalArns.flatMap((p, i): LintFinding[] => {
    const field = `spec.trust.principalArns[${i}]`;
    const acct = accountOfPrincipal(p);
    if (acct === '*' || acct.includes('*')) {
      return [{ resource: r.key, field, rule: 'trust-any-principal', message: `trusts "${p}": any AWS principal can assume ${r.roleName}` }];
    }
    // People who must use MFA come through the console or the CLI's role profiles, and the
    // console's switch-role cannot send an external id: the rule is for machine (third-party) trust.
    if (!orgAccountIds.has(acct) && !r.trust.externalId && !r.trust.requireMfa) {
      return [
        {
          resource: r.key,
          field,
          rule: 'trust-outside-no-external-id',
          message: `trusts ${p} (account ${acct}, ${outside}) without spec.trust.externalId: set an external id (sts:ExternalId) against the confused deputy`,
        },
      ];
    }
    return [];
  });
}

export function lintInline(resource: string, field: string, json: string): LintFinding[] {
  const doc = parsed(json);
  if (!doc) return [];
  return doc.statements
    .filter((s) => s.effect === 'Allow' && s.action?.includes('*') && s.resource?.includes('*'))
    .map((s) => ({
      resource,
      field: `${field}.${stmtName(s)}`,
      rule: 'allow-all-inline',
      message: '"Action": "*" on "Resource": "*" is administrator access: use a managed policy such as AdministratorAccess on purpose, or list the actions',
    }));
}

// ---- the offline rules together ----------------------------------------------------------------------

export interface DesiredLintOptions {
  /** Ids of accounts known to be in the organization (live ids in plan, spec.id offline). */
  orgAccountIds?: ReadonlySet<string>;
  /** orgAccountIds come from the live organization (plan), not only from spec.id (validate). */
  live?: boolean;
  /** RCPs, where declared (same shape as SCPs). */
  rcps?: DesiredPolicy[];
}

export function lintDesired(d: DesiredOrg, catalog: Catalog, opts: DesiredLintOptions = {}): LintFinding[] {
  const roles = [...new Set([DEFAULT_ACCESS_ROLE, ...Object.values(d.accounts).map((a) => a.accessRoleName)])];
  const ids = new Set([...(opts.orgAccountIds ?? []), ...Object.values(d.accounts).flatMap((a) => (a.id ? [a.id] : []))]);
  const policies = [...Object.values(d.policies).filter((p) => p.policyType === undefined || p.policyType === RCP_TYPE), ...(opts.rcps ?? [])];
  return [
    ...policies.flatMap((p) => [...lintAccessPath(p.key, p, roles), ...lintActions(p.key, p.content, catalog)]),
    ...Object.values(d.permissionSets).flatMap((ps) => lintInline(ps.key, 'spec.inlinePolicy', ps.inlinePolicy)),
    ...Object.values(d.roles).flatMap((r) => [
      ...lintTrust(r, ids, opts.live),
      ...Object.entries(r.inlinePolicies).flatMap(([name, json]) => lintInline(r.key, `spec.inlinePolicies.${name}`, json)),
    ]),
  ];
}

// ---- the plan's detaches ----------------------------------------------------------------------------

const allows = (n: EvalNode): boolean => n.scps.some((p) => p.policy.statements.some((s) => s.effect === 'Allow'));
const nodes = (o: EvalOrg): EvalNode[] => [o.root, ...Object.values(o.ous), ...Object.values(o.accounts)];

/** Targets that had an Allow-bearing SCP before the plan and have none after it (SCPs enabled). */
export function lintLastAllow(actual: ActualOrg, ops: Op[]): LintFinding[] {
  if (!changesChains(ops)) return [];
  const before = orgFromActual(actual);
  const after = orgFromActual(simulatePlan(actual, ops));
  if (!after.scpEnabled) return [];
  const had = new Map(nodes(before).map((n) => [n.id, allows(n)]));
  const management = new Set(
    allChains(after)
      .filter((c) => c.management)
      .map((c) => c.account.id),
  );
  return nodes(after)
    .filter((n) => had.get(n.id) === true && !allows(n) && !management.has(n.id))
    .map((n) => {
      const detach = ops.find((op) => op.op === 'DetachPolicy' && op.targetId === n.id);
      const label = `${n.type === 'root' ? 'the root' : n.type === 'ou' ? 'OU' : 'account'}${n.type === 'root' ? '' : ` ${n.name}`} (${n.id})`;
      return {
        resource: detach?.resource || (n.type === 'root' ? 'Organization' : `${n.type === 'ou' ? 'OrganizationalUnit' : 'Account'}/${n.name}`),
        field: 'spec.targets',
        rule: 'no-allow-left',
        message: `after this plan ${label} has no SCP with an Allow statement${detach?.op === 'DetachPolicy' ? ` (${detach.policyName} is detached)` : ''}: every action is denied there and below; keep FullAWSAccess or an allow-list SCP attached`,
      };
    });
}

/** The engine's hook: every rule, with the live account ids and attachments the plan has read. */
export async function lintPlan(desired: DesiredOrg, actual: ActualOrg, ops: Op[]): Promise<LintFinding[]> {
  const catalog = await loadCatalog();
  return [
    ...lintDesired(desired, catalog, { orgAccountIds: new Set([actual.managementAccountId, ...Object.keys(actual.accounts)]), live: true }),
    ...lintLastAllow(actual, ops),
  ];
}

/** validate's hook (offline: account ids only from spec.id). */
export async function lintOffline(desired: DesiredOrg): Promise<LintFinding[]> {
  return lintDesired(desired, await loadCatalog());
}
