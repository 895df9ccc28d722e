/**
 * CSV import benchmark (`npm run bench:import`).
 *
 * 1. Writes a 1,000,000-row, 7-column CSV to a temp folder and imports it with `plaza import` into
 *    a fresh SQLite file, then imports the same file with the sqlite3 CLI (`.import`) into another
 *    fresh file: wall time of each, the speed ratio and the peak RSS of each process.
 * 2. Writes a 1 GB hostile file (one quoted field that never ends), has `plaza import` reject it
 *    and reports the peak RSS. The file is deleted afterwards.
 * Targets (issue 5): Plaza ≥ 30% of the sqlite3 CLI's speed; peak RSS < 300 MB for the import and
 * < 256 MB for the rejection. Peak RSS comes from GNU time (`/usr/bin/time -v`) when present, else
 * from sampling /proc/<pid>/status VmHWM.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromRoot } from '../src/paths';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const hostileBytes = Number(process.env.BENCH_HOSTILE_BYTES ?? 1_000_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-import-bench-'));
const tsx = fromRoot('node_modules', '.bin', 'tsx');
const cli = fromRoot('src', 'cli', 'main.ts');
const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * The `plaza` command as installed (package.json "bin": dist/src/cli/main.js, built by
 * scripts/build-if-needed.js when stale); tsx on the sources when the build is not possible.
 */
function plazaCommand(): { cmd: string; args: string[]; label: string } {
  const build = spawnSync(process.execPath, [fromRoot('scripts', 'build-if-needed.js')], { stdio: 'inherit' });
  const dist = fromRoot('dist', 'src', 'cli', 'main.js');
  if (build.status === 0 && fs.existsSync(dist)) return { cmd: process.execPath, args: [dist], label: 'node dist/src/cli/main.js' };
  return { cmd: tsx, args: [cli], label: 'tsx src/cli/main.ts' };
}

interface Run {
  code: number | null;
  seconds: number;
  peakRssMb: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, measuring wall time and the peak resident set size of the process tree's top command. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const argv = gnuTime ? ['-v', cmd, ...args] : args;
    const child = spawn(gnuTime ?? cmd, argv, { env });
    let stdout = '';
    let stderr = '';
    let sampled = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = gnuTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) sampled = Math.max(sampled, Number(m[1]) / 1024);
          } catch {
            /* the process has ended */
          }
        }, 20);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ code, seconds, peakRssMb: m ? Number(m[1]) / 1024 : sampled, stdout, stderr });
    });
  });
}

async function writeStream(file: string, chunks: () => Generator<string | Buffer>): Promise<void> {
  const out = fs.createWriteStream(file);
  for (const chunk of chunks()) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function* benchRows(): Generator<string> {
  const wards = ['Abbey', 'Castle', 'Riverside', 'Northfield', 'St Mary’s', 'Old Town'];
  yield 'reading_id,sensor,ward,measured_at,pm25,no2,valid\n';
  let buf = '';
  for (let i = 1; i <= rows; i++) {
    const t = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString().slice(0, 19) + 'Z';
    buf += `${i},S${String(i % 500).padStart(4, '0')},${wards[i % wards.length]},${t},${((i * 7919) % 5000) / 100},${(i * 104729) % 120},${i % 17 === 0 ? 'false' : 'true'}\n`;
    if (buf.length > 1 << 20) {
      yield buf;
      buf = '';
    }
  }
  yield buf;
}

function* hostile(): Generator<Buffer> {
  yield Buffer.from('id,blob\n1,"');
  const block = Buffer.alloc(1 << 20, 'x');
  for (let written = 0; written < hostileBytes; written += block.length) yield block;
}

const mb = (n: number) => `${n.toFixed(0)} MB`;

async function main(): Promise<void> {
  const csv = path.join(dir, 'bench.csv');
  console.log(`Writing ${rows.toLocaleString('en-GB')} rows × 7 columns to ${csv} …`);
  await writeStream(csv, benchRows);
  const size = fs.statSync(csv).size;
  console.log(`  ${(size / 1e6).toFixed(1)} MB`);

  const plazaDb = path.join(dir, 'plaza.db');
  const env = { ...process.env, DATABASE_URL: 'sqlite:' + plazaDb, PLAZA_DATA_DIR: dir, LOG_LEVEL: 'silent', NODE_ENV: 'production', PLAZA_SECRET: 'bench-secret-0123456789-0123456789-0123' };
  const plazaCli = plazaCommand();
  const seeded = spawnSync(plazaCli.cmd, [...plazaCli.args, 'seed'], { env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`);

  console.log(`plaza import (${plazaCli.label}) …`);
  const plaza = await measure(plazaCli.cmd, [...plazaCli.args, 'import', csv, '--dataset', 'bench-readings', '--create', '--title', 'Bench readings', '--publisher', 'environmental-health', '--level', 'public', '--json', '--no-progress'], env);
  if (plaza.code !== 0) throw new Error(`plaza import failed (${plaza.code}): ${plaza.stderr}`);
  const result = JSON.parse(plaza.stdout.trim().split('\n').pop()!) as { source: { rows: number }; durationMs: number };
  if (result.source.rows !== rows) throw new Error(`imported ${result.source.rows} rows, expected ${rows}`);

  console.log('sqlite3 .import …');
  const sqliteDb = path.join(dir, 'sqlite3.db');
  const sqlite = await measure('/usr/bin/sqlite3', [sqliteDb, '-cmd', '.mode csv', `.import ${csv} readings`]);
  if (sqlite.code !== 0) throw new Error(`sqlite3 failed: ${sqlite.stderr}`);
  fs.rmSync(csv);

  const hostileFile = path.join(dir, 'hostile.csv');
  console.log(`Writing a ${(hostileBytes / 1e9).toFixed(1)} GB hostile file (one quoted field that never ends) …`);
  await writeStream(hostileFile, hostile);
  const rejected = await measure(plazaCli.cmd, [...plazaCli.args, 'import', hostileFile, '--dataset', 'bench-hostile', '--create', '--title', 'Hostile', '--publisher', 'finance', '--level', 'public', '--no-progress'], env);
  fs.rmSync(hostileFile);
  const message = rejected.stderr.split('\n').find((l) => l.startsWith('plaza:')) ?? '';

  const ratio = sqlite.seconds / plaza.seconds;
  console.log('');
  console.log(`| run | wall time | peak RSS | target |`);
  console.log(`|---|---|---|---|`);
  console.log(`| sqlite3 .import, ${rows.toLocaleString('en-GB')} rows | ${sqlite.seconds.toFixed(2)} s | ${mb(sqlite.peakRssMb)} | |`);
  console.log(`| plaza import (CLI, incl. start-up), ${rows.toLocaleString('en-GB')} rows | ${plaza.seconds.toFixed(2)} s (service ${(result.durationMs / 1000).toFixed(2)} s) | ${mb(plaza.peakRssMb)} | < 300 MB ${plaza.peakRssMb < 300 ? 'met' : 'MISSED'} |`);
  console.log(`| speed vs sqlite3 | ${(ratio * 100).toFixed(0)}% | | ≥ 30% ${ratio >= 0.3 ? 'met' : 'MISSED'} |`);
  console.log(`| hostile ${(hostileBytes / 1e9).toFixed(1)} GB field, rejected (exit ${rejected.code}) | ${rejected.seconds.toFixed(2)} s | ${mb(rejected.peakRssMb)} | < 256 MB ${rejected.peakRssMb < 256 && rejected.code === 2 ? 'met' : 'MISSED'} |`);
  console.log('');
  console.log(`rejection message: ${message}`);
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (plaza.peakRssMb >= 300 || ratio < 0.3 || rejected.peakRssMb >= 256 || rejected.code !== 2) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
