// Graph rules over the whole desired organization: references, OU cycles and depth, AWS name
// uniqueness, policy documents and quotas, management-account safety, conflicting ownership.
// Each rule has a stable id (ValidationError.rule) and a message that names the offending value.
// Pure: takes normalised desired objects, returns errors; build.ts decides what becomes invalid.
import type { ActualOrg } from './actual.js';
import {
  ROOT,
  type DesiredAccount,
  type DesiredOrganization,
  type DesiredOU,
  type DesiredPermissionSet,
  type DesiredPolicy,
  type DesiredRole,
  type Quotas,
  type ValidationError,
} from './desired.js';
import { RESERVED_TAG_PREFIX } from './ownership.js';
import { fieldPath } from './schema-check.js';
import { validateTypedPolicies } from './validate-policies.js';
import { policyLabels } from './policy-types.js';

/** "spec.tags" + "orgplane.io/x" -> spec.tags["orgplane.io/x"], the way schema errors name fields. */
const keyField = (prefix: string, key: string): string => fieldPath('/' + key.replace(/~/g, '~0').replace(/\//g, '~1'), prefix);

/** AWS Organizations allows OUs at most five levels below the root. */
export const MAX_OU_DEPTH = 5;
export const FULL_AWS_ACCESS_ID = 'p-FullAWSAccess';
export const FULL_AWS_ACCESS_NAME = 'FullAWSAccess';

/** RFC 5322, simplified: dot-atom local part, a domain with at least one dot. */
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const isValidEmail = (email: string): boolean => EMAIL.test(email);

export interface GraphInput {
  /** Every Organization resource that passed the schema check (at most one is allowed). */
  organizations: DesiredOrganization[];
  ous: Record<string, DesiredOU>;
  accounts: Record<string, DesiredAccount>;
  policies: Record<string, DesiredPolicy>;
  permissionSets: Record<string, DesiredPermissionSet>;
  roles: Record<string, DesiredRole>;
  quotas: Quotas;
  /** Resource key -> "file:line", for messages. */
  sources: Record<string, string | undefined>;
  /** Keys of resources that exist but already failed (load or schema): not "unknown" references. */
  knownInvalid: Set<string>;
  actual?: ActualOrg;
}

// ---- policy documents -----------------------------------------------------------------------

/** A policy given as a YAML object or JSON text -> minified JSON text; unparseable text is kept as-is for checkPolicyDocument to report. */
export function minifyPolicy(doc: unknown): string {
  if (doc === undefined || doc === null) return '';
  if (typeof doc === 'string') {
    try {
      return JSON.stringify(JSON.parse(doc));
    } catch {
      return doc;
    }
  }
  return JSON.stringify(doc);
}

/** Characters as AWS counts them on the submitted (minified) document. */
export const policySize = (content: string): number => [...content].length;

const POLICY_TOP_LEVEL = ['Version', 'Id', 'Statement'];
const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'];

/** Structural check of an IAM-style policy document. Returns [rule, message] pairs. */
export function checkPolicyDocument(content: string): { rule: string; message: string }[] {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch (e) {
    return [{ rule: 'policy-json', message: `is not valid JSON: ${(e as Error).message}` }];
  }
  const out: { rule: string; message: string }[] = [];
  const bad = (message: string) => out.push({ rule: 'policy-structure', message });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    bad('must be a JSON object with Version and Statement');
    return out;
  }
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!POLICY_TOP_LEVEL.includes(k)) bad(`has unknown top-level element ${JSON.stringify(k)} (allowed: ${POLICY_TOP_LEVEL.join(', ')})`);
  if (d.Version === undefined) bad('Version is required ("2012-10-17")');
  else if (typeof d.Version !== 'string' || !POLICY_VERSIONS.includes(d.Version))
    bad(`Version must be "2012-10-17" or "2008-10-17" (got ${JSON.stringify(d.Version)})`);
  if (d.Statement === undefined) {
    bad('Statement is required');
    return out;
  }
  const statements = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
  if (typeof d.Statement !== 'object' || d.Statement === null) {
    bad('Statement must be an object or a list of objects');
    return out;
  }
  if (statements.length === 0) bad('Statement must not be empty');
  statements.forEach((s, i) => {
    const at = Array.isArray(d.Statement) ? `Statement[${i}]` : 'Statement';
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      bad(`${at} must be an object`);
      return;
    }
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
      bad(`${at}.Effect must be Allow or Deny (got ${st.Effect === undefined ? 'nothing' : JSON.stringify(st.Effect)})`);
    if (st.Action === undefined && st.NotAction === undefined) bad(`${at} needs Action or NotAction`);
  });
  return out;
}

/** PT1H, PT90M, PT1H30M -> minutes; undefined when neither part is present. */
export function durationMinutes(iso: string): number | undefined {
  const m = /^PT(?:([0-9]+)H)?(?:([0-9]+)M)?$/.exec(iso);
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

// ---- the graph rules ------------------------------------------------------------------------

const ouKey = (ref: string) => `OrganizationalUnit/${ref}`;
const accountKey = (ref: string) => `Account/${ref}`;
const policyKey = (ref: string) => `ServiceControlPolicy/${ref}`;

export function validateGraph(g: GraphInput): ValidationError[] {
  const errors: ValidationError[] = [];
  const c = graphChecks(g, errors);
  validateOrganizations(g, c);
  validateOUs(g, c);
  validateAccounts(g, c);
  validatePolicies(g, c);
  validatePermissionSets(g, c);
  validateRoles(g, c);
  return errors;
}

type GraphChecks = ReturnType<typeof graphChecks>;

/** The error sink and the reference, tag and management-account checks every rule family uses. */
function graphChecks(g: GraphInput, errors: ValidationError[]) {
  const err = (resource: string, field: string, rule: string, message: string) => {
    const source = g.sources[resource];
    errors.push({ resource, field, rule, message, ...(source ? { source } : {}) });
  };

  const exists = (key: string) => g.knownInvalid.has(key) || lookup(key) !== undefined;
  const lookup = (key: string): unknown => {
    const [kind, ...rest] = key.split('/');
    const name = rest.join('/');
    switch (kind) {
      case 'OrganizationalUnit':
        return g.ous[name];
      case 'Account':
        return g.accounts[name];
      case 'ServiceControlPolicy':
        return g.policies[name];
      case 'ResourceControlPolicy':
      case 'ManagementPolicy':
        return g.policies[key];
      case 'PermissionSet':
        return g.permissionSets[name];
      case 'CrossAccountRole':
        return g.roles[name];
      default:
        return undefined;
    }
  };
  /** Other kinds holding this name, as a hint when a reference points at the wrong kind. */
  const otherKinds = (name: string, looked: string): string => {
    const kinds = ['OrganizationalUnit', 'Account', 'ServiceControlPolicy', 'PermissionSet', 'CrossAccountRole'].filter(
      (k) => k !== looked && exists(`${k}/${name}`),
    );
    return kinds.length ? `; note: ${kinds.map((k) => `${k}/${name}`).join(', ')} exists` : '';
  };
  const checkOuRef = (from: string, field: string, ref: string, what: string) => {
    if (ref === ROOT || exists(ouKey(ref))) return true;
    err(
      from,
      field,
      'unknown-reference',
      `${what} ${JSON.stringify(ref)} not found: looked for OrganizationalUnit/${ref} (or "root" for the organization root)${otherKinds(ref, 'OrganizationalUnit')}`,
    );
    return false;
  };
  const checkAccountRef = (from: string, field: string, ref: string, what: string) => {
    if (exists(accountKey(ref))) return true;
    err(from, field, 'unknown-reference', `${what} ${JSON.stringify(ref)} not found: looked for Account/${ref}${otherKinds(ref, 'Account')}`);
    return false;
  };
  const reservedTags = (key: string, tags: Record<string, string>) => {
    for (const t of Object.keys(tags)) {
      if (t.startsWith(RESERVED_TAG_PREFIX))
        err(
          key,
          keyField('spec.tags', t),
          'reserved-tag',
          `tag key ${JSON.stringify(t)} is reserved: keys starting with ${RESERVED_TAG_PREFIX} are set by orgplane`,
        );
    }
  };

  const mgmtId = g.actual?.managementAccountId;
  const mgmtEmail = g.actual?.managementAccountEmail?.toLowerCase();
  const isManagement = (a: DesiredAccount) =>
    g.actual !== undefined && ((a.id !== undefined && a.id === mgmtId) || (mgmtEmail !== undefined && mgmtEmail !== '' && a.email.toLowerCase() === mgmtEmail));
  return { err, checkOuRef, checkAccountRef, reservedTags, isManagement, mgmtId };
}

/** Organization: singleton, delegated administrators. */
function validateOrganizations(g: GraphInput, { err, checkAccountRef, isManagement, mgmtId }: GraphChecks): void {
  const orgKeys = [...g.organizations.map((o) => o.key), ...[...g.knownInvalid].filter((k) => k.startsWith('Organization/'))].sort();
  if (orgKeys.length > 1) {
    for (const o of g.organizations) {
      err(o.key, 'metadata.name', 'singleton', `only one Organization resource is allowed per namespace; found ${orgKeys.join(', ')}`);
    }
  }
  for (const o of g.organizations) {
    (o.delegatedAdministrators ?? []).forEach((d, i) => {
      const field = `spec.delegatedAdministrators[${i}].account`;
      if (!checkAccountRef(o.key, field, d.account, 'delegated administrator account')) return;
      const a = g.accounts[d.account];
      if (a && isManagement(a)) {
        err(
          o.key,
          field,
          'management-account',
          `Account/${d.account} is the management account (${mgmtId}), which cannot be a delegated administrator for ${d.servicePrincipal}`,
        );
      }
    });
  }
}

/** OUs: reserved name, parent reference, cycles, depth, names unique per parent, ids. */
function validateOUs(g: GraphInput, { err, checkOuRef, reservedTags }: GraphChecks): void {
  const ouRefs = Object.keys(g.ous).sort();
  for (const ref of ouRefs) {
    const ou = g.ous[ref];
    if (ref === ROOT) err(ou.key, 'metadata.name', 'reserved-name', 'metadata.name "root" is reserved for the organization root');
    checkOuRef(ou.key, 'spec.parent', ou.parent, 'parent');
    reservedTags(ou.key, ou.tags);
  }
  const inCycle = checkOuCycles(g, ouRefs, err);
  checkOuDepth(g, ouRefs, inCycle, err);
  // AWS rejects a second OU with the same name under one parent (DuplicateOrganizationalUnitException).
  // AWS does not document whether the comparison ignores case; we treat "Prod" and "prod" as the
  // same name so that plan never promises what apply might be refused.
  groupBy(ouRefs, (r) => `${g.ous[r].parent}\u0000${g.ous[r].name.toLowerCase()}`).forEach((refs) => {
    for (const r of refs) {
      const others = refs
        .filter((o) => o !== r)
        .map(ouKey)
        .join(', ');
      err(
        ouKey(r),
        g.ous[r].name === r ? 'metadata.name' : 'spec.name',
        'duplicate-ou-name',
        `OU name ${JSON.stringify(g.ous[r].name)} is also used by ${others} under parent ${JSON.stringify(g.ous[r].parent)} (AWS OU names are unique per parent; compared case-insensitively)`,
      );
    }
  });
  idConflicts(
    ouRefs.filter((r) => g.ous[r].id),
    (r) => g.ous[r].id as string,
    ouKey,
    'OU id',
    err,
  );
}

/** Reports every OU on a parent cycle; returns them. */
function checkOuCycles(g: GraphInput, ouRefs: string[], err: GraphChecks['err']): Set<string> {
  const inCycle = new Set<string>();
  for (const ref of ouRefs) {
    const chain: string[] = [];
    let cur = ref;
    while (cur !== ROOT && g.ous[cur] && !inCycle.has(cur)) {
      const at = chain.indexOf(cur);
      if (at >= 0) {
        const cycle = chain.slice(at);
        cycle.forEach((c, from) => {
          inCycle.add(c);
          const path = [...cycle.slice(from), ...cycle.slice(0, from), c];
          err(ouKey(c), 'spec.parent', 'ou-cycle', `parent chain forms a cycle: ${path.join(' -> ')}`);
        });
        break;
      }
      chain.push(cur);
      cur = g.ous[cur].parent;
    }
  }
  return inCycle;
}

/** Reports the first OU of each chain that goes deeper than AWS allows. */
function checkOuDepth(g: GraphInput, ouRefs: string[], inCycle: Set<string>, err: GraphChecks['err']): void {
  /** root/a/b/... path of metadata names, or undefined when the chain is broken or cyclic. */
  const pathOf = (ref: string): string[] | undefined => {
    const path: string[] = [];
    let cur = ref;
    while (cur !== ROOT) {
      if (inCycle.has(cur) || !g.ous[cur] || path.length > ouRefs.length) return undefined;
      path.unshift(cur);
      cur = g.ous[cur].parent;
    }
    return path;
  };
  for (const ref of ouRefs) {
    const path = pathOf(ref);
    // Only the first OU past the limit gets the error; those below it depend on it.
    if (path && path.length > MAX_OU_DEPTH && path.length - 1 === MAX_OU_DEPTH) {
      err(
        ouKey(ref),
        'spec.parent',
        'ou-depth',
        `OU would be ${path.length} levels below the root; AWS allows at most ${MAX_OU_DEPTH}: root/${path.join('/')}`,
      );
    }
  }
}

/** Accounts: parent, email, uniqueness, management account. */
function validateAccounts(g: GraphInput, c: GraphChecks): void {
  const { err } = c;
  const accountRefs = Object.keys(g.accounts).sort();
  for (const ref of accountRefs) {
    checkAccount(g, c, g.accounts[ref]);
  }
  groupBy(
    accountRefs.filter((r) => isValidEmail(g.accounts[r].email)),
    (r) => g.accounts[r].email.toLowerCase(),
  ).forEach((refs) => {
    for (const r of refs) {
      const others = refs
        .filter((o) => o !== r)
        .map(accountKey)
        .join(', ');
      err(
        accountKey(r),
        'spec.email',
        'duplicate-email',
        `email ${JSON.stringify(g.accounts[r].email)} is also used by ${others} (an email address belongs to one AWS account; compared case-insensitively)`,
      );
    }
  });
  idConflicts(
    accountRefs.filter((r) => g.accounts[r].id),
    (r) => g.accounts[r].id as string,
    accountKey,
    'account id',
    err,
  );
}

/** One account: parent, tags, email, and the management account's fixed parent, deletion policy and id. */
function checkAccount(g: GraphInput, { err, checkOuRef, reservedTags, isManagement, mgmtId }: GraphChecks, a: DesiredAccount): void {
  checkOuRef(a.key, 'spec.parent', a.parent, 'parent');
  reservedTags(a.key, a.tags);
  if (!isValidEmail(a.email)) err(a.key, 'spec.email', 'email', `${JSON.stringify(a.email)} is not a valid email address`);
  if (isManagement(a)) {
    if (a.parent !== ROOT) {
      err(
        a.key,
        'spec.parent',
        'management-account',
        `is the management account (${mgmtId}), which always stays in the root: parent must be "root", not ${JSON.stringify(a.parent)}`,
      );
    }
    if (a.deletionPolicy !== 'Retain') {
      err(
        a.key,
        'spec.deletionPolicy',
        'management-account',
        `is the management account (${mgmtId}), which orgplane never closes or removes: deletionPolicy must be Retain, not ${a.deletionPolicy}`,
      );
    }
    if (a.id !== undefined && a.id !== mgmtId) {
      err(a.key, 'spec.id', 'ownership-conflict', `email ${JSON.stringify(a.email)} belongs to the management account ${mgmtId}, not to ${a.id}`);
    }
  } else if (g.actual && a.id !== undefined) {
    // Adopting by id and email at once: both must name the same AWS account.
    const byEmail = Object.values(g.actual.accounts).find((x) => x.email.toLowerCase() === a.email.toLowerCase());
    if (byEmail && byEmail.id !== a.id) {
      err(a.key, 'spec.id', 'ownership-conflict', `email ${JSON.stringify(a.email)} belongs to account ${byEmail.id} in the organization, not to ${a.id}`);
    }
  }
}

/** Targets of a policy of any type exist and are never the management account (for SCPs and RCPs). */
function checkPolicyTargets(g: GraphInput, { err, checkOuRef, checkAccountRef, isManagement, mgmtId }: GraphChecks, p: DesiredPolicy): void {
  const what = policyLabels(p.policyType);
  const guardrail = p.policyType === undefined || p.policyType === 'RESOURCE_CONTROL_POLICY';
  for (const t of p.targets) {
    if (t.kind === 'ou') checkOuRef(p.key, 'spec.targets.organizationalUnits', t.ref, 'target');
    if (t.kind === 'account') {
      if (!checkAccountRef(p.key, 'spec.targets.accounts', t.ref, 'target')) continue;
      const a = g.accounts[t.ref];
      // Management policy types (tag, backup …) do apply to the management account; SCPs and RCPs do not.
      if (a && isManagement(a) && guardrail) {
        err(
          p.key,
          'spec.targets.accounts',
          'management-account',
          `targets Account/${t.ref}, the management account (${mgmtId}): ${what} do not apply to the management account`,
        );
      }
    }
  }
}

/** Policies: SCPs here (document, size, name, targets, ids, quotas); the other kinds differ in syntax and quotas (validate-policies.ts) but share the target checks. */
function validatePolicies(g: GraphInput, checks: GraphChecks): void {
  const { err, reservedTags } = checks;
  const policyRefs = Object.keys(g.policies)
    .filter((r) => g.policies[r].policyType === undefined)
    .sort();
  const org = g.organizations.length === 1 ? g.organizations[0] : undefined;
  validateTypedPolicies(Object.values(g.policies), org, err);
  for (const p of Object.values(g.policies)) if (p.policyType !== undefined) checkPolicyTargets(g, checks, p);
  const scpDisabled = org?.enabledPolicyTypes !== undefined && !org.enabledPolicyTypes.includes('SERVICE_CONTROL_POLICY');
  for (const ref of policyRefs) {
    const p = g.policies[ref];
    reservedTags(p.key, p.tags);
    checkScpDocument(g, err, p, ref);
    if (scpDisabled && p.targets.length > 0) {
      err(
        p.key,
        'spec.targets',
        'policy-type-disabled',
        `SCPs cannot be attached: ${org?.key} spec.enabledPolicyTypes does not include SERVICE_CONTROL_POLICY`,
      );
    }
    checkPolicyTargets(g, checks, p);
  }
  groupBy(policyRefs, (r) => g.policies[r].name.toLowerCase()).forEach((refs) => {
    for (const r of refs) {
      const others = refs
        .filter((o) => o !== r)
        .map(policyKey)
        .join(', ');
      err(
        policyKey(r),
        g.policies[r].name === r ? 'metadata.name' : 'spec.name',
        'duplicate-policy-name',
        `policy name ${JSON.stringify(g.policies[r].name)} is also used by ${others} (SCP names are unique in an organization; compared case-insensitively)`,
      );
    }
  });
  idConflicts(
    policyRefs.filter((r) => g.policies[r].id),
    (r) => g.policies[r].id as string,
    policyKey,
    'policy id',
    err,
  );
  checkPolicyQuota(g, policyRefs, err);
}

/** An SCP's document (present unless AWS managed, valid, within the size quota) and its name. */
function checkScpDocument(g: GraphInput, err: GraphChecks['err'], p: GraphInput['policies'][string], ref: string): void {
  if (p.awsManaged && p.content !== '') {
    err(p.key, 'spec.document', 'policy-document', 'must be omitted when awsManaged is true (an AWS managed policy cannot be changed)');
  } else if (!p.awsManaged && p.content === '') {
    err(p.key, 'spec.document', 'policy-document', 'is required unless awsManaged is true');
  } else if (!p.awsManaged) {
    const problems = checkPolicyDocument(p.content);
    for (const pr of problems) err(p.key, 'spec.document', pr.rule, pr.message);
    const size = policySize(p.content);
    if (problems.length === 0 && size > g.quotas.maxPolicySize) {
      err(p.key, 'spec.document', 'policy-size', `is ${size} characters when minified; the limit is ${g.quotas.maxPolicySize} (quotas.maxPolicySize)`);
    }
  }
  if (!p.awsManaged && p.name.toLowerCase() === FULL_AWS_ACCESS_NAME.toLowerCase()) {
    err(
      p.key,
      p.name === ref ? 'metadata.name' : 'spec.name',
      'duplicate-policy-name',
      `policy name ${JSON.stringify(p.name)} is taken by the AWS managed policy ${FULL_AWS_ACCESS_ID} (set awsManaged: true to manage its attachments)`,
    );
  }
}

/** Permission sets: session duration, inline policy, assignments, unique names. */
function validatePermissionSets(g: GraphInput, { err, checkOuRef, checkAccountRef, reservedTags, isManagement, mgmtId }: GraphChecks): void {
  const psRefs = Object.keys(g.permissionSets).sort();
  for (const ref of psRefs) {
    const ps = g.permissionSets[ref];
    reservedTags(ps.key, ps.tags);
    const minutes = durationMinutes(ps.sessionDuration);
    if (minutes === undefined || minutes < 60 || minutes > 720) {
      err(
        ps.key,
        'spec.sessionDuration',
        'session-duration',
        `${JSON.stringify(ps.sessionDuration)} is ${minutes === undefined ? 'no duration' : `${minutes} minutes`}; a session lasts 1 to 12 hours (PT1H to PT12H)`,
      );
    }
    if (ps.inlinePolicy !== '') for (const pr of checkPolicyDocument(ps.inlinePolicy)) err(ps.key, 'spec.inlinePolicy', pr.rule, pr.message);
    ps.assignments.forEach((as, i) => {
      const at = `spec.assignments[${i}]`;
      if (!as.principal.name && !as.principal.id) err(ps.key, `${at}.principal`, 'principal', 'needs a name or an id');
      for (const acc of as.accounts) {
        if (!checkAccountRef(ps.key, `${at}.targets.accounts`, acc, 'assignment account')) continue;
        const a = g.accounts[acc];
        if (a && isManagement(a)) {
          err(
            ps.key,
            `${at}.targets.accounts`,
            'management-account',
            `assigns to Account/${acc}, the management account (${mgmtId}): orgplane never gives Identity Center access to the management account`,
          );
        }
      }
      for (const ou of as.organizationalUnits) checkOuRef(ps.key, `${at}.targets.organizationalUnits`, ou, 'assignment OU');
    });
  }
  groupBy(psRefs, (r) => g.permissionSets[r].name.toLowerCase()).forEach((refs) => {
    for (const r of refs) {
      const others = refs
        .filter((o) => o !== r)
        .map((o) => `PermissionSet/${o}`)
        .join(', ');
      err(
        `PermissionSet/${r}`,
        g.permissionSets[r].name === r ? 'metadata.name' : 'spec.name',
        'duplicate-permission-set-name',
        `permission set name ${JSON.stringify(g.permissionSets[r].name)} is also used by ${others} (names are unique in an Identity Center instance; compared case-insensitively)`,
      );
    }
  });
}

/** Cross-account roles: targets, trust, inline policies, role names. */
function validateRoles(g: GraphInput, { err, checkOuRef, checkAccountRef, reservedTags, isManagement, mgmtId }: GraphChecks): void {
  const roleRefs = Object.keys(g.roles).sort();
  for (const ref of roleRefs) {
    const r = g.roles[ref];
    reservedTags(r.key, r.tags);
    if (r.targetAccounts.length === 0 && r.targetOUs.length === 0)
      err(r.key, 'spec.targets', 'role-targets', 'must list at least one account or organizational unit');
    for (const a of r.targetAccounts) {
      if (!checkAccountRef(r.key, 'spec.targets.accounts', a, 'target account')) continue;
      const acc = g.accounts[a];
      if (acc && isManagement(acc)) {
        err(
          r.key,
          'spec.targets.accounts',
          'management-account',
          `targets Account/${a}, the management account (${mgmtId}): orgplane never puts cross-account roles into the management account`,
        );
      }
    }
    for (const o of r.targetOUs) checkOuRef(r.key, 'spec.targets.organizationalUnits', o, 'target OU');
    if (r.trust.accounts.length === 0 && r.trust.principalArns.length === 0)
      err(r.key, 'spec.trust', 'role-trust', 'must name at least one account or principal ARN');
    for (const a of r.trust.accounts) checkAccountRef(r.key, 'spec.trust.accounts', a, 'trusted account');
    for (const [name, doc] of Object.entries(r.inlinePolicies).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const pr of checkPolicyDocument(doc)) err(r.key, keyField('spec.inlinePolicies', name), pr.rule, pr.message);
    }
  }
  checkRoleNameConflicts(g, roleRefs, err);
}

/** IAM role names are unique per account (case-insensitively): two resources must not own the same role. */
function checkRoleNameConflicts(g: GraphInput, roleRefs: string[], err: GraphChecks['err']): void {
  for (let i = 0; i < roleRefs.length; i++) {
    for (let j = i + 1; j < roleRefs.length; j++) {
      const a = g.roles[roleRefs[i]];
      const b = g.roles[roleRefs[j]];
      if (a.roleName.toLowerCase() !== b.roleName.toLowerCase()) continue;
      const inA = roleAccounts(g, a);
      const both = [...roleAccounts(g, b)].filter((x) => inA.has(x)).sort();
      if (both.length === 0) continue;
      const where = both.map(accountKey).join(', ');
      err(a.key, 'spec.roleName', 'ownership-conflict', `role ${JSON.stringify(a.roleName)} in ${where} is also managed by ${b.key}`);
      err(b.key, 'spec.roleName', 'ownership-conflict', `role ${JSON.stringify(b.roleName)} in ${where} is also managed by ${a.key}`);
    }
  }
}

function groupBy<T>(items: T[], key: (t: T) => string): T[][] {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    m.set(k, [...(m.get(k) ?? []), it]);
  }
  return [...m.values()].filter((v) => v.length > 1);
}

/** Two resources adopting the same AWS object by id would fight over it. */
function idConflicts(
  refs: string[],
  idOf: (r: string) => string,
  keyOf: (r: string) => string,
  what: string,
  err: (resource: string, field: string, rule: string, message: string) => void,
): void {
  groupBy(refs, idOf).forEach((group) => {
    for (const r of group) {
      const others = group
        .filter((o) => o !== r)
        .map(keyOf)
        .join(', ');
      err(keyOf(r), 'spec.id', 'ownership-conflict', `${what} ${idOf(r)} is also claimed by ${others}`);
    }
  });
}

/** Accounts a role lands in: explicit ones plus those under its OUs (nested ones with includeDescendants). */
function roleAccounts(g: GraphInput, r: DesiredRole): Set<string> {
  const out = new Set(r.targetAccounts);
  const ous = new Set(r.targetOUs);
  for (const [ref, a] of Object.entries(g.accounts)) {
    let cur = a.parent;
    for (let hops = 0; hops <= Object.keys(g.ous).length + 1; hops++) {
      if (ous.has(cur)) {
        out.add(ref);
        break;
      }
      if (!r.includeDescendants || cur === ROOT || !g.ous[cur]) break;
      cur = g.ous[cur].parent;
    }
  }
  return out;
}

/**
 * SCPs per target. AWS counts every attached SCP, FullAWSAccess included: it is attached to each
 * new root, OU and account, and orgplane leaves it there unless a ServiceControlPolicy resource
 * manages it, so it counts as one unless such a resource exists (then that resource's targets
 * say where it is). The error goes on every SCP that targets the crowded target.
 */
function checkPolicyQuota(g: GraphInput, policyRefs: string[], err: (resource: string, field: string, rule: string, message: string) => void): void {
  const managesFullAccess = policyRefs.some((r) => {
    const p = g.policies[r];
    return p.id === FULL_AWS_ACCESS_ID || (p.awsManaged && p.name === FULL_AWS_ACCESS_NAME);
  });
  const byTarget = new Map<string, { label: string; field: string; policies: string[] }>();
  for (const r of policyRefs) {
    for (const t of g.policies[r].targets) {
      const id = t.kind === 'root' ? 'root' : `${t.kind}:${t.ref}`;
      const label = t.kind === 'root' ? 'the root' : t.kind === 'ou' ? ouKey(t.ref) : accountKey(t.ref);
      const field = t.kind === 'root' ? 'spec.targets.root' : t.kind === 'ou' ? 'spec.targets.organizationalUnits' : 'spec.targets.accounts';
      const entry = byTarget.get(id) ?? { label, field, policies: [] };
      if (!entry.policies.includes(r)) entry.policies.push(r);
      byTarget.set(id, entry);
    }
  }
  const limit = g.quotas.maxPoliciesPerTarget;
  for (const { label, field, policies } of byTarget.values()) {
    const names = [...(managesFullAccess ? [] : [`${FULL_AWS_ACCESS_NAME} (attached by AWS)`]), ...policies.map(policyKey)];
    if (names.length <= limit) continue;
    for (const r of policies) {
      err(
        policyKey(r),
        field,
        'policy-quota',
        `${label} would have ${names.length} SCPs attached, more than the limit of ${limit} (quotas.maxPoliciesPerTarget): ${names.join(', ')}`,
      );
    }
  }
}
