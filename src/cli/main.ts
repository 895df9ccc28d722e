#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { AppError, ConfigError } from '../errors';
import { CliError } from './cli-error';
import { register as registerAnonymise } from './commands/anonymise.command';
import { register as registerAudit } from './commands/audit.command';
import { register as registerDatabase } from './commands/database.command';
import { register as registerImport } from './commands/import.command';
import { register as registerProtectTable } from './commands/protect-table.command';
import { register as registerRelease } from './commands/release.command';
import { register as registerServe } from './commands/serve.command';
import { register as registerStream } from './commands/stream.command';
import { register as registerUser } from './commands/user.command';

/** Builds the `plaza` command with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('plaza')
    .description('Plaza: a city open data portal that publishes data safely')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [registerDatabase, registerServe, registerImport, registerUser, registerAudit, registerAnonymise, registerProtectTable, registerStream, registerRelease]) {
    register(program);
  }
  return program;
}

/** Runs the CLI; maps errors to messages and exit codes (2 usage/input, 1 other failures). */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError) {
      console.error(`plaza: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      console.error(`plaza: ${err.message}`);
      return 2;
    }
    if (err instanceof AppError) {
      console.error(`plaza: ${err.message}`);
      return err.status < 500 ? 2 : 1;
    }
    console.error(`plaza: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  run(process.argv).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
