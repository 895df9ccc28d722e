import fs from 'node:fs';
import { appendAudit } from '../../src/audit/audit.repository';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { loadConfig } from '../../src/config';
import { createDb } from '../../src/db/knex';
import { importCsv } from '../../src/ingest/import.service';
import { publishRelease } from '../../src/publishing/publish.service';
import type { Actor } from '../../src/auth/actor';
import { getDatasetBySlug } from '../../src/catalogue/dataset.repository';
import { approveRelease, previewRelease, publishApprovedRelease, saveReleasePolicy, submitRelease } from '../../src/publishing/release-workflow.service';

/**
 * The process the faults suite kills with SIGKILL. It opens the SQLite file the way the portal
 * does and repeats one kind of write for ever, printing `BEGIN …` before each write and `ACK …`
 * only after the write committed — so every ACK line is a promise the database must keep after a
 * crash. Usage: worker <publish|audit|import|workflow> <sqlite file> <id> [csv file].
 */

const [mode, file, id, csvFile] = process.argv.slice(2);

/** Columns of the large releases the publish mode writes. */
export const faultColumns: ColumnSchema[] = [
  { name: 'id', type: 'integer' },
  { name: 'site', type: 'string' },
  { name: 'day', type: 'date' },
  { name: 'value', type: 'number' },
  { name: 'ok', type: 'boolean' },
  { name: 'note', type: 'string' },
];

/** Rows of a publish, in batches, derived from the row number and a per-publish tag. */
export async function* faultRows(total: number, tag: string, batch = 2000): AsyncGenerator<CellValue[][]> {
  for (let start = 0; start < total; start += batch) {
    const rows: CellValue[][] = [];
    for (let i = start; i < Math.min(total, start + batch); i++) {
      rows.push([i + 1, `site ${i % 97}, "north"`, `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, (i * 7919) % 100003 / 100, i % 3 === 0, `${tag} row ${i}`]);
    }
    yield rows;
    // Yield to the event loop between batches, as a request handler would.
    await new Promise((r) => setImmediate(r));
  }
}

const say = (line: string) => process.stdout.write(line + '\n');

async function main() {
  const db = await createDb('sqlite:' + file);
  const datasetIds = Object.fromEntries(((await db('datasets').select('id', 'slug')) as Array<{ id: number; slug: string }>).map((r) => [r.slug, Number(r.id)]));
  const limits = loadConfig({ NODE_ENV: 'test', PLAZA_DATA_DIR: '/tmp' }, { ensureSecret: false }).import;
  say('READY');
  const rows = Number(process.env.FAULTS_ROWS ?? 20_000);
  for (let n = 1; ; n++) {
    if (mode === 'publish') {
      const tag = `${id}-${n}`;
      say(`BEGIN publish ${tag}`);
      const r = await publishRelease(db, { datasetId: datasetIds['faults-publish'], columns: faultColumns, batches: faultRows(rows, tag), actor: `faults:${id}`, notes: tag });
      say(`ACK publish ${r.releaseId} ${r.version} ${r.rowCount} ${r.checksum} ${tag}`);
    } else if (mode === 'audit') {
      // Several writers per process (and several processes): each appends a change and the audit
      // entry that records it in one transaction (DESIGN.md §8.7).
      const writers = Number(process.env.FAULTS_AUDIT_WRITERS ?? 4);
      await Promise.all(
        Array.from({ length: writers }, async (_, k) => {
          const writer = `${id}.${k}`;
          for (let m = 1; ; m++) {
            say(`BEGIN audit ${writer} ${m}`);
            const seq = await db.transaction(async (trx) => {
              await trx('datasets').where({ id: datasetIds['faults-audit'] }).update({ summary: `writer ${writer} change ${m}`, modified_at: new Date().toISOString() });
              const e = await appendAudit(trx, { actor: `faults:${id}`, action: 'dataset.updated', objectType: 'dataset', objectId: datasetIds['faults-audit'], details: { writer, n: m } });
              return e.seq;
            });
            say(`ACK audit ${writer} ${m} ${seq}`);
          }
        }),
      );
    } else if (mode === 'import') {
      say(`BEGIN import ${id} ${n}`);
      const r = await importCsv(db, limits, { datasetSlug: 'faults-import', input: fs.createReadStream(csvFile), filename: `faults-${n}.csv`, actor: `faults:${id}`, mode: 'replace' });
      say(`ACK import ${r.source.id} ${r.source.version} ${r.source.rows} ${r.sha256}`);
    } else if (mode === 'workflow') {
      // The release workflow end to end: a new policy version, preview, submit, a second steward's
      // approval and the publish of the approved release.
      const tag = `${id}-${n}`;
      const ctx = { db, secret: 'faults', inline: true };
      const steward: Actor = { kind: 'system', id: `faults:${id}:steward` };
      const approver: Actor = { kind: 'system', id: `faults:${id}:approver` };
      const dataset = (await getDatasetBySlug(db, 'faults-workflow'))!;
      say(`BEGIN workflow ${tag}`);
      await saveReleasePolicy(ctx, { dataset, policy: { version: 1, seed: tag, steps: [{ op: 'drop', columns: ['note'] }] }, actor: steward });
      await previewRelease(ctx, { dataset, actor: steward });
      await submitRelease(ctx, { dataset, actor: steward, notes: tag });
      await approveRelease(ctx, { dataset, actor: approver });
      const r = await publishApprovedRelease(ctx, { dataset, actor: approver });
      say(`ACK workflow ${r.releaseId} ${r.version} ${r.rowCount} ${r.checksum} ${tag}`);
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
