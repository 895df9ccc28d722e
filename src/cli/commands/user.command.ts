import type { Command } from 'commander';
import { roles, systemActor, type Role } from '../../auth/actor';
import { systemContext } from '../../auth/auth-context';
import { getPublisherBySlug } from '../../catalogue/reference.repository';
import { createUser } from '../../auth/user.service';
import { absolute } from '../../http/urls';
import { CliError } from '../cli-error';
import { withDatabase } from '../context';

/** `plaza user:create`: accounts for stewards and admins (the first admin of a deployment too). */
export function register(program: Command): void {
  program
    .command('user:create')
    .description('create an account and print a one-time link to set its password')
    .requiredOption('--email <email>', 'email address (the sign-in name)')
    .requiredOption('--role <role>', `one of ${roles.join(', ')}`)
    .option('--publisher <slug...>', 'publisher(s) a steward is scoped to (repeatable)')
    .option('--name <name>', 'display name', '')
    .action(async (opts: { email: string; role: string; publisher?: string[]; name: string }) => {
      if (!(roles as readonly string[]).includes(opts.role)) throw new CliError(`--role must be one of ${roles.join(', ')}, got "${opts.role}"`);
      const role = opts.role as Role;
      if (role === 'steward' && !opts.publisher?.length) throw new CliError('a steward needs at least one --publisher <slug>');
      if (role !== 'steward' && opts.publisher?.length) throw new CliError('--publisher applies to stewards only');
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(opts.email)) throw new CliError(`--email is not an email address: "${opts.email}"`);
      await withDatabase(async (db, config) => {
        const publisherIds: number[] = [];
        for (const slug of opts.publisher ?? []) {
          const p = await getPublisherBySlug(db, slug);
          if (!p) throw new CliError(`no publisher with the slug "${slug}"`);
          publisherIds.push(p.id);
        }
        const { user, linkPath } = await createUser(db, systemContext(systemActor), { email: opts.email, displayName: opts.name, role, publisherIds });
        console.log(`Created ${user.role} ${user.email} (user:${user.id}).`);
        console.log('Send them this one-time link to set their password (valid for 72 hours, shown only now):');
        console.log(absolute(config.baseUrl, linkPath));
      });
    });
}
