#!/usr/bin/env node
// The CLI. Users start it through server/bin/reviewtrace-server.cjs (the package's bin), which checks
// the Node.js version first.
import { Command, Option } from 'commander';
import { backfillCommand } from '../cli/backfill-command.ts';
import { demoCommand } from '../cli/demo-command.ts';
import { doctorCommand } from '../cli/doctor-command.ts';
import { runCommand } from '../cli/run-command.ts';
import { verifyCommand } from '../cli/verify-command.ts';
import { debugRequested, exitWithError } from '../cli/errors.ts';
import { DEMO_DEFAULTS } from '../demo/review-history.ts';

const program = new Command()
  .name('reviewtrace-server')
  .description('Follows Gerrit code review and writes one trace per change to Grafana Tempo.')
  .addOption(new Option('-c, --config <file>', 'YAML configuration file').env('REVIEWTRACE_CONFIG'))
  .addOption(
    new Option('--log-level <level>', 'log level').choices([
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
  )
  .option(
    '--accept-server-id-change',
    'confirm a new gerrit.serverId: every change then gets a new trace id (see docs/configuration.md)',
  )
  .showHelpAfterError()
  // Every subcommand's --help lists --config, --log-level and the rest (inherited by the commands below).
  .configureHelp({ showGlobalOptions: true })
  .addHelpText(
    'after',
    '\nEvery configuration key can also be set as REVIEWTRACE_<SECTION>__<KEY>, e.g. REVIEWTRACE_GERRIT__SSH__HOST.\nSee docs/configuration.md.',
  );

program
  .command('run', { isDefault: true })
  .description('follow Gerrit stream-events and export traces (the default)')
  .action(() => runCommand(program.opts()));

program
  .command('backfill')
  .description('turn past review history into the same traces (safe to repeat; resumable)')
  .requiredOption(
    '--since <date>',
    'oldest change update to include: 2026-01-31, an ISO time, or an age like 90d, 12h or 2w',
  )
  .option('--until <date>', 'newest change update to include (default: now)')
  .option('--export-timeout <seconds>', 'how long to wait for Tempo to accept the spans before exiting', '600')
  .action((opts: { since: string; until?: string; exportTimeout: string }) =>
    backfillCommand({ ...program.opts(), ...opts }),
  );

program
  .command('verify')
  .description(
    "check what Tempo holds of each change updated in a range against the change's Gerrit history and the sidecar's ledger: prints missing and doubled spans (exit 1 if any)",
  )
  .requiredOption(
    '--since <date>',
    'oldest change update to include: 2026-01-31, an ISO time, or an age like 90d, 12h or 2w',
  )
  .option(
    '--until <date>',
    'newest change update to include (default: now; spans of the last minutes may not be visible in Tempo yet)',
  )
  .option('--json', 'print the report as JSON')
  .action((opts: { since: string; until?: string; json?: boolean }) => verifyCommand({ ...program.opts(), ...opts }));

program
  .command('demo')
  .description(
    'replay a bundled synthetic review history and microservice traces (no Gerrit needed), then keep both going live',
  )
  .option('--changes <n>', 'number of changes in the history', String(DEMO_DEFAULTS.changes))
  .option('--seed <n>', 'random seed (same seed, same history)', String(DEMO_DEFAULTS.seed))
  .option('--no-follow', 'exit once the history is exported instead of continuing live')
  .action((opts: { changes: string; seed: string; follow: boolean }) => demoCommand({ ...program.opts(), ...opts }));

program
  .command('doctor')
  .description('check the configuration, Gerrit (SSH, host key, Stream Events, REST) and Tempo, in plain words')
  .option('--json', 'print the result as JSON')
  .action((opts: { json?: boolean }) => doctorCommand({ ...program.opts(), ...opts }));

// A mistake a user can make ends in one line with a hint, never a stack trace (server/cli/errors.ts);
// --log-level debug adds the stack of an unexpected error.
const debug = debugRequested(process.argv, process.env);
process.on('uncaughtException', (err) => exitWithError(err, debug));
process.on('unhandledRejection', (err) => exitWithError(err, debug));
await program.parseAsync().catch((err: unknown) => exitWithError(err, debug));
