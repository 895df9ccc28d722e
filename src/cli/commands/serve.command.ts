import type { Command } from 'commander';
import { startServer } from '../../server';

/** `plaza serve`: runs the portal (what `npm start` does). */
export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the portal (PORT, default 3000)')
    .option('-p, --port <port>', 'port to listen on')
    .action(async (opts: { port?: string }) => {
      await startServer(opts.port ? { ...process.env, PORT: opts.port } : process.env);
    });
}
