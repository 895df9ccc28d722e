import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { insertDataset } from '../src/catalogue/dataset.repository';
import { createPublisher } from '../src/catalogue/reference.repository';
import type { CellValue, ColumnSchema } from '../src/catalogue/table-schema';
import { createDb } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { publishRelease } from '../src/publishing/publish.service';
import { Rng } from '../seeds/lib/rng';
import { startBenchServer } from './lib/bench-util';
import { datasetInput } from '../test/helpers/datasets';

/**
 * bench:download — a 1,000,000-row, 7-column release in a temporary SQLite file, served by the
 * portal in a child process. Downloads it over HTTP as CSV and as JSON (the client discards the
 * bytes), exports the same table with the sqlite3 CLI (`sqlite3 -csv`) in the same run, and runs
 * 20 concurrent CSV downloads, sampling the server's RSS from /proc. Also reports CPU seconds per
 * download (server from /proc, CLI from bash's `time`), which a loaded shared machine distorts far
 * less than wall time. Options: BENCH_ROWS, BENCH_REPEAT (runs per measurement, best taken),
 * BENCH_CONCURRENCY, BENCH_KEEP=1 (keep the database), BENCH_DB=<file> (reuse a kept database).
 */

const rowsWanted = Number(process.env.BENCH_ROWS ?? 1_000_000);
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);

const columns: ColumnSchema[] = [
  { name: 'id', type: 'integer' },
  { name: 'site', type: 'string' },
  { name: 'category', type: 'string' },
  { name: 'measured_on', type: 'date' },
  { name: 'value', type: 'number' },
  { name: 'count', type: 'integer' },
  { name: 'verified', type: 'boolean' },
];

function* batches(rng: Rng): Generator<CellValue[][]> {
  const sites = ['Market Street', 'Castle Quay', 'Station Road', 'Riverside', 'Abbey Walk, North', 'Hillcrest "Top"', 'Parkside'];
  const categories = ['pm25', 'pm10', 'no2', 'o3', '=SUM(A1)', 'so2'];
  const size = 10_000;
  for (let start = 0; start < rowsWanted; start += size) {
    const rows: CellValue[][] = [];
    for (let i = start; i < Math.min(rowsWanted, start + size); i++) {
      const day = 1 + (i % 28);
      rows.push([
        i + 1,
        sites[rng.int(0, sites.length - 1)],
        categories[rng.int(0, categories.length - 1)],
        `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
        Math.round(rng.next() * 100000) / 100,
        rng.int(0, 5000),
        rng.next() < 0.5,
      ]);
    }
    yield rows;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples a process's RSS every 20 ms while a task runs; returns the task's result and the peak. */
async function withPeakRss<T>(pid: number, task: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 20);
  try {
    const result = await task();
    peak = Math.max(peak, rssOf(pid));
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

/** GETs a URL and discards the body; resolves with the byte count. */
function fetchDiscard(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Runs the CLI export (output discarded); resolves with its CPU seconds (user + system, from bash's `time`). */
function runCli(file: string, table: string): Promise<number> {
  const sql = `SELECT ${columns.map((_, i) => 'c' + i).join(', ')} FROM ${table} ORDER BY _row`;
  return new Promise((resolve, reject) => {
    const script = 'TIMEFORMAT="%U %S"; time sqlite3 -csv -header "$0" "$1" > /dev/null';
    const child = spawn('bash', ['-c', script, file, sql], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => {
      const m = /([\d.]+) ([\d.]+)\s*$/.exec(err);
      if (code === 0 && m) resolve(Number(m[1]) + Number(m[2]));
      else reject(new Error(`sqlite3 exited with ${code}: ${err}`));
    });
    child.on('error', reject);
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t0 = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

async function best<T>(n: number, fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let out: { ms: number; result: T } | undefined;
  for (let i = 0; i < n; i++) {
    const r = await timed(fn);
    if (!out || r.ms < out.ms) out = r;
  }
  return out!;
}

/** The least CPU seconds of n runs (load from other processes inflates wall time far more than CPU time). */
async function leastCpu(n: number, fn: () => Promise<number>): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < n; i++) least = Math.min(least, await fn());
  return least;
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

async function main() {
  // BENCH_DB reuses a database an earlier run kept (BENCH_KEEP=1 prints its path) and skips the build.
  const reuse = process.env.BENCH_DB;
  const dir = reuse ? path.dirname(reuse) : fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-download-bench-'));
  const file = reuse ?? path.join(dir, 'bench.db');
  const url = 'sqlite:' + file;
  let release: { version: number; rowCount: number; byteSize: number; tableName: string };
  if (reuse) {
    const db = await createDb(url);
    const row = (await db('releases').orderBy('id', 'desc').first()) as { version: number; row_count: number; byte_size: number; table_name: string };
    await db.destroy();
    release = { version: row.version, rowCount: Number(row.row_count), byteSize: Number(row.byte_size), tableName: row.table_name };
    console.log(`Reusing ${file}: version ${release.version}, ${release.rowCount} rows, ${mb(release.byteSize)} MB of CSV`);
  } else {
    console.log(`Building a ${rowsWanted.toLocaleString('en-GB')}-row, ${columns.length}-column release in ${file} …`);
    const db = await createDb(url);
    await migrateLatest(db);
    const publisher = await createPublisher(db, { slug: 'bench', name: 'Bench' });
    const datasetId = await insertDataset(db, datasetInput({ slug: 'bench-readings', title: 'Bench readings', summary: 'Synthetic readings for the download benchmark.', publisherId: publisher.id, keywords: ['bench'] }));
    const build = await timed(() => publishRelease(db, { datasetId, columns, batches: batches(new Rng(7)), actor: 'system' }));
    release = build.result;
    await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
    await db.destroy();
    console.log(`Published version ${release.version} (${release.rowCount} rows, ${mb(release.byteSize)} MB of CSV) in ${(build.ms / 1000).toFixed(1)} s`);
  }

  let cliCpu = Infinity;
  const cli = await best(repeat, async () => {
    cliCpu = Math.min(cliCpu, await runCli(file, release.tableName));
  });

  const server = await startBenchServer('bench/catalogue-server.ts', { BENCH_DATABASE_URL: url, RATE_LIMIT_ANONYMOUS: '100000' });
  const base = `http://127.0.0.1:${server.port}`;
  const pid = server.child.pid!;
  try {
    const csvUrl = `${base}/datasets/bench-readings/releases/${release.version}/data.csv`;
    const jsonUrl = `${base}/datasets/bench-readings/releases/${release.version}/data.json`;
    await fetchDiscard(`${csvUrl}?limit=1000`); // warm up
    const rss0 = rssOf(pid);
    const csv = await withPeakRss(pid, () => best(repeat, () => fetchDiscard(csvUrl)));
    if (csv.result.result !== release.byteSize) throw new Error(`CSV size ${csv.result.result} != ${release.byteSize}`);
    const rss1 = rssOf(pid);
    const json = await withPeakRss(pid, () => best(repeat, () => fetchDiscard(jsonUrl)));
    const rss2 = rssOf(pid);
    // CPU seconds the server spends per download (a noisy shared machine inflates wall time).
    const serverCpu = (u: string) => leastCpu(repeat, async () => {
      const c0 = cpuOf(pid);
      await fetchDiscard(u);
      return cpuOf(pid) - c0;
    });
    const csvCpu = await serverCpu(csvUrl);
    const jsonCpu = await serverCpu(jsonUrl);
    const many = await withPeakRss(pid, () => timed(() => Promise.all(Array.from({ length: concurrency }, () => fetchDiscard(csvUrl)))));

    const row = (name: string, ms: number, bytes: number, vsCli: boolean) =>
      `| ${name} | ${(ms / 1000).toFixed(2)} | ${mb(bytes)} | ${((bytes / 1024 / 1024) / (ms / 1000)).toFixed(0)} | ${vsCli ? ((cli.ms / ms) * 100).toFixed(0) + '%' : '—'} |`;
    console.log('\n| export | seconds (best of ' + repeat + ') | MB | MB/s | speed vs sqlite3 CLI |');
    console.log('|---|---|---|---|---|');
    console.log(`| sqlite3 -csv (CLI, to /dev/null) | ${(cli.ms / 1000).toFixed(2)} | ${mb(release.byteSize)} | ${((release.byteSize / 1024 / 1024) / (cli.ms / 1000)).toFixed(0)} | 100% |`);
    console.log(row('HTTP data.csv', csv.result.ms, csv.result.result, true));
    console.log(row('HTTP data.json', json.result.ms, json.result.result, true));
    const totalBytes = many.result.result.reduce((a, b) => a + b, 0);
    console.log(row(`${concurrency} concurrent data.csv (all done)`, many.result.ms, totalBytes, false));
    console.log('\n| CPU seconds (least of ' + repeat + ') | s | CLI CPU / server CPU |');
    console.log('|---|---|---|');
    console.log(`| sqlite3 -csv (CLI) | ${cliCpu.toFixed(2)} | 100% |`);
    console.log(`| server, data.csv | ${csvCpu.toFixed(2)} | ${((cliCpu / csvCpu) * 100).toFixed(0)}% |`);
    console.log(`| server, data.json | ${jsonCpu.toFixed(2)} | ${((cliCpu / jsonCpu) * 100).toFixed(0)}% |`);
    console.log('\n| server RSS | MB |');
    console.log('|---|---|');
    console.log(`| before downloads | ${mb(rss0)} |`);
    console.log(`| peak growth, one CSV download | ${mb(csv.peak - rss0)} |`);
    console.log(`| peak growth, one JSON download | ${mb(json.peak - rss1)} |`);
    console.log(`| peak growth, ${concurrency} concurrent CSV downloads | ${mb(many.peak - rss2)} |`);
    const csvOk = cli.ms / csv.result.ms >= 0.5;
    const jsonOk = cli.ms / json.result.ms >= 0.35;
    console.log(`\nTargets: CSV ≥ 50% of CLI speed: ${csvOk ? 'met' : 'MISSED'}; JSON ≥ 35%: ${jsonOk ? 'met' : 'MISSED'}; ` +
      `RSS < 100 MB for one: ${csv.peak - rss0 < 100 * 1024 * 1024 ? 'met' : 'MISSED'}; < 300 MB for ${concurrency}: ${many.peak - rss2 < 300 * 1024 * 1024 ? 'met' : 'MISSED'}`);
  } finally {
    await server.stop();
  }

  // The same download as a deployment serves it once the release's file is cached
  // (DOWNLOAD_CACHE_DIR): the first download streams from the database and writes the file.
  const cacheDir = path.join(dir, 'download-cache');
  const cached = await startBenchServer('bench/catalogue-server.ts', { BENCH_DATABASE_URL: url, RATE_LIMIT_ANONYMOUS: '100000', DOWNLOAD_CACHE_DIR: cacheDir });
  try {
    const csvUrl = `http://127.0.0.1:${cached.port}/datasets/bench-readings/releases/${release.version}/data.csv`;
    await fetchDiscard(csvUrl);
    for (let i = 0; i < 600 && !(fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).some((f) => f.endsWith('.csv'))); i++) await new Promise((r) => setTimeout(r, 100));
    const rss0 = rssOf(cached.child.pid!);
    const one = await withPeakRss(cached.child.pid!, () => best(repeat, () => fetchDiscard(csvUrl)));
    if (one.result.result !== release.byteSize) throw new Error(`cached CSV size ${one.result.result} != ${release.byteSize}`);
    const many = await withPeakRss(cached.child.pid!, () => timed(() => Promise.all(Array.from({ length: concurrency }, () => fetchDiscard(csvUrl)))));
    const totalBytes = many.result.result.reduce((a, b) => a + b, 0);
    console.log('\n| served from the file cache | seconds | MB | MB/s | speed vs sqlite3 CLI |');
    console.log('|---|---|---|---|---|');
    console.log(`| HTTP data.csv (best of ${repeat}) | ${(one.result.ms / 1000).toFixed(2)} | ${mb(one.result.result)} | ${((one.result.result / 1024 / 1024) / (one.result.ms / 1000)).toFixed(0)} | ${((cli.ms / one.result.ms) * 100).toFixed(0)}% |`);
    console.log(`| ${concurrency} concurrent data.csv (all done) | ${(many.result.ms / 1000).toFixed(2)} | ${mb(totalBytes)} | ${((totalBytes / 1024 / 1024) / (many.result.ms / 1000)).toFixed(0)} | — |`);
    console.log(`peak RSS growth: one ${mb(one.peak - rss0)} MB, ${concurrency} concurrent ${mb(many.peak - rss0)} MB`);
  } finally {
    await cached.stop();
    if (!process.env.BENCH_KEEP && !reuse) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
