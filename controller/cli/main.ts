#!/usr/bin/env node
// `orgplane`: the same engine as the controller, with no cluster. Exit codes CI can use:
// 0 = nothing to change (or applied cleanly), 2 = changes pending (plan), 1 = error.
import { Command, Option } from 'commander';
import { runValidate, runPlan, runApply, runImport, runStatus, type ApplyOptions, type CommonOptions, type PlanOptions } from './commands.js';
import { EXIT } from './exit.js';
import { fraction, nonNegativeInt, positiveInt } from './options.js';
import { registerExplain } from './explain.js';

// The SDK's notices about the Node.js versions its future releases need are noise in every
// command's output; orgplane states its own requirement (package.json engines: Node 24).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const STATE_FILE = '.orgplane/workflows.json';

const program = new Command();
program
  .name('orgplane')
  .description(
    'Keep an AWS Organization in the shape a directory of manifests describes: ' +
      'orgplane.io/v1alpha1 OrganizationalUnit, Account, ServiceControlPolicy, ResourceControlPolicy, ManagementPolicy, PermissionSet, ' +
      'CrossAccountRole and Organization resources, the same YAML the controller reads.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 no changes / success, 2 changes pending (plan), 1 error.

Target: the standard AWS environment (AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, ...) with the
management account's credentials; --endpoint (or AWS_ENDPOINT_URL) points at an emulator.

Examples:
  orgplane validate -f manifests/examples/securecart
  orgplane plan -f manifests/ --output markdown > plan.md
  orgplane apply -f manifests/ --auto-approve
  orgplane plan -f manifests/ --out plan.json && orgplane apply -f manifests/ --plan plan.json
  orgplane import -o imported/ && orgplane plan -f imported/
  orgplane status -f manifests/`,
  );

function common(cmd: Command, opts: { files?: boolean } = { files: true }): Command {
  if (opts.files) cmd.requiredOption('-f, --filename <path...>', 'manifest files or directories (recursive, *.yaml/*.yml)');
  return cmd
    .option('--endpoint <url>', 'AWS endpoint (an emulator such as moto); default: AWS_ENDPOINT_URL or real AWS')
    .option('--region <region>', 'AWS region for the API clients', process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1')
    .option('-n, --namespace <name>', 'ownership scope recorded in AWS tags (the controller uses the Kubernetes namespace)', 'default')
    .option('--no-color', 'plain output')
    .option('-v, --verbose', 'log AWS call counts and timings to stderr');
}

/** The operator's deletion guards: a manifest may only lower them. */
function guards(cmd: Command): Command {
  return cmd
    .option(
      '--max-delete-fraction <share>',
      'circuit breaker: refuse deletions of more than this share of managed objects in one run (a manifest may only lower it)',
      fraction,
      0.25,
    )
    .option('--max-closures-per-run <n>', 'account closures one run may start (a manifest may only lower it)', nonNegativeInt, 1);
}

common(program.command('validate'))
  .description('check manifests offline: schema, references, cycles, depth, duplicates, policy JSON and quotas')
  .option('--output <format>', 'text or json', 'text')
  .option('--strict', 'policy lint findings are errors (exit 1), not warnings')
  .action(async (o: CommonOptions & { output: string; strict?: boolean }) => exit(await runValidate(o)));

guards(
  common(program.command('plan'))
    .description('read the organization and show what apply would change (exit 2 when there are changes)')
    .addOption(new Option('-o, --output <format>', 'plan format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--state <file>', 'workflow state file: interrupted account workflows show as resume ops', STATE_FILE)
    .option('--strict', 'policy lint findings are errors (exit 1), not warnings')
    .option('--out <file>', 'also save the plan (versioned JSON with fingerprints of the manifests and the organization) for apply --plan'),
).action(async (o: PlanOptions) => exit(await runPlan(o)));

guards(common(program.command('apply')))
  .description('plan, ask for confirmation, then apply in dependency order and print the resulting org tree')
  .option(
    '--allow-org-wide',
    'also apply org-wide changes (disable a policy type or trusted access, deregister a delegated admin, FullAWSAccess off the root or an OU, a deny-everything SCP on the root)',
  )
  .option('--auto-approve', 'apply without asking (required when stdin is not a terminal)')
  .option('--strict', 'refuse to apply when policy lint finds anything')
  .option('--observe-only', 'compute and report the plan, never write to AWS')
  .option('--approve-migration <account...>', 'Account resource names whose migration to another OU is approved')
  .option('--concurrency <n>', 'AWS writes in flight at once', positiveInt, 4)
  .option('--state <file>', 'workflow state file: interrupted account workflows resume as ops of the plan', STATE_FILE)
  .option(
    '--plan <file>',
    'apply exactly a plan saved by plan --out, without asking (the file is the approval); refused, with nothing written, if the manifests or the organization changed since',
  )
  .action(async (o: ApplyOptions) => exit(await runApply(o)));

common(program.command('import'), { files: false })
  .description('write manifests that describe the existing organization; they re-plan to zero changes')
  .requiredOption('-o, --output-dir <dir>', 'directory to write ous.yaml, accounts.yaml, scps.yaml, organization.yaml into')
  .option('--force', 'overwrite files that already exist')
  .action(async (o: CommonOptions & { outputDir: string; force?: boolean }) => exit(await runImport(o)));

common(program.command('status'))
  .description('print the organization tree: which OUs, accounts and SCPs are managed, drifted or unmanaged')
  .action(async (o: CommonOptions) => exit(await runStatus(o)));

registerExplain(program, common, exit);

program
  .command('controller')
  .description('run the Kubernetes controller (in a cluster: see manifests/install)')
  .allowUnknownOption(true)
  .helpOption(false)
  .argument('[args...]')
  .action(async () => {
    const { controllerMain } = await import('../kube/main.js');
    await controllerMain(process.argv.slice(process.argv.indexOf('controller') + 1));
  });

function exit(code: number): void {
  process.exitCode = code;
}

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`orgplane: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = EXIT.error;
});
