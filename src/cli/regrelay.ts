#!/usr/bin/env node
/**
 * `regrelay`: promotions from CI pipelines, over regrelay's REST API. Exit codes are
 * stable (see exit-codes.ts and docs/promotions.md): 0 done, 1 error, 2 refused, 3 waiting.
 */
import { Command, CommanderError, Option } from 'commander';
import { decideCommands } from './commands/decide.js';
import { historyCommands } from './commands/history.js';
import { promoteCommand } from './commands/promote.js';
import { statusCommands } from './commands/status.js';
import { CliExit, EXIT, lastOutcome, type ExitCode } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('regrelay')
    .description('Promote digests through regrelay pipelines (dev → test → staging → prod)')
    .addOption(
      new Option('--url <url>', 'regrelay URL')
        .env('REGRELAY_URL')
        .default('http://localhost:8080'),
    )
    .addOption(new Option('--token <token>', 'API token').env('REGRELAY_TOKEN'))
    .option('--json', "print the API's objects as JSON")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  promoteCommand(program);
  decideCommands(program);
  statusCommands(program);
  historyCommands(program);
  return program;
}

export async function run(argv: string[]): Promise<ExitCode> {
  const program = buildProgram();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
    return lastOutcome();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.done : EXIT.error; // --help, --version; usage errors
    const json = argv.includes('--json');
    if (error instanceof CliExit) {
      if (json && error.body !== undefined)
        process.stdout.write(JSON.stringify(error.body, null, 2) + '\n');
      process.stderr.write(`regrelay: ${error.message}\n`);
      return error.code;
    }
    process.stderr.write(`regrelay: ${(error as Error).message}\n`);
    return EXIT.error;
  }
}

process.exitCode = await run(process.argv);
