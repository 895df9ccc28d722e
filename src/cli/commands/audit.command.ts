import fs from 'node:fs';
import type { Command } from 'commander';
import { systemActor } from '../../auth/actor';
import { checkpointNow, verifyChain } from '../../audit/audit.service';
import { CheckpointFileError } from '../../audit/audit-checkpoint';
import { CliError } from '../cli-error';
import { withDatabase } from '../context';

/** `plaza audit:verify` and `plaza audit:checkpoint`. */
export function register(program: Command): void {
  program
    .command('audit:verify')
    .description('recompute the audit chain and check it against the signed checkpoints; exit 0 "OK <n> entries" or 1 naming the first bad entry')
    .option('--checkpoints <file>', 'checkpoint file to hold the chain to (default: the live file, AUDIT_CHECKPOINT_FILE)')
    .option('--public-key <file>', 'PEM key to check checkpoint signatures with (default: the signing key, AUDIT_SIGNING_KEY)')
    .action(async (opts: { checkpoints?: string; publicKey?: string }) => {
      if (opts.checkpoints && !fs.existsSync(opts.checkpoints)) throw new CliError(`no such checkpoint file: ${opts.checkpoints}`);
      if (opts.publicKey && !fs.existsSync(opts.publicKey)) throw new CliError(`no such key file: ${opts.publicKey}`);
      await withDatabase(async (db, config) => {
        const started = Date.now();
        let result;
        try {
          result = await verifyChain(db, config.audit, { checkpointFile: opts.checkpoints, publicKeyFile: opts.publicKey });
        } catch (err) {
          if (err instanceof CheckpointFileError) throw new CliError(`FAIL ${err.message}`, 1);
          throw err;
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        for (const note of result.notes) console.log(`note: ${note}`);
        if (result.ok) {
          console.log(`OK ${result.entries} entries`);
          console.error(`(${result.checkpoints} checkpoints from ${result.checkpointFile}; ${seconds} s)`);
        } else {
          console.log(`FAIL seq ${result.seq}: ${result.reason}`);
          console.error(`(${result.entries} entries verified before the failure; ${seconds} s)`);
          process.exitCode = 1;
        }
      });
    });

  program
    .command('audit:checkpoint')
    .description('sign the head of the audit chain and append it to the checkpoint file (AUDIT_CHECKPOINT_FILE)')
    .action(async () => {
      await withDatabase(async (db, config) => {
        const c = await checkpointNow(db, config.audit, systemActor);
        console.log(`Checkpoint ${c.n}: entry ${c.seq}, hash ${c.hash}`);
        console.log(`Appended to ${config.audit.checkpointFile}; key ${c.keyId} (${config.audit.signingKeyFile})`);
      });
    });
}
