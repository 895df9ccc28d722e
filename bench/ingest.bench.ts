/**
 * Sensor ingest benchmark (`npm run bench:ingest`), on SQLite (a fresh file).
 *
 * 1. Baselines measured in the same run: a raw better-sqlite3 loop inserting 100-reading batches
 *    (one transaction each) into a table like stream_readings, and a bare Express POST route.
 * 2. HTTP: signed batches of 100 readings from 20 devices, 16 requests in flight, for
 *    BENCH_SECONDS (default 60): readings/s acknowledged, p50/p99 acknowledgement latency
 *    (the 200 comes after the commit).
 * 3. MQTT (QoS 1, one reading per message) through Mosquitto, offered at BENCH_MQTT_RATE
 *    (default 12,000 messages/s) for BENCH_SECONDS: messages/s stored end to end, the backlog
 *    when publishing stops and how long the subscriber took to clear it, p99 PUBACK latency at
 *    the publisher, and a bare QoS 1 subscriber (no database, unpaced) as baseline.
 * 4. Count check: readings stored == readings acknowledged, no (device, sequence) twice.
 * Targets (issue 8): ≥ 20,000 readings/s over HTTP and ≥ 10,000 messages/s over MQTT.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { systemActor } from '../src/auth/actor';
import { systemContext } from '../src/auth/auth-context';
import { createPublisher } from '../src/catalogue/reference.repository';
import { createDb } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { fromRoot } from '../src/paths';
import { percentile } from '../src/streams/cli-format';
import { mqttPayload, parseCredential, signBatch } from '../src/streams/signature';
import { addDevice, createStream } from '../src/streams/stream.service';
import { serverNodeFlags } from './lib/bench-util';

interface RawStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
}
interface RawDb {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): RawStatement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string, options?: { readonly?: boolean }) => RawDb;

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
/**
 * The broker: BENCH_MQTT_URL, else a private Mosquitto started for the run with the settings
 * docs/streams.md recommends (no queue limit: a stock broker's max_queued_messages of 1000 drops
 * QoS 1 messages it already acknowledged to the publisher once the subscriber falls behind).
 */
let mqttUrl = process.env.BENCH_MQTT_URL ?? '';
const devicesN = 20;
const batch = 100;
const inFlight = Number(process.env.BENCH_HTTP_CONCURRENCY ?? 16);
const mqttWindow = Number(process.env.BENCH_MQTT_WINDOW ?? 2000);
/**
 * Offered MQTT load in messages/s (0: as fast as the publisher can). A sustained rate is one the
 * subscriber keeps up with: the publisher is paced at this rate for BENCH_SECONDS, and the run
 * reports how long the subscriber needed after the last publish to store everything (a few
 * seconds at most means it kept up). Unpaced, the publisher outruns any subscriber and the broker's
 * queue grows without bound, which measures the broker's queue rather than Plaza.
 */
const mqttRate = Number(process.env.BENCH_MQTT_RATE ?? 12_000);
const secret = crypto.randomBytes(32).toString('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-ingest-bench-'));
const dbFile = path.join(dir, 'bench.db');
const run = crypto.randomBytes(3).toString('hex');

const measures = [
  { name: 'pm25', unit: 'µg/m³', min: 0, max: 500 },
  { name: 'no2', unit: 'µg/m³', min: 0, max: 1000 },
];

async function prepare() {
  const db = await createDb('sqlite:' + dbFile);
  await migrateLatest(db);
  await createPublisher(db, { slug: 'bench', name: 'Bench' });
  const ctx = systemContext(systemActor);
  const mk = async (slug: string) => {
    await createStream(db, ctx, { slug, title: slug, publisher: 'bench', level: 'public', measures, rollup: { intervals: ['hour'] } });
    const creds = [];
    for (let i = 0; i < devicesN; i++) creds.push((await addDevice(db, ctx, secret, slug, { key: `${slug}-${i}` })).credential);
    return creds;
  };
  const http = await mk('bench-http');
  const mq = await mk(`bench-mqtt-${run}`);
  await db.destroy();
  return { http, mq };
}

function rawSqliteBaseline(): number {
  const db = new Database(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, stream_id INT, device_id INT, seq INT, at INT, values_json TEXT); CREATE INDEX r_at ON r(stream_id, at)');
  const ins = db.prepare('INSERT INTO r (stream_id, device_id, seq, at, values_json) VALUES (?, ?, ?, ?, ?)');
  const tx = db.transaction((rows: number, seq: number) => {
    for (let i = 0; i < rows; i++) ins.run(1, seq % 20, seq, Date.now(), JSON.stringify({ pm25: 12.3, no2: 20 }));
  });
  const end = Date.now() + 3000;
  let n = 0;
  let s = 0;
  while (Date.now() < end) {
    tx(batch, s++);
    n += batch;
  }
  db.close();
  return n / 3;
}

function startServer(): Promise<{ port: number; barePort: number; stats(): Promise<unknown>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...serverNodeFlags, '--import', 'tsx', fromRoot('bench', 'ingest-server.ts')], {
    env: { ...process.env, DATABASE_URL: 'sqlite:' + dbFile, PLAZA_SECRET: secret, PLAZA_DEMO: '0', MQTT_URL: mqttUrl, MQTT_CLIENT_ID: `plaza-bench-${run}`, LOG_LEVEL: 'warn', PLAZA_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const waiters: Array<(line: string) => void> = [];
  child.stdout!.on('data', (c) => {
    out += c;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      if (!/^(LISTENING|STATS) /.test(line)) {
        // The server's own log lines (warnings, errors): show them.
        process.stderr.write(`server: ${line.slice(0, 300)}\n`);
        continue;
      }
      waiters.splice(0).forEach((w) => w(line));
    }
  });
  const nextLine = () => new Promise<string>((r) => waiters.push(r));
  return nextLine().then((line) => {
    const [, port, barePort] = /LISTENING (\d+) (\d+)/.exec(line)!.map(Number);
    return {
      port,
      barePort,
      stats: async () => {
        const p = nextLine();
        child.kill('SIGUSR2');
        return JSON.parse((await p).replace(/^STATS /, ''));
      },
      stop: () => new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
    };
  });
}

/**
 * Runs `workers` loops for `secs`: each call of `send(k, seq)` is one request or message, timed,
 * and resolves to how many units it got acknowledged (0: refused). `rate` > 0 paces the sends
 * (send `seq` is due `(seq - 1) / rate` seconds after the start). Returns the figures.
 */
async function loadLoop(workers: number, secs: number, send: (k: number, seq: number) => Promise<number>, rate = 0) {
  const lat: number[] = [];
  let acked = 0;
  let failed = 0;
  let seq = 1;
  const end = Date.now() + secs * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let k = w; Date.now() < end; k += workers) {
        const s = seq++;
        if (rate > 0) {
          const wait = started + ((s - 1) * 1000) / rate - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        }
        const t0 = performance.now();
        const units = await send(k, s).catch(() => 0);
        if (units > 0) {
          acked += units;
          lat.push(performance.now() - t0);
        } else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: acked / elapsed, acked, failed, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), elapsed };
}

/** Sends signed batches as fast as `inFlight` workers can for `secs`; returns figures. */
async function httpLoad(url: (i: number) => string, creds: string[], secs: number, sign: boolean) {
  const keys = creds.map((c) => parseCredential(c)!);
  return loadLoop(inFlight, secs, async (k, s) => {
    const i = k % creds.length;
    const now = Date.now();
    const body = JSON.stringify({ readings: Array.from({ length: batch }, (_, j) => ({ time: new Date(now - j).toISOString(), values: { pm25: 10 + (j % 50), no2: 20 + (k % 30) } })) });
    const ts = Math.floor(now / 1000);
    const res = await fetch(url(i), {
      method: 'POST',
      headers: sign ? { authorization: `Bearer ${creds[i]}`, 'content-type': 'application/json', 'x-plaza-timestamp': String(ts), 'x-plaza-sequence': String(s), 'x-plaza-signature': signBatch(keys[i].key, ts, s, body) } : { 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    return res.status === 200 ? batch : 0;
  });
}

/** Publishes QoS 1 messages (one reading each) with a window of unacknowledged ones, paced at `rate`/s when > 0. */
async function mqttLoad(topicOf: (i: number) => string, payloadOf: (i: number, seq: number) => Buffer, secs: number, rate = 0) {
  const client = await mqtt.connectAsync(mqttUrl, { clientId: `plaza-bench-pub-${run}-${Math.random().toString(36).slice(2, 8)}`, clean: true, protocolVersion: 5 });
  const r = await loadLoop(mqttWindow, secs, async (k, s) => {
    await client.publishAsync(topicOf(k % devicesN), payloadOf(k % devicesN, s), { qos: 1 });
    return 1;
  }, rate);
  await client.endAsync();
  return r;
}

async function count(slug: string): Promise<{ readings: number; batches: number; dupes: number }> {
  const db = new Database(dbFile, { readonly: true });
  const id = (db.prepare('SELECT id FROM streams WHERE slug = ?').get(slug) as { id: number }).id;
  const readings = (db.prepare('SELECT count(*) AS n FROM stream_readings WHERE stream_id = ?').get(id) as { n: number }).n;
  const batches = (db.prepare('SELECT count(*) AS n FROM stream_batches b JOIN stream_devices d ON d.id = b.device_id WHERE d.stream_id = ?').get(id) as { n: number }).n;
  // A (device, sequence) stored twice would hold more readings than its ledger row says.
  const dupes = (db.prepare('SELECT count(*) AS n FROM (SELECT device_id, seq, count(*) AS c FROM stream_readings WHERE stream_id = ? GROUP BY device_id, seq) g JOIN stream_batches b ON b.device_id = g.device_id AND b.seq = g.seq WHERE g.c <> b.readings').get(id) as { n: number }).n;
  db.close();
  return { readings, batches, dupes };
}

async function bareMqttBaseline(secs: number): Promise<number> {
  const topic = `plaza-bench-bare/${run}`;
  const sub = await mqtt.connectAsync(mqttUrl, { clientId: `plaza-bench-bare-${run}`, clean: true, protocolVersion: 5, properties: { receiveMaximum: 4096 } });
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync(topic, { qos: 1 });
  const r = await mqttLoad(() => topic, () => Buffer.from('{"readings":[{"time":1,"values":{"pm25":1}}]}'), secs);
  const deadline = Date.now() + 10_000;
  while (received < r.acked && Date.now() < deadline) await new Promise((x) => setTimeout(x, 50));
  await sub.endAsync();
  return received / r.elapsed;
}

async function privateBroker(): Promise<() => void> {
  if (mqttUrl) return () => undefined;
  const port = 18_000 + crypto.randomInt(0, 1000);
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 4096\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  mqttUrl = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    const ok = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0, connectTimeout: 500 }).then((c) => c.endAsync().then(() => true), () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return () => child.kill('SIGTERM');
}

async function main() {
  const stopBroker = await privateBroker();
  console.log(`ingest bench: ${seconds} s per measurement, SQLite file in ${dir}, broker ${mqttUrl}, ${os.cpus().length} CPUs`);
  const creds = await prepare();
  const rawBaseline = rawSqliteBaseline();
  const server = await startServer();
  try {
    const bare = await httpLoad(() => `http://127.0.0.1:${server.barePort}/bare`, creds.http, Math.min(10, seconds), false);
    const http = await httpLoad(() => `http://127.0.0.1:${server.port}/api/v1/streams/bench-http/readings`, creds.http, seconds, true);
    const httpCount = await count('bench-http');

    const mqKeys = creds.mq.map((c) => parseCredential(c)!);
    const slug = `bench-mqtt-${run}`;
    const mq = await mqttLoad(
      (i) => `plaza/streams/${slug}/${mqKeys[i].deviceKey}`,
      (i, s) => mqttPayload(mqKeys[i].key, Math.floor(Date.now() / 1000), s, `{"readings":[{"time":${Date.now()},"values":{"pm25":${s % 400},"no2":20}}]}`),
      seconds,
      mqttRate,
    );
    const backlogAtEnd = mq.acked - (await count(slug)).readings;
    // Wait until the subscriber has stored everything the broker acknowledged.
    const drainStart = performance.now();
    let mqCount = await count(slug);
    while (mqCount.readings < mq.acked && performance.now() - drainStart < 600_000) {
      await new Promise((r) => setTimeout(r, 200));
      mqCount = await count(slug);
    }
    const drainS = (performance.now() - drainStart) / 1000;
    const storedPerSecond = mqCount.readings / (mq.elapsed + drainS);
    const stats = await server.stats();
    const bareMqtt = await bareMqttBaseline(Math.min(10, seconds));

    console.log('\n| measurement | per second | ratio to baseline | p50 ms | p99 ms | acknowledged | stored | duplicates | failed |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(`| raw better-sqlite3 insert loop (batches of ${batch}) | ${rawBaseline.toFixed(0)} readings | 1.000 | | | | | | |`);
    console.log(`| bare Express POST route (${batch}-reading bodies) | ${(bare.perSecond).toFixed(0)} readings | | ${bare.p50.toFixed(1)} | ${bare.p99.toFixed(1)} | | | | ${bare.failed} |`);
    console.log(`| HTTP ingest, signed, ${batch}/batch, ${inFlight} in flight | ${http.perSecond.toFixed(0)} readings | ${(http.perSecond / rawBaseline).toFixed(3)} of raw insert; ${(http.perSecond / bare.perSecond).toFixed(3)} of bare route | ${http.p50.toFixed(1)} | ${http.p99.toFixed(1)} | ${http.acked} | ${httpCount.readings} | ${httpCount.dupes} | ${http.failed} |`);
    console.log(`| bare MQTT QoS 1 subscriber (no database) | ${bareMqtt.toFixed(0)} messages | 1.000 | | | | | | |`);
    console.log(`| MQTT ingest, QoS 1, 1 reading/message, ${mqttRate > 0 ? `offered ${mqttRate}/s` : 'unpaced'}, window ${mqttWindow} | ${storedPerSecond.toFixed(0)} messages stored (${mq.perSecond.toFixed(0)} acknowledged by the broker; backlog ${backlogAtEnd} at the last publish, stored ${drainS.toFixed(1)} s later) | ${(storedPerSecond / bareMqtt).toFixed(3)} | ${mq.p50.toFixed(1)} | ${mq.p99.toFixed(1)} | ${mq.acked} | ${mqCount.readings} | ${mqCount.dupes} | ${mq.failed} |`);
    console.log(`\ncount check: HTTP stored ${httpCount.readings} == acknowledged ${http.acked}: ${httpCount.readings === http.acked ? 'OK' : 'MISMATCH'}; MQTT stored ${mqCount.readings} == acknowledged ${mq.acked}: ${mqCount.readings === mq.acked ? 'OK' : 'MISMATCH'}; duplicates ${httpCount.dupes + mqCount.dupes}`);
    console.log(`server: ${JSON.stringify(stats)}`);
    console.log(`targets: HTTP ≥ 20,000 readings/s: ${http.perSecond >= 20_000 ? 'met' : 'NOT met'}; MQTT ≥ 10,000 messages/s: ${storedPerSecond >= 10_000 ? 'met' : 'NOT met'}`);
  } finally {
    await server.stop();
    // Remove the bench subscriber's persistent session from the broker.
    const c = await mqtt.connectAsync(mqttUrl, { clientId: `plaza-bench-${run}`, clean: true }).catch(() => undefined);
    await c?.endAsync();
    stopBroker();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
