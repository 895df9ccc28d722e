import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { systemActor } from '../../src/auth/actor';
import { systemContext } from '../../src/auth/auth-context';
import { createPublisher } from '../../src/catalogue/reference.repository';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { fromRoot } from '../../src/paths';
import { parseCredential, signBatch } from '../../src/streams/signature';
import { addDevice, createStream } from '../../src/streams/stream.service';
import { Rng } from '../../seeds/lib/rng';
import { artifactsDir } from '../e2e/browser';

/**
 * kill -9 during an ingest burst: a server process (stream-worker.ts) takes signed batches of 50
 * readings from 8 concurrent senders over HTTP and is killed with SIGKILL at random moments. After
 * each kill the SQLite file must pass its integrity check, hold every batch that was answered 200
 * (all 50 readings), hold no batch partly and none twice; the senders then retry every batch that
 * got no answer, with the same sequence number and body, against a restarted server, and nothing
 * may be stored twice.
 */

const seed = Number(process.env.FAULTS_SEED ?? crypto.randomInt(1, 2 ** 31 - 1));
const points = Number(process.env.FAULTS_POINTS ?? 20);
const rng = new Rng(seed);
const secret = 'faults-stream-secret-0123456789abcdef01234567';
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-stream-faults-'));
const file = path.join(workDir, 'streams.db');
let workerJs = '';
const perBatch = 50;

before(async () => {
  const bundleDir = path.join(artifactsDir, 'faults');
  fs.mkdirSync(bundleDir, { recursive: true });
  workerJs = path.join(bundleDir, 'stream-worker.js');
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  await esbuild.build({ entryPoints: [fromRoot('test', 'faults', 'stream-worker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', outfile: workerJs, logLevel: 'error' });
});
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

function launch(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [workerJs, file, secret], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`stream worker exited (${code}): ${err}`)));
  });
}

interface Batch {
  device: number;
  seq: number;
  body: string;
}

async function send(port: number, cred: { credential: string; key: Buffer }, b: Batch): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/streams/faults-stream/readings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cred.credential}`, 'content-type': 'application/json', 'x-plaza-timestamp': String(ts), 'x-plaza-sequence': String(b.seq), 'x-plaza-signature': signBatch(cred.key, ts, b.seq, b.body) },
    body: b.body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function check(db: Db, acked: Map<string, Batch>, deviceIds: number[]): Promise<void> {
  const integrity = (await db.raw('PRAGMA integrity_check')) as Array<{ integrity_check: string }>;
  assert.deepEqual(integrity.map((r) => r.integrity_check), ['ok']);
  const perBatchRows = (await db('stream_readings').groupBy('device_id', 'seq').select('device_id', 'seq').count({ n: '*' })) as Array<{ device_id: number; seq: number; n: number }>;
  const stored = new Map(perBatchRows.map((r) => [`${deviceIds.indexOf(Number(r.device_id))}:${Number(r.seq)}`, Number(r.n)]));
  for (const [k, n] of stored) assert.equal(n, perBatch, `batch ${k} stored ${n} readings (partly or twice)`);
  for (const k of acked.keys()) assert.ok(stored.has(k), `acknowledged batch ${k} is missing`);
  const batches = (await db('stream_batches').count({ n: '*' })) as Array<{ n: number }>;
  assert.equal(Number(batches[0].n), stored.size, 'one ledger row per stored batch');
}

test('kill -9 during an ingest burst: acknowledged readings survive, retries store nothing twice', async () => {
  console.log(`faults: stream ingest seed ${seed} (replay with FAULTS_SEED=${seed}), ${points} kill points`);
  const db0 = await createDb('sqlite:' + file);
  await migrateLatest(db0);
  await createPublisher(db0, { slug: 'faults', name: 'Faults' });
  const ctx = systemContext(systemActor);
  await createStream(db0, ctx, { slug: 'faults-stream', title: 'Faults stream', publisher: 'faults', level: 'public', measures: [{ name: 'v', unit: 'u', min: 0, max: 1e9 }], rollup: { intervals: ['hour'] } }, { now: Date.now() - 3600_000 });
  const creds: Array<{ credential: string; key: Buffer; id: number }> = [];
  for (let i = 0; i < 8; i++) {
    const { credential, device } = await addDevice(db0, ctx, secret, 'faults-stream', { key: `faults-${i}` });
    creds.push({ credential, key: parseCredential(credential)!.key, id: device.id });
  }
  await db0.destroy();
  const deviceIds = creds.map((c) => c.id);

  const acked = new Map<string, Batch>();
  let pending: Batch[] = [];
  const nextSeq = creds.map(() => 1);
  let kills = 0;
  let inFlightAtKill = 0;
  for (let p = 1; p <= points; p++) {
    const { child, port } = await launch();
    const exited = new Promise((r) => child.once('exit', r));
    // Retry everything that got no answer before the last crash: same sequence, same body.
    for (const b of pending) {
      const status = await send(port, creds[b.device], b);
      assert.equal(status, 200, `retry of ${b.device}:${b.seq} answered ${status}`);
      acked.set(`${b.device}:${b.seq}`, b);
    }
    pending = [];
    let dead = false;
    const unanswered = new Set<Batch>();
    const senders = creds.map(async (_, d) => {
      while (!dead) {
        const seq = nextSeq[d]++;
        const body = JSON.stringify({ readings: Array.from({ length: perBatch }, (_, i) => ({ time: Date.now() - 1000 - i, values: { v: seq * 1000 + i } })) });
        const b = { device: d, seq, body };
        unanswered.add(b);
        try {
          if ((await send(port, creds[d], b)) === 200) {
            acked.set(`${d}:${seq}`, b);
            unanswered.delete(b);
          }
        } catch {
          break;
        }
      }
    });
    await new Promise((r) => setTimeout(r, rng.int(100, 1500)));
    inFlightAtKill += unanswered.size;
    child.kill('SIGKILL');
    dead = true;
    await exited;
    await Promise.all(senders);
    kills++;
    pending = [...unanswered];
    const db = await createDb('sqlite:' + file);
    try {
      await check(db, acked, deviceIds);
    } catch (err) {
      throw new Error(`kill point ${p} (seed ${seed}): ${(err as Error).message}`);
    } finally {
      await db.destroy();
    }
  }
  assert.ok(acked.size > points, 'batches were acknowledged between kills');
  assert.ok(inFlightAtKill > 0, 'kills landed with batches in flight');
  console.log(`faults: stream ingest: ${kills} kills, ${acked.size} acknowledged batches (${acked.size * perBatch} readings) all present once, ${inFlightAtKill} in flight at a kill and retried`);
});
