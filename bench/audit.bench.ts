/**
 * `npm run bench:audit`: audit chain throughput and verification speed.
 *
 *  1. Appends per second with 8 concurrent writers, on SQLite (a file database in a temp folder)
 *     and PostgreSQL (a fresh schema in PLAZA_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test),
 *     each next to a baseline measured in the same run: the same rows inserted, one transaction each,
 *     into an unchained table. The ratio is the price of the hash chain and its serialisation.
 *  2. `audit:verify` over 1,000,000 entries on SQLite (target < 10 s), streamed in keyset batches.
 *
 * Options (environment): BENCH_APPENDS (per writer, SQLite, default 1000), BENCH_PG_APPENDS (per
 * writer, default 150), BENCH_VERIFY_ENTRIES (default 1000000), BENCH_SKIP_PG=1.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendAudit } from '../src/audit/audit.repository';
import { canonicalJson, genesisHash, hashAuditRecord, type AuditRecord } from '../src/audit/audit-hash';
import { verifyAuditChain } from '../src/audit/audit-verify';
import { createDb, type Db } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';

const writers = 8;
const sqliteAppends = Number(process.env.BENCH_APPENDS ?? 1000);
const pgAppends = Number(process.env.BENCH_PG_APPENDS ?? 150);
const verifyEntries = Number(process.env.BENCH_VERIFY_ENTRIES ?? 1_000_000);
const pgUrl = process.env.PLAZA_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

const details = (w: number, i: number) => ({ release: w, row: i, format: 'csv', filter: 'ward=Central' });

async function concurrently(perWriter: number, fn: (w: number, i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < perWriter; i++) await fn(w, i);
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (writers * perWriter) / seconds;
}

async function measureAppends(db: Db, perWriter: number): Promise<{ chained: number; baseline: number }> {
  await db.schema.createTable('bench_plain_log', (t) => {
    t.increments('id').primary();
    t.string('at', 32).notNullable();
    t.string('actor', 100).notNullable();
    t.string('action', 64).notNullable();
    t.string('outcome', 16).notNullable();
    t.text('details').notNullable();
  });
  // Warm up both paths (connections, statement caches).
  for (let i = 0; i < 20; i++) await appendAudit(db, { actor: 'system', action: 'download.release', details: details(0, i) });
  const baseline = await concurrently(perWriter, (w, i) =>
    db.transaction((trx) => trx('bench_plain_log').insert({ at: new Date().toISOString(), actor: `user:${w}`, action: 'download.release', outcome: 'success', details: canonicalJson(details(w, i)) })),
  );
  const chained = await concurrently(perWriter, (w, i) =>
    db.transaction((trx) => appendAudit(trx, { actor: `user:${w}`, action: 'download.release', objectType: 'release', objectId: w, datasetId: w + 1, client: '10.0.0.1', details: details(w, i) })),
  );
  const check = await verifyAuditChain(db);
  if (!check.ok) throw new Error(`chain broken after the bench: ${check.reason}`);
  return { chained, baseline };
}

function report(name: string, r: { chained: number; baseline: number }): void {
  console.log(
    `${name.padEnd(10)} chained ${r.chained.toFixed(0).padStart(7)} appends/s   baseline ${r.baseline.toFixed(0).padStart(7)} inserts/s   ratio ${(r.chained / r.baseline).toFixed(2)}`,
  );
}

/** Writes a valid chain of n entries directly (bulk, in one transaction per 2,000 rows). */
async function fillChain(db: Db, n: number): Promise<void> {
  let prev = genesisHash;
  const batch = 2000;
  const t0 = new Date('2026-01-01T00:00:00Z').getTime();
  for (let start = 1; start <= n; start += batch) {
    const rows: Record<string, unknown>[] = [];
    for (let seq = start; seq < Math.min(start + batch, n + 1); seq++) {
      const rec: AuditRecord = {
        seq,
        at: new Date(t0 + seq * 1000).toISOString(),
        actor: seq % 3 ? `user:${seq % 50}` : 'anonymous',
        action: 'download.release',
        objectType: 'release',
        objectId: String(seq % 500),
        outcome: 'success',
        requestId: crypto.randomUUID(),
        client: seq % 3 ? '10.0.0.1' : 'h:' + 'ab'.repeat(16),
        details: canonicalJson({ dataset: 'bench', format: 'csv', rows: seq % 1000 }),
        prevHash: prev,
        datasetId: seq % 7 ? null : 1,
      };
      const hash = hashAuditRecord(rec);
      rows.push({
        seq,
        at: rec.at,
        actor: rec.actor,
        action: rec.action,
        object_type: rec.objectType,
        object_id: rec.objectId,
        outcome: rec.outcome,
        request_id: rec.requestId,
        client: rec.client,
        details: rec.details,
        prev_hash: rec.prevHash,
        hash,
        dataset_id: rec.datasetId,
      });
      prev = hash;
    }
    await db.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await trx('audit_log').insert(rows.slice(i, i + 500));
    });
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-audit-bench-'));
  try {
    console.log(`Audit chain bench: ${writers} concurrent writers; node ${process.version}; ${os.cpus().length} CPUs\n`);
    const sqlite = await createDb('sqlite:' + path.join(dir, 'appends.db'));
    await migrateLatest(sqlite);
    report('SQLite', await measureAppends(sqlite, sqliteAppends));
    await sqlite.destroy();

    if (process.env.BENCH_SKIP_PG !== '1') {
      const schema = 'bench_' + crypto.randomBytes(4).toString('hex');
      const pg = await createDb(pgUrl, { schema, poolMax: writers + 2 });
      try {
        await migrateLatest(pg);
        report('PostgreSQL', await measureAppends(pg, pgAppends));
        const sc = (await pg.raw('SHOW synchronous_commit')) as { rows: Array<{ synchronous_commit: string }> };
        console.log(`           (PostgreSQL synchronous_commit=${sc.rows[0].synchronous_commit}: every commit waits for a WAL flush)`);
      } catch (err) {
        console.log(`PostgreSQL skipped: ${(err as Error).message}`);
      } finally {
        await pg.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        await pg.destroy();
      }
    }

    console.log(`\nBuilding a chain of ${verifyEntries.toLocaleString('en-GB')} entries on SQLite…`);
    const big = await createDb('sqlite:' + path.join(dir, 'verify.db'));
    await migrateLatest(big);
    let t = Date.now();
    await fillChain(big, verifyEntries);
    console.log(`  built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await verifyAuditChain(big);
    const seconds = (Date.now() - t) / 1000;
    const heapDelta = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
    console.log(`audit:verify  OK ${result.entries} entries in ${seconds.toFixed(2)} s (${(result.entries / seconds).toFixed(0)} entries/s; heap +${heapDelta.toFixed(0)} MB; target < 10 s)`);
    await big.destroy();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
