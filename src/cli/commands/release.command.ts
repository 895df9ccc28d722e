import fs from 'node:fs';
import type { Command } from 'commander';
import { systemActor, type Actor } from '../../auth/actor';
import { getUserCredentials } from '../../auth/user.repository';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { datasetForSources } from '../../ingest/import-access';
import {
  approveRelease,
  previewRelease,
  publishApprovedRelease,
  rejectRelease,
  saveReleasePolicy,
  submitRelease,
  type WorkflowContext,
} from '../../publishing/release-workflow.service';
import { listWorkflowReleases, openRelease } from '../../publishing/release-workflow.repository';
import { publishMetadataOnly, withdrawRelease } from '../../publishing/withdraw.service';
import { CliError } from '../cli-error';
import { withDatabase } from '../context';

/**
 * `plaza release:*`: the release workflow from a terminal, through the same services as the web
 * pages and the API. `--as EMAIL` acts as that account (its role and publishers apply, and four
 * eyes compares accounts); without it the command acts as the system.
 */

interface AsOption {
  dataset: string;
  as?: string;
}

async function actorFor(db: Db, email: string | undefined): Promise<Actor> {
  if (!email) return systemActor;
  const found = await getUserCredentials(db, email);
  if (!found || found.user.disabled) throw new CliError(`no active account ${email}`);
  const u = found.user;
  return { kind: 'user', id: `user:${u.id}`, userId: u.id, role: u.role, publisherIds: u.publisherIds, email: u.email };
}

async function run<T>(opts: AsOption, fn: (ctx: WorkflowContext, dataset: Awaited<ReturnType<typeof datasetForSources>>, actor: Actor, config: Config) => Promise<T>): Promise<T> {
  return withDatabase(async (db, config) => {
    const actor = await actorFor(db, opts.as);
    const dataset = await datasetForSources(db, actor, opts.dataset, 'manage');
    return fn({ db, secret: config.secret, gatePolicy: config.releasePolicy }, dataset, actor, config);
  });
}

const withCommon = (c: Command) => c.requiredOption('--dataset <slug>', 'the dataset').option('--as <email>', 'act as this account (default: the system)');

/** Registers the release commands. */
export function register(program: Command): void {
  withCommon(program.command('release:policy').description('save a new version of the dataset\'s release policy from a JSON file ({ policy, settings?, note? } or a bare policy)'))
    .requiredOption('--file <policy.json>', 'the policy JSON')
    .action(async (opts: AsOption & { file: string }) => {
      if (!fs.existsSync(opts.file)) throw new CliError(`no such file: ${opts.file}`);
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
      } catch (err) {
        throw new CliError(`${opts.file} is not valid JSON: ${(err as Error).message}`);
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError(`${opts.file} must hold a JSON object: { policy, settings?, note? } or a bare policy`);
      const wrapped: Record<string, unknown> = 'policy' in json ? (json as Record<string, unknown>) : { policy: json };
      await run(opts, async (ctx, dataset, actor) => {
        // The settings are checked by saveReleasePolicy against the one schema (as for the editor and the API): a bad field is named.
        const r = await saveReleasePolicy(ctx, { dataset, actor, policy: wrapped.policy, settings: wrapped.settings, note: typeof wrapped.note === 'string' ? wrapped.note : '' });
        console.log(`Saved policy version ${r.policyVersion} of ${dataset.slug}; release ${r.release.id} is ${r.release.state}`);
      });
    });

  withCommon(program.command('release:preview').description('run the policy on the current source and print the statement, the report and the gate\'s verdict'))
    .option('--json', 'print the whole preview as JSON')
    .action(async (opts: AsOption & { json?: boolean }) => {
      await run(opts, async (ctx, dataset, actor) => {
        const p = await previewRelease(ctx, { dataset, actor, onProgress: (x) => process.stderr.isTTY && process.stderr.write(`\r${x.phase} ${x.done}/${x.total}   `) });
        if (process.stderr.isTTY) process.stderr.write('\n');
        if (opts.json) {
          console.log(JSON.stringify(p, null, 2));
          return;
        }
        const verdict = p.verdict as { allowed: boolean; checks: { id: string; passed: boolean; reason: string }[] };
        console.log(String(p.statement));
        console.log(`${p.rowCount as number} rows out of ${(p.report as { inputRecords: number }).inputRecords} records`);
        for (const c of verdict.checks) console.log(`${c.passed ? 'PASS' : 'FAIL'} ${c.id}: ${c.reason}`);
        if (!verdict.allowed) process.exitCode = 1;
      });
    });

  withCommon(program.command('release:submit').description('submit the previewed draft for review'))
    .option('--notes <text>', 'release notes shown to the public')
    .action(async (opts: AsOption & { notes?: string }) => {
      await run(opts, async (ctx, dataset, actor) => {
        const r = await submitRelease(ctx, { dataset, actor, notes: opts.notes });
        console.log(`Release ${r.id} of ${dataset.slug} is in review`);
      });
    });

  withCommon(program.command('release:approve').description('approve the release in review (a second steward for personal and special category data)')).action(async (opts: AsOption) => {
    await run(opts, async (ctx, dataset, actor) => {
      const r = await approveRelease(ctx, { dataset, actor });
      console.log(`Release ${r.id} of ${dataset.slug} approved (hash ${r.approvalHash})`);
    });
  });

  withCommon(program.command('release:reject').description('send the release in review back to draft'))
    .requiredOption('--reason <text>', 'why (shown to the submitter)')
    .action(async (opts: AsOption & { reason: string }) => {
      await run(opts, async (ctx, dataset, actor) => {
        const r = await rejectRelease(ctx, { dataset, actor, reason: opts.reason });
        console.log(`Release ${r.id} of ${dataset.slug} sent back to draft`);
      });
    });

  withCommon(program.command('release:publish').description('publish the approved release as the next version')).action(async (opts: AsOption) => {
    await run(opts, async (ctx, dataset, actor) => {
      const p = await publishApprovedRelease(ctx, { dataset, actor });
      console.log(`Published ${dataset.slug} version ${p.version}: ${p.rowCount} rows, sha256 ${p.checksum}`);
    });
  });

  withCommon(program.command('release:withdraw').description('withdraw a published version (downloads answer 410 Gone with the reason)'))
    .requiredOption('--version <n>', 'the version', (v) => Number.parseInt(v, 10))
    .requiredOption('--reason <text>', 'the public reason')
    .action(async (opts: AsOption & { version: number; reason: string }) => {
      await run(opts, async (ctx, dataset, actor) => {
        await withdrawRelease(ctx.db, { datasetId: dataset.id, version: opts.version, reason: opts.reason, actor: actor.id });
        console.log(`Withdrew ${dataset.slug} version ${opts.version}`);
      });
    });

  withCommon(program.command('release:describe').description('list a confidential dataset as a description only (no data)')).action(async (opts: AsOption) => {
    await run(opts, async (ctx, dataset, actor) => {
      await publishMetadataOnly(ctx.db, { datasetId: dataset.id, actor: actor.id });
      console.log(`Listed ${dataset.slug} as a description only`);
    });
  });

  withCommon(program.command('release:status').description('show the release in progress and the published versions')).action(async (opts: AsOption) => {
    await run(opts, async (ctx, dataset) => {
      const open = await openRelease(ctx.db, dataset.id);
      console.log(open ? `In progress: release ${open.id}, ${open.state}, source v${open.sourceVersion}, policy v${open.policyVersion}${open.rejectedReason ? ` (sent back: ${open.rejectedReason})` : ''}` : 'Nothing in progress');
      for (const r of (await listWorkflowReleases(ctx.db, dataset.id)).filter((x) => x.version !== null)) {
        console.log(`v${r.version}\t${r.state}\t${r.rowCount ?? ''} rows\t${r.publishedAt ?? ''}${r.withdrawnReason ? `\t${r.withdrawnReason}` : ''}`);
      }
    });
  });
}
