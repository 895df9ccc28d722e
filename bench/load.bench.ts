import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { insertDataset } from '../src/catalogue/dataset.repository';
import type { CellValue, ColumnSchema } from '../src/catalogue/table-schema';
import { createDb } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { publishRelease } from '../src/publishing/publish.service';
import { seedDemoCity } from '../seeds/demo-city.seed';
import { Rng } from '../seeds/lib/rng';
import { startBenchServer } from './lib/bench-util';

/**
 * bench:load — the portal as citizens and scripts use it: autocannon, 30 s at 50 connections, one
 * run each, against the home page, a search, a dataset page, API search, CKAN package_search and
 * a 10,000-row CSV download. The server runs in a child process (bench/catalogue-server.ts, rate
 * limits lifted) on a SQLite file with the demo city and a 10,000-row release, with the download
 * file cache on as in a deployment (the first download fills it). Targets: zero
 * errors; p99 < 200 ms for pages and API. A target whose route does not exist yet is skipped.
 * Options: BENCH_DURATION (s), BENCH_CONNECTIONS, BENCH_ROWS, BENCH_ONLY (comma-separated names).
 */

const duration = Number(process.env.BENCH_DURATION ?? 30);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const rowsWanted = Number(process.env.BENCH_ROWS ?? 10_000);
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

interface Target {
  name: string;
  path: string;
  /** Pages and API answers are held to p99 < 200 ms; the download is reported only. */
  latencyTarget: boolean;
}

interface Row {
  name: string;
  path: string;
  reqPerSec: number;
  mbPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  requests: number;
  /** Connection errors, timeouts included (autocannon's `errors`). */
  errors: number;
  /** Requests that got no answer within autocannon's 10 s timeout. */
  timeouts: number;
  non2xx: number;
  latencyTarget: boolean;
}

const columns: ColumnSchema[] = [
  { name: 'id', type: 'integer' },
  { name: 'site', type: 'string' },
  { name: 'measured_on', type: 'date' },
  { name: 'pollutant', type: 'string' },
  { name: 'value', type: 'number' },
  { name: 'verified', type: 'boolean' },
];

function rowsOf(n: number): CellValue[][] {
  const rng = new Rng(11);
  const sites = ['Market Street', 'Castle Quay', 'Station Road', 'Riverside, North', 'Abbey "Walk"'];
  const pollutants = ['pm25', 'pm10', 'no2', 'o3'];
  return Array.from({ length: n }, (_, i) => [
    i + 1,
    sites[rng.int(0, sites.length - 1)],
    `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    pollutants[rng.int(0, pollutants.length - 1)],
    Math.round(rng.next() * 10000) / 100,
    rng.next() < 0.5,
  ]);
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

async function run(base: string, t: Target): Promise<Row> {
  const r = await autocannon({ url: base + t.path, connections, duration });
  return {
    name: t.name,
    path: t.path,
    reqPerSec: r.requests.average,
    mbPerSec: r.throughput.average / 1024 / 1024,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    requests: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    latencyTarget: t.latencyTarget,
  };
}

async function main() {
  console.log(`bench:load on ${machine()}`);
  console.log(`autocannon: ${connections} connections, ${duration} s per target, one run each`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-load-bench-'));
  const url = 'sqlite:' + path.join(dir, 'bench.db');
  const db = await createDb(url);
  await migrateLatest(db);
  await seedDemoCity(db);
  const publisher = (await db('publishers').where({ slug: 'environmental-health' }).first('id')) as { id: number };
  const datasetId = await insertDataset(db, {
    slug: 'load-bench-readings',
    title: 'Load bench readings',
    summary: `A ${rowsWanted.toLocaleString('en-GB')}-row release for the load benchmark.`,
    description: '',
    publisherId: Number(publisher.id),
    licenceId: 'OGL-UK-3.0',
    updateFrequency: 'daily',
    temporalStart: null,
    temporalEnd: null,
    spatialCoverage: 'Anytown',
    contactName: null,
    contactEmail: null,
    sensitivityLevel: 'public',
    listMetadataOnly: false,
    accessRequest: '',
    themeIds: [],
    keywords: ['bench'],
  });
  const release = await publishRelease(db, { datasetId, columns, batches: [rowsOf(rowsWanted)], actor: 'system' });
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.destroy();
  console.log(`seeded the demo city and a ${release.rowCount}-row release (${(release.byteSize / 1024).toFixed(0)} KiB of CSV)`);

  const targets: Target[] = [
    { name: 'home', path: '/', latencyTarget: true },
    { name: 'search page', path: '/datasets?q=air+quality', latencyTarget: true },
    { name: 'dataset page', path: '/datasets/air-quality-hourly', latencyTarget: true },
    { name: 'API search', path: '/api/v1/datasets?q=air', latencyTarget: true },
    { name: 'CKAN package_search', path: '/api/3/action/package_search?q=air', latencyTarget: true },
    { name: `CSV download (${release.rowCount} rows)`, path: `/datasets/load-bench-readings/releases/${release.version}/data.csv`, latencyTarget: false },
  ].filter((t) => !only || only.some((o) => t.name.toLowerCase().includes(o.toLowerCase())));

  const server = await startBenchServer('bench/catalogue-server.ts', { BENCH_DATABASE_URL: url, RATE_LIMIT_ANONYMOUS: '100000000', DOWNLOAD_CACHE_DIR: path.join(dir, 'download-cache') });
  const base = `http://127.0.0.1:${server.port}`;
  const rows: Row[] = [];
  try {
    for (const t of targets) {
      const probe = await fetch(base + t.path);
      await probe.arrayBuffer();
      if (probe.status === 404) {
        console.log(`skipped ${t.name}: ${t.path} answers 404 (the route does not exist yet)`);
        continue;
      }
      if (!probe.ok) throw new Error(`${t.path} answered ${probe.status} before the run`);
      await autocannon({ url: base + t.path, connections: 4, duration: 2 }); // warm up
      const row = await run(base, t);
      rows.push(row);
      console.log(`  ${t.name}: ${row.reqPerSec.toFixed(0)} req/s, p99 ${row.p99} ms`);
    }
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\n| target | path | req/s | MB/s | p50 ms | p99 ms | p99.9 ms | requests | errors (of which timeouts) | non-2xx |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | \`${r.path}\` | ${r.reqPerSec.toFixed(0)} | ${r.mbPerSec.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.requests} | ${r.errors} (${r.timeouts}) | ${r.non2xx} |`,
    );
  }
  const errorFree = rows.every((r) => r.errors === 0 && r.non2xx === 0);
  const slow = rows.filter((r) => r.latencyTarget && r.p99 >= 200);
  console.log(`\nTargets: zero errors and non-2xx: ${errorFree ? 'met' : 'MISSED'}; p99 < 200 ms for pages and API: ${slow.length ? 'MISSED (' + slow.map((r) => `${r.name} ${r.p99} ms`).join(', ') + ')' : 'met'}`);
  console.log(`Machine: ${machine()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
