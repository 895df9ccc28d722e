import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/audit/audit-verify';
import { insertDataset } from '../../src/catalogue/dataset.repository';
import { createPublisher } from '../../src/catalogue/reference.repository';
import type { ColumnSchema } from '../../src/catalogue/table-schema';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { csvHeader, csvLine } from '../../src/downloads/csv';
import { artifactsDir } from '../e2e/browser';
import { fromRoot } from '../../src/paths';
import { Rng } from '../../seeds/lib/rng';
import { faultColumns } from './worker';
import { datasetInput } from '../helpers/datasets';
import { loadConfig } from '../../src/config';
import { importCsv } from '../../src/ingest/import.service';

/**
 * Crash safety: a worker process (worker.ts) writes to a SQLite file — publishing large releases,
 * appending audit entries from several processes at once, importing a CSV — and is killed with
 * SIGKILL at random moments (seeded; FAULTS_SEED replays a run, FAULTS_POINTS sets kills per
 * scenario). After each kill the database is reopened (SQLite's recovery runs) and must pass its
 * integrity check and audit-chain verification, show no half-finished release or import, keep the
 * public catalogue consistent with the releases, and hold every write the worker acknowledged.
 */

const seed = Number(process.env.FAULTS_SEED ?? crypto.randomInt(1, 2 ** 31 - 1));
const points = Number(process.env.FAULTS_POINTS ?? 20);
const rng = new Rng(seed);
console.log(`faults: seed ${seed} (replay with FAULTS_SEED=${seed}), ${points} kill points per scenario`);

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-faults-'));
const bundleDir = path.join(artifactsDir, 'faults');
let workerJs = '';

before(async () => {
  // One bundled file starts in a fraction of the time tsx needs, which keeps 60 restarts quick.
  fs.mkdirSync(bundleDir, { recursive: true });
  workerJs = path.join(bundleDir, 'worker.js');
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  await esbuild.build({ entryPoints: [fromRoot('test', 'faults', 'worker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', outfile: workerJs, logLevel: 'error' });
});
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** A running worker and what it said. */
interface Worker {
  child: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  exited: Promise<void>;
}

function launch(args: string[]): Worker {
  const child = spawn(process.execPath, [workerJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    setTimeout(() => reject(new Error(`worker ${args.join(' ')} not ready after 60 s: ${err}`)), 60_000).unref();
  });
  child.stdout!.on('data', (c: Buffer) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      if (line === 'READY') onReady();
    }
  });
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') console.error(`worker ${args.join(' ')} exited early (${code}): ${err}`);
      resolve();
    }),
  );
  return { child, lines, ready, exited };
}

async function kill(w: Worker): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await w.exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const acks = (w: Worker, kind: string) => w.lines.filter((l) => l.startsWith(`ACK ${kind} `)).map((l) => l.split(' ').slice(2));
/** True when the worker was inside a write (BEGIN without its ACK) when it died. */
const midWrite = (w: Worker) => [...w.lines].reverse().find((l) => l.startsWith('BEGIN') || l.startsWith('ACK'))?.startsWith('BEGIN') ?? false;

/** A migrated SQLite file with the datasets the workers write to. */
async function freshDatabase(name: string): Promise<string> {
  const file = path.join(workDir, `${name}.db`);
  const db = await createDb('sqlite:' + file);
  await migrateLatest(db);
  const publisher = await createPublisher(db, { slug: 'faults', name: 'Faults' });
  for (const slug of ['faults-publish', 'faults-audit', 'faults-import', 'faults-workflow']) {
    await insertDataset(db, datasetInput({ slug, title: slug, publisherId: publisher.id }));
  }
  await db.destroy();
  return file;
}

/** Writes the CSV the import and workflow scenarios read: n rows in the shape of faultColumns. */
function writeFaultCsv(file: string, n: number): void {
  const out = ['id,site,day,value,ok,note'];
  for (let i = 0; i < n; i++) out.push(`${i + 1},"site ${i % 97}, north",2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')},${(i * 7919) % 100003 / 100},${i % 3 === 0},note ${i}`);
  fs.writeFileSync(file, out.join('\n') + '\n');
}

const count = async (db: Db, table: string) => Number(((await db(table).count({ n: '*' })) as Array<{ n: number }>)[0].n);

/**
 * What must hold after any crash, whatever was being written: SQLite's integrity, the audit
 * chain, no transient or orphaned release/import, and a public catalogue matching the releases.
 */
async function checkDatabase(db: Db): Promise<void> {
  const integrity = (await db.raw('PRAGMA integrity_check')) as Array<{ integrity_check: string }>;
  assert.deepEqual(integrity.map((r) => r.integrity_check), ['ok'], 'PRAGMA integrity_check');
  assert.deepEqual(await db.raw('PRAGMA foreign_key_check'), [], 'PRAGMA foreign_key_check');
  const chain = await verifyAuditChain(db);
  assert.ok(chain.ok, `audit chain: ${JSON.stringify(chain)}`);

  const releases = (await db('releases').select('id', 'dataset_id', 'state', 'table_name', 'row_count')) as Array<{ id: number; dataset_id: number; state: string; table_name: string | null; row_count: number | null }>;
  const sources = (await db('sources').select('id', 'table_name', 'row_count', 'purged_at', 'sha256')) as Array<{ id: number; table_name: string; row_count: number; purged_at: string | null; sha256: string | null }>;
  for (const r of releases) assert.ok(['draft', 'in_review', 'approved', 'published', 'superseded', 'withdrawn'].includes(r.state), `release ${r.id} left in state ${r.state}`);
  for (const s of sources) {
    assert.match(s.table_name, /^raw_\d+$/, `source ${s.id} has a placeholder table name (half-finished import)`);
    assert.ok(s.sha256, `source ${s.id} was never completed (no sha256)`);
  }
  const tables = ((await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'rel\\_%' ESCAPE '\\' OR name LIKE 'raw\\_%' ESCAPE '\\')")) as Array<{ name: string }>).map((t) => t.name);
  const referenced = new Map<string, number>();
  for (const r of releases) if (r.table_name) referenced.set(r.table_name, Number(r.row_count));
  for (const s of sources) if (!s.purged_at) referenced.set(s.table_name, Number(s.row_count));
  assert.deepEqual([...tables].sort(), [...referenced.keys()].sort(), 'data tables = tables named by releases and sources (no orphans, none missing)');
  for (const [t, n] of referenced) assert.equal(await count(db, t), n, `${t} holds its recorded row count`);

  const published = releases.filter((r) => r.state === 'published');
  const perDataset = new Map<number, number[]>();
  for (const r of published) perDataset.set(r.dataset_id, [...(perDataset.get(r.dataset_id) ?? []), r.id]);
  for (const [d, ids] of perDataset) assert.equal(ids.length, 1, `dataset ${d} has ${ids.length} published releases`);
  const pubDatasets = (await db('pub_datasets').select('id', 'latest_release_id')) as Array<{ id: number; latest_release_id: number | null }>;
  for (const p of pubDatasets) {
    if (p.latest_release_id !== null) assert.deepEqual(perDataset.get(p.id), [Number(p.latest_release_id)], `pub_datasets ${p.id} points at its published release`);
  }
  for (const d of perDataset.keys()) assert.ok(pubDatasets.some((p) => p.id === d), `dataset ${d} with a published release is in the public catalogue`);
  const pubReleases = (await db('pub_releases').select('id', 'status')) as Array<{ id: number; status: string }>;
  const visible = releases.filter((r) => ['published', 'superseded', 'withdrawn'].includes(r.state));
  assert.deepEqual(
    pubReleases.map((p) => `${p.id}:${p.status}`).sort(),
    visible.map((r) => `${r.id}:${r.state}`).sort(),
    'public releases = published/superseded/withdrawn releases, same status',
  );
  assert.equal(await count(db, 'pub_datasets_fts'), pubDatasets.length, 'search index matches the public catalogue');

  const audited = new Set(((await db('audit_log').whereIn('action', ['release.published', 'ingest.source_imported']).select('action', 'object_id')) as Array<{ action: string; object_id: string }>).map((e) => `${e.action}:${e.object_id}`));
  for (const r of visible) assert.ok(audited.has(`release.published:${r.id}`), `release ${r.id} has its audit entry`);
  for (const s of sources) assert.ok(audited.has(`ingest.source_imported:${s.id}`), `source ${s.id} has its audit entry`);
}

/** Recomputes a release's checksum from its table, as the canonical CSV would be written. */
async function tableChecksum(db: Db, table: string, columns: ColumnSchema[]): Promise<string> {
  const hash = crypto.createHash('sha256').update(csvHeader(columns));
  const rows = (await db(table).select(columns.map((_, i) => `c${i}`)).orderBy('_row')) as Array<Record<string, unknown>>;
  for (const r of rows) {
    hash.update(csvLine(columns.map((c, i) => { const v = r[`c${i}`] as string | number | null; return c.type === 'boolean' && v !== null ? v === 1 : v; }), columns));
  }
  return hash.digest('hex');
}

interface Tally {
  kills: number;
  midWrite: number;
  acked: number;
}

/**
 * Kills workers at `points` random moments within `windowMs` of their start, then checks the
 * reopened database with the generic checks and the scenario's own (which sees every ACK so far).
 */
async function crashLoop(name: string, file: string, opts: { workers: number; windowMs: number; acksBeforeKill: number; args: (point: number, k: number) => string[]; checkAcks: (db: Db, all: Worker[]) => Promise<void> }): Promise<Tally> {
  const all: Worker[] = [];
  const tally: Tally = { kills: 0, midWrite: 0, acked: 0 };
  let opWindow = opts.windowMs;
  const acksOf = (ws: Worker[]) => ws.reduce((n, w) => n + w.lines.filter((l) => l.startsWith('ACK')).length, 0);
  for (let p = 1; p <= points; p++) {
    const ws = Array.from({ length: opts.workers }, (_, k) => launch(opts.args(p, k)));
    all.push(...ws);
    await Promise.all(ws.map((w) => w.ready));
    // Let some writes commit first (so there are acknowledgements to keep), then die at a random
    // moment of the next one: the window follows how long a write takes on this machine.
    const started = Date.now();
    const wanted = rng.int(0, opts.acksBeforeKill);
    while (acksOf(ws) < wanted && Date.now() - started < 30_000) await sleep(20);
    if (wanted > 0) opWindow = (Date.now() - started) / wanted;
    await sleep(rng.int(0, Math.round(Math.max(opts.windowMs, opWindow * 1.2))));
    // One process dies first; the rest keep writing briefly, then the "machine" dies too.
    const victim = rng.int(0, ws.length - 1);
    await kill(ws[victim]);
    if (ws.length > 1) await sleep(rng.int(0, 100));
    await Promise.all(ws.map(kill));
    tally.kills += ws.length;
    tally.midWrite += ws.filter(midWrite).length;
    const db = await createDb('sqlite:' + file);
    try {
      await checkDatabase(db);
      await opts.checkAcks(db, all);
    } catch (err) {
      throw new Error(`${name}, kill point ${p} (seed ${seed}): ${(err as Error).message}`);
    } finally {
      await db.destroy();
    }
  }
  tally.acked = all.reduce((n, w) => n + w.lines.filter((l) => l.startsWith('ACK')).length, 0);
  console.log(`faults: ${name}: ${tally.kills} processes killed at ${points} points, ${tally.midWrite} in the middle of a write, ${tally.acked} acknowledged writes all present`);
  return tally;
}

/** `plaza audit:verify` against the file, when the command exists. */
function cliAuditVerify(file: string): void {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('src', 'cli', 'main.ts'), 'audit:verify'], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: 'sqlite:' + file, PLAZA_DATA_DIR: path.join(workDir, 'cli-' + path.basename(file)), LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, `plaza audit:verify failed: ${res.stdout}${res.stderr}`);
  assert.match(res.stdout, /^OK \d+ entries/m);
  console.log(`faults: plaza audit:verify → ${res.stdout.trim().split('\n').pop()}`);
}

describe('kill -9 at random points', () => {
  test('the checks catch what a crash could leave behind (self-check, no processes)', async () => {
    const file = await freshDatabase('selfcheck');
    const db = await createDb('sqlite:' + file);
    try {
      await checkDatabase(db);
      const datasetId = Number(((await db('datasets').where({ slug: 'faults-publish' }).first('id')) as { id: number }).id);
      await db.schema.createTable('rel_999', (t) => t.increments('_row'));
      await assert.rejects(checkDatabase(db), /no orphans/);
      await db.schema.dropTable('rel_999');
      const [row] = await db('releases').insert({ dataset_id: datasetId, state: 'publishing', version: 1, created_by: 'x', created_at: new Date().toISOString() }).returning('id');
      await assert.rejects(checkDatabase(db), /left in state publishing/);
      await db('releases').where({ id: Number((row as { id: number }).id) }).update({ state: 'published', table_name: null });
      await assert.rejects(checkDatabase(db), /has its audit entry|public catalogue|points at/);
    } finally {
      await db.destroy();
    }
  });

  test('(a) during publishes of large releases', async () => {
    const file = await freshDatabase('publish');
    const rows = Number(process.env.FAULTS_ROWS ?? 20_000);
    const tally = await crashLoop('publish', file, {
      workers: 1,
      windowMs: 500,
      acksBeforeKill: 1,
      args: (p) => ['publish', file, `p${p}`],
      checkAcks: async (db, all) => {
        const acked = all.flatMap((w) => acks(w, 'publish'));
        for (const [releaseId, version, rowCount, checksum] of acked) {
          const r = (await db('releases').where({ id: Number(releaseId) }).first()) as { version: number; row_count: number; checksum: string; state: string; table_name: string } | undefined;
          assert.ok(r, `acknowledged release ${releaseId} is missing`);
          assert.deepEqual([r.version, r.row_count, r.checksum], [Number(version), Number(rowCount), checksum], `release ${releaseId} as acknowledged`);
          assert.ok(['published', 'superseded'].includes(r.state));
          assert.equal(Number(rowCount), rows);
        }
        // The newest acknowledged release's table still hashes to its checksum.
        const last = acked[acked.length - 1];
        if (last) {
          const r = (await db('releases').where({ id: Number(last[0]) }).first()) as { table_name: string };
          assert.equal(await tableChecksum(db, r.table_name, faultColumns), last[3], 'release table content = acknowledged checksum');
        }
      },
    });
    assert.ok(tally.midWrite > 0, 'some kills landed in the middle of a publish');
    assert.ok(tally.acked > 0, 'some publishes were acknowledged');
    cliAuditVerify(file);
  });

  test('(b) during an audit-heavy burst: two processes × four writers', async () => {
    const file = await freshDatabase('audit');
    const tally = await crashLoop('audit burst', file, {
      workers: 2,
      windowMs: 500,
      acksBeforeKill: 0,
      args: (p, k) => ['audit', file, `p${p}w${k}`],
      checkAcks: async (db, all) => {
        const entries = (await db('audit_log').where({ action: 'dataset.updated' }).orderBy('seq').select('seq', 'details')) as Array<{ seq: number; details: string }>;
        const bySeq = new Map(entries.map((e) => [Number(e.seq), JSON.parse(e.details) as { writer: string; n: number }]));
        for (const [writer, n, seq] of all.flatMap((w) => acks(w, 'audit'))) {
          assert.deepEqual(bySeq.get(Number(seq)), { writer, n: Number(n) }, `acknowledged audit entry ${writer}#${n} at seq ${seq}`);
        }
        // The change and its audit entry committed together: the dataset shows the newest entry's change.
        const last = entries[entries.length - 1];
        if (last) {
          const d = JSON.parse(last.details) as { writer: string; n: number };
          const row = (await db('datasets').where({ slug: 'faults-audit' }).first('summary')) as { summary: string };
          assert.equal(row.summary, `writer ${d.writer} change ${d.n}`);
        }
      },
    });
    assert.ok(tally.acked > points, 'the writers got work done between kills');
    cliAuditVerify(file);
  });

  test('(c) during CSV imports (plaza import’s service)', async () => {
    const file = await freshDatabase('import');
    const csv = path.join(workDir, 'import.csv');
    const n = Number(process.env.FAULTS_IMPORT_ROWS ?? 30_000);
    writeFaultCsv(csv, n);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(csv)).digest('hex');
    const tally = await crashLoop('import', file, {
      workers: 1,
      windowMs: 500,
      acksBeforeKill: 1,
      args: (p) => ['import', file, `p${p}`, csv],
      checkAcks: async (db, all) => {
        for (const [sourceId, version, rows, digest] of all.flatMap((w) => acks(w, 'import'))) {
          const s = (await db('sources').where({ id: Number(sourceId) }).first()) as { version: number; row_count: number; sha256: string } | undefined;
          assert.ok(s, `acknowledged import ${sourceId} is missing`);
          assert.deepEqual([s.version, s.row_count, s.sha256], [Number(version), Number(rows), digest]);
          assert.equal(digest, sha);
          assert.equal(Number(rows), n);
        }
      },
    });
    assert.ok(tally.midWrite > 0, 'some kills landed in the middle of an import');
    assert.ok(tally.acked > 0, 'some imports were acknowledged');
    cliAuditVerify(file);
  });

  test('(d) during the release workflow (policy, preview, submit, approve, publish of the approved release)', async () => {
    const file = await freshDatabase('workflow');
    const csv = path.join(workDir, 'workflow.csv');
    writeFaultCsv(csv, Number(process.env.FAULTS_WORKFLOW_ROWS ?? 20_000));
    const setup = await createDb('sqlite:' + file);
    const limits = loadConfig({ NODE_ENV: 'test', PLAZA_DATA_DIR: workDir }, { ensureSecret: false }).import;
    await importCsv(setup, limits, { datasetSlug: 'faults-workflow', input: fs.createReadStream(csv), filename: 'workflow.csv', actor: 'faults', mode: 'replace' });
    await setup.destroy();
    const tally = await crashLoop('workflow', file, {
      workers: 1,
      windowMs: 800,
      acksBeforeKill: 1,
      args: (p) => ['workflow', file, `p${p}`],
      checkAcks: async (db, all) => {
        for (const [releaseId, version, rowCount, checksum] of all.flatMap((w) => acks(w, 'workflow'))) {
          const r = (await db('releases').where({ id: Number(releaseId) }).first()) as { version: number; row_count: number; checksum: string; state: string } | undefined;
          assert.ok(r, `acknowledged release ${releaseId} is missing`);
          assert.deepEqual([r.version, r.row_count, r.checksum], [Number(version), Number(rowCount), checksum], `release ${releaseId} as acknowledged`);
          assert.ok(['published', 'superseded'].includes(r.state));
        }
        const dataset = (await db('datasets').where({ slug: 'faults-workflow' }).first('id')) as { id: number };
        const open = await db('releases').where({ dataset_id: dataset.id }).whereIn('state', ['draft', 'in_review', 'approved']).count({ n: '*' });
        assert.ok(Number((open as Array<{ n: number }>)[0].n) <= 1, 'at most one release in progress');
      },
    });
    assert.ok(tally.acked > 0, 'some workflow publishes were acknowledged');
    cliAuditVerify(file);
  });
});
