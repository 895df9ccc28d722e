/**
 * Release workflow benchmark (`npm run bench:release`, issue 6).
 *
 * A 1,000,000-row, 7-column personal source (claims: id, age, sex, postcode, ward, household
 * type, weekly award) in a fresh SQLite file, taken through the workflow twice — under a table
 * policy (age bands × ward × household type, threshold 10, secondary suppression, interval audit)
 * and under a k-anonymity policy (k = 5, 4% suppression, DM, five quasi-identifiers) — with the
 * preview and the publish each timed, the policy running in its worker thread as in the server.
 * Baseline in the same run: publishing the source unchanged (read in keyset batches → atomic
 * publish). Figures: seconds, the ratio to the baseline, and the peak RSS of the process (the
 * server's role here: main thread plus the policy worker), sampled every 20 ms.
 * Environment: BENCH_ROWS (default 1,000,000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Actor } from '../src/auth/actor';
import { getDatasetBySlug, insertDataset } from '../src/catalogue/dataset.repository';
import { createPublisher } from '../src/catalogue/reference.repository';
import type { CellValue, ColumnSchema } from '../src/catalogue/table-schema';
import { insertRows, iterateRows } from '../src/db/data-table';
import { createDb } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { createSource, setSourceRowCount } from '../src/ingest/source.repository';
import type { PolicyInput } from '../src/privacy';
import { publishRelease } from '../src/publishing/publish.service';
import { approveRelease, previewRelease, publishApprovedRelease, saveReleasePolicy, submitRelease } from '../src/publishing/release-workflow.service';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-release-bench-'));

const columns: ColumnSchema[] = [
  { name: 'claim_ref', type: 'string', role: 'direct_identifier' },
  { name: 'age', type: 'integer', role: 'quasi_identifier' },
  { name: 'sex', type: 'string', role: 'quasi_identifier' },
  { name: 'postcode', type: 'string', role: 'quasi_identifier' },
  { name: 'ward', type: 'string', role: 'quasi_identifier' },
  { name: 'household_type', type: 'string', role: 'quasi_identifier' },
  { name: 'weekly_award', type: 'number', role: 'sensitive' },
];
const wards = ['Abbey', 'Castle', 'Eastbrook', 'Hillcrest', 'Northgate', 'Riverside', 'Southfield', 'Westway'];
const types = ['Single, no children', 'Couple, no children', 'Lone parent', 'Couple with children', 'Pensioner'];
const letters = 'ABDEFGHJLNPQRSTUWXYZ';

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* sourceRows(): Generator<CellValue[][]> {
  const r = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  let batch: CellValue[][] = [];
  for (let i = 0; i < rows; i++) {
    const district = 1 + Math.floor(r() * 6);
    batch.push([
      `HB${String(1_000_000 + i)}`,
      18 + Math.floor(r() * 78),
      r() < 0.58 ? 'F' : 'M',
      `AT${district} ${1 + Math.floor(r() * 9)}${pick([...letters])}${pick([...letters])}`,
      pick(wards),
      pick(types),
      Math.round((40 + r() * 200) * 100) / 100,
    ]);
    if (batch.length === 5000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

const tablePolicy: PolicyInput = {
  version: 1,
  seed: 'bench-table',
  steps: [
    { op: 'generalise', column: 'age', hierarchy: { type: 'interval', breaks: [[18, 25, 35, 50, 65]] }, level: 1 },
    { op: 'protect-table', dimensions: ['ward', 'age', 'household_type'], rules: [{ type: 'threshold', min: 10 }], secondary: true, audit: true },
  ],
};
const kPolicy: PolicyInput = {
  version: 1,
  seed: 'bench-k',
  steps: [
    { op: 'drop', columns: ['claim_ref'] },
    {
      op: 'k-anonymity', k: 5, suppressionLimit: 0.04, metric: 'dm',
      quasiIdentifiers: [
        { column: 'age', hierarchy: { type: 'interval', widths: [5, 10, 20, 40] } },
        { column: 'sex', hierarchy: { type: 'table', rows: [['F', '*'], ['M', '*']] } },
        { column: 'postcode', hierarchy: { type: 'postcode', levels: ['sector', 'district', 'area'] } },
        { column: 'ward', hierarchy: { type: 'table', rows: wards.map((w) => [w, '*']) } },
        { column: 'household_type', hierarchy: { type: 'table', rows: types.map((t) => [t, '*']) } },
      ],
      criteria: [],
    },
  ],
};

/** Peak RSS while fn runs, sampled every 20 ms. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = process.hrtime.bigint();
  try {
    const value = await fn();
    return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const db = await createDb('sqlite:' + path.join(dir, 'bench.db'));
  await migrateLatest(db);
  const publisher = await db.transaction((trx) => createPublisher(trx, { slug: 'revenues-and-benefits', name: 'Revenues and Benefits' }));
  const make = async (slug: string) => {
    const id = await db.transaction((trx) =>
      insertDataset(trx, {
        slug, title: slug, summary: '', description: '', publisherId: publisher.id, licenceId: 'OGL-UK-3.0', updateFrequency: 'irregular', temporalStart: null, temporalEnd: null,
        spatialCoverage: null, contactName: null, contactEmail: null, sensitivityLevel: 'personal', listMetadataOnly: false, accessRequest: '', themeIds: [], keywords: [],
      }),
    );
    const load = await measured(() =>
      db.transaction(async (trx) => {
        const s = await createSource(trx, { datasetId: id, columns, filename: `${slug}.csv`, createdBy: 'bench' });
        for (const b of sourceRows()) await insertRows(trx, s.tableName, columns, b);
        await setSourceRowCount(trx, s.id, rows);
        return s;
      }),
    );
    return { id, source: load.value, loadSeconds: load.seconds };
  };
  console.log(`Release workflow bench: ${rows.toLocaleString('en-GB')} rows × ${columns.length} columns, SQLite file, Node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  const base = await make('baseline-copy');
  // A second connection reads while the publish transaction holds the write lock (as the server's release reader does).
  const reader = await createDb('sqlite:' + path.join(dir, 'bench.db'));
  const baseline = await measured(() => publishRelease(db, { datasetId: base.id, columns, batches: iterateRows(reader, base.source.tableName, columns, 5000), actor: 'bench' }));
  await reader.destroy();
  console.log(`baseline  publish unchanged (read + atomic publish): ${baseline.seconds.toFixed(2)} s, peak RSS ${baseline.peakMb} MB`);

  const a: Actor = { kind: 'system', id: 'system:bench-steward' };
  const b: Actor = { kind: 'system', id: 'system:bench-approver' };
  const ctx = { db, secret: 'bench-secret' };
  for (const [label, policy] of [['table', tablePolicy], ['k-anonymity', kPolicy]] as const) {
    const slug = `bench-${label.replace(/[^a-z]/g, '')}`;
    await make(slug);
    const dataset = (await getDatasetBySlug(db, slug))!;
    await saveReleasePolicy(ctx, { dataset, policy, actor: a });
    const preview = await measured(() => previewRelease(ctx, { dataset, actor: a }));
    await submitRelease(ctx, { dataset, actor: a });
    await approveRelease(ctx, { dataset, actor: b });
    const publish = await measured(() => publishApprovedRelease(ctx, { dataset, actor: b }));
    const verdict = preview.value.verdict as { allowed: boolean };
    console.log(
      `${label.padEnd(11)} preview ${preview.seconds.toFixed(2)} s (${(preview.seconds / baseline.seconds).toFixed(2)}× baseline, peak RSS ${preview.peakMb} MB) · ` +
        `publish ${publish.seconds.toFixed(2)} s (${(publish.seconds / baseline.seconds).toFixed(2)}× baseline, peak RSS ${publish.peakMb} MB) · ` +
        `${publish.value.rowCount.toLocaleString('en-GB')} rows out, gate ${verdict.allowed ? 'passed' : 'refused'}`,
    );
  }
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
