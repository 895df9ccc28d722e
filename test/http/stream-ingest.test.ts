import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { countReadings, duplicateBatchCount } from '../../src/streams/reading.repository';
import { signBatch } from '../../src/streams/signature';
import { closeDueIntervals } from '../../src/streams/stream-release.service';
import type { StreamRecord } from '../../src/streams/stream.repository';
import { revokeDeviceCredential } from '../../src/streams/stream.service';
import { systemContext } from '../../src/auth/auth-context';
import { systemActor } from '../../src/auth/actor';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { airDefinition, makeDevice, makeStream, readings, sendBatch, streamPublishers } from '../helpers/stream-fixtures';

let t: TestApp;
let air: StreamRecord;
let other: StreamRecord;
let dev: Awaited<ReturnType<typeof makeDevice>>;
let dev2: Awaited<ReturnType<typeof makeDevice>>;
let foreign: Awaited<ReturnType<typeof makeDevice>>;

before(async () => {
  t = await createTestApp({ demo: false, env: { STREAM_MAX_BATCH: '500', STREAM_MAX_BODY_BYTES: '65536', STREAM_MAX_DECOMPRESSED_BYTES: '131072' } });
  await streamPublishers(t.db);
  air = await makeStream(t.db, airDefinition('air'), Date.now() - 2 * 3600_000);
  other = await makeStream(t.db, airDefinition('other'));
  dev = await makeDevice(t.db, t.config.secret, 'air', 'aq-1', { lat: 52.2, lon: 0.12 });
  dev2 = await makeDevice(t.db, t.config.secret, 'air', 'aq-2');
  foreign = await makeDevice(t.db, t.config.secret, 'other', 'ot-1');
});
after(() => t.close());

const now = () => Date.now() - 1000;
const send = (o: Partial<Parameters<typeof sendBatch>[1]> & { seq: number }) => sendBatch(t.app, { stream: 'air', credential: dev.credential, key: dev.key, body: readings(3, now()), ...o });

describe('HTTP ingest', () => {
  test('a signed batch is stored and acknowledged with 200 after the commit', async () => {
    const before = await countReadings(t.db, air.id);
    const res = await send({ seq: 1, body: readings(100, now()) }).expect(200);
    assert.deepEqual(res.body, { stream: 'air', device: 'aq-1', seq: 1, duplicate: false, accepted: 100, rejected: [] });
    assert.equal(await countReadings(t.db, air.id), before + 100);
  });

  test('a retried batch (same sequence, same body) is acknowledged again and stored once', async () => {
    const body = readings(5, now());
    await send({ seq: 2, body }).expect(200);
    const count = await countReadings(t.db, air.id);
    const again = await send({ seq: 2, body }).expect(200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.accepted, 0);
    // a replay signed later (within the window) is no different
    await send({ seq: 2, body, timestamp: Math.floor(Date.now() / 1000) + 100 }).expect(200);
    assert.equal(await countReadings(t.db, air.id), count);
    assert.equal(await duplicateBatchCount(t.db), 0);
  });

  test('a replayed sequence number with a different body is refused (409) and stores nothing', async () => {
    await send({ seq: 3 }).expect(200);
    const count = await countReadings(t.db, air.id);
    const res = await send({ seq: 3, body: readings(2, now(), () => ({ pm25: 99, no2: 1 })) }).expect(409);
    assert.match(res.body.error.message, /Sequence number 3 .* already used/);
    assert.equal(await countReadings(t.db, air.id), count);
  });

  test('sequence numbers are per device: another device may use the same one', async () => {
    const res = await sendBatch(t.app, { stream: 'air', credential: dev2.credential, key: dev2.key, seq: 1, body: readings(1, now()) }).expect(200);
    assert.equal(res.body.duplicate, false);
  });

  test('a wrong signature, a tampered body or a wrong key is 401 and stores nothing', async () => {
    const count = await countReadings(t.db, air.id);
    await send({ seq: 10, signature: 'a'.repeat(64) }).expect(401);
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(readings(1, now()));
    const res = await send({ seq: 11, timestamp: ts, rawBody: Buffer.from(body.replace('10', '11')), signature: signBatch(dev.key, ts, 11, body) }).expect(401);
    assert.match(res.body.error.message, /signature does not match/);
    await send({ seq: 12, key: dev2.key }).expect(401);
    await send({ seq: 13, signature: '' }).expect(401);
    assert.equal(await countReadings(t.db, air.id), count);
  });

  test('a timestamp outside ±300 s is 401 (a captured request cannot be replayed later)', async () => {
    const res = await send({ seq: 20, timestamp: Math.floor(Date.now() / 1000) - 301 }).expect(401);
    assert.match(res.body.error.message, /300 s/);
    await send({ seq: 21, timestamp: Math.floor(Date.now() / 1000) + 301 }).expect(401);
    await send({ seq: 22, timestamp: Math.floor(Date.now() / 1000) - 290 }).expect(200);
  });

  test('credentials: missing, malformed, another stream’s device, unknown device → 401', async () => {
    await request(t.app).post('/api/v1/streams/air/readings').set('Content-Type', 'application/json').send('{}').expect(401);
    await send({ seq: 30, credential: 'plzd_nope' }).expect(401);
    const res = await sendBatch(t.app, { stream: 'air', credential: foreign.credential, key: foreign.key, seq: 1, body: readings(1, now()) }).expect(401);
    assert.match(res.body.error.message, /not valid for stream "air"/);
    await send({ seq: 31, credential: dev.credential.replace('aq-1', 'aq-9') }).expect(401);
    await sendBatch(t.app, { stream: 'other', credential: foreign.credential, key: foreign.key, seq: 1, body: readings(1, now()) }).expect(200);
    void other;
  });

  test('a revoked device is refused at once', async () => {
    const d = await makeDevice(t.db, t.config.secret, 'air', 'aq-revoked');
    await sendBatch(t.app, { stream: 'air', credential: d.credential, key: d.key, seq: 1, body: readings(1, now()) }).expect(200);
    await revokeDeviceCredential(t.db, systemContext(systemActor), 'air', 'aq-revoked', 'stolen');
    (t.app.locals.streamIngest as { invalidate(k: string): void }).invalidate('aq-revoked');
    const res = await sendBatch(t.app, { stream: 'air', credential: d.credential, key: d.key, seq: 2, body: readings(1, now()) }).expect(401);
    assert.match(res.body.error.message, /revoked/);
  });

  test('a device registered under another deployment secret is refused with a message saying so', async () => {
    const d = await makeDevice(t.db, 'an-older-secret-0123456789-0123456789', 'air', 'aq-old-secret');
    const res = await sendBatch(t.app, { stream: 'air', credential: d.credential, key: d.key, seq: 1, body: readings(1, now()) }).expect(401);
    assert.match(res.body.error.message, /registered before the portal's secret changed/);
    // A device of the current secret with a wrong key is still just "not valid".
    const wrong = await sendBatch(t.app, { stream: 'air', credential: dev.credential.replace(/\.[^.]+$/, `.${d.key.toString('base64url')}`), key: d.key, seq: 50, body: readings(1, now()) }).expect(401);
    assert.match(wrong.body.error.message, /not valid for stream "air"/);
  });

  test('malformed payloads: not JSON, wrong shape, wrong content type, bad sequence', async () => {
    assert.match((await send({ seq: 40, body: '{"readings": [' }).expect(400)).body.error.message, /not valid JSON/);
    assert.match((await send({ seq: 41, body: { values: [] } }).expect(400)).body.error.message, /"readings"/);
    assert.match((await send({ seq: 42, body: { readings: [] } }).expect(400)).body.error.message, /empty/);
    await request(t.app).post('/api/v1/streams/air/readings').set('Authorization', `Bearer ${dev.credential}`).set('Content-Type', 'text/plain').send('x').expect(415);
    const bad = await request(t.app).post('/api/v1/streams/air/readings').set('Authorization', `Bearer ${dev.credential}`).set('Content-Type', 'application/json').set('X-Plaza-Sequence', '-1').send('{}').expect(400);
    assert.match(bad.body.error.message, /X-Plaza-Sequence/);
  });

  test('per-reading errors are listed with their index; the valid readings are stored', async () => {
    const count = await countReadings(t.db, air.id);
    const body = {
      readings: [
        { time: new Date(now()).toISOString(), values: { pm25: 5 } },
        { time: new Date(now()).toISOString(), values: { pm25: 'NaN' } },
        { time: new Date(now()).toISOString(), values: { pm25: 9999 } },
        { time: new Date(Date.now() + 3600_000).toISOString(), values: { pm25: 5 } },
      ],
    };
    const res = await send({ seq: 50, body }).expect(200);
    assert.equal(res.body.accepted, 1);
    assert.deepEqual(res.body.rejected.map((r: { index: number }) => r.index), [1, 2, 3]);
    assert.equal(await countReadings(t.db, air.id), count + 1);
    const none = await send({ seq: 51, body: { readings: [body.readings[1]] } }).expect(422);
    assert.equal(none.body.error.code, 'invalid_readings');
  });

  test('size limits: declared length, batch size, gzip accepted, gzip bomb refused', async () => {
    const big = Buffer.alloc(70_000, 32);
    await send({ seq: 60, rawBody: big }).expect(413);
    assert.match((await send({ seq: 61, body: readings(501, now()) }).expect(413)).body.error.message, /at most 500/);
    const zipped = await send({ seq: 62, body: readings(200, now()), gzip: true }).expect(200);
    assert.equal(zipped.body.accepted, 200);
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"readings":['), Buffer.alloc(200_000, 32), Buffer.from(']}')]));
    assert.ok(bomb.length < 65536);
    assert.match((await send({ seq: 63, rawBody: bomb, gzip: true }).expect(413)).body.error.message, /decompresses/);
  });

  test('readings for an interval already released are refused per reading; late ones within the window are kept', async () => {
    const s = await makeStream(t.db, airDefinition('late-air'), Date.now() - 3 * 3600_000);
    const d = await makeDevice(t.db, t.config.secret, 'late-air', 'late-1');
    const hourStart = Math.floor(Date.now() / 3600_000) * 3600_000;
    // Close everything up to the current hour.
    await closeDueIntervals(t.db, { now: hourStart + 300_000 });
    const body = { readings: [{ time: new Date(hourStart - 1).toISOString(), values: { pm25: 1 } }, { time: new Date(hourStart).toISOString(), values: { pm25: 2 } }] };
    const res = await sendBatch(t.app, { stream: 'late-air', credential: d.credential, key: d.key, seq: 1, body }).expect(200);
    assert.equal(res.body.accepted, 1);
    assert.match(res.body.rejected[0].errors[0], /already released/);
    assert.equal(await countReadings(t.db, s.id), 1);
  });

  test('many concurrent batches are committed together, none lost or doubled', async () => {
    const s = await makeStream(t.db, airDefinition('burst'), Date.now() - 3600_000);
    const devs = await Promise.all([1, 2, 3, 4].map((i) => makeDevice(t.db, t.config.secret, 'burst', `burst-${i}`)));
    const ingest = t.app.locals.streamIngest as { stats: { commits: number; batches: number } };
    const commitsBefore = ingest.stats.commits;
    const sends = [];
    for (let k = 0; k < 40; k++) {
      const d = devs[k % 4];
      sends.push(sendBatch(t.app, { stream: 'burst', credential: d.credential, key: d.key, seq: Math.floor(k / 4) + 1, body: readings(25, now()) }));
      if (k % 3 === 0) sends.push(sendBatch(t.app, { stream: 'burst', credential: d.credential, key: d.key, seq: Math.floor(k / 4) + 1, body: readings(25, now()) }));
    }
    const results = await Promise.all(sends);
    assert.ok(results.every((r) => r.status === 200 || r.status === 409), JSON.stringify(results.map((r) => r.status)));
    assert.equal(await countReadings(t.db, s.id), 40 * 25);
    assert.equal(await duplicateBatchCount(t.db), 0);
    assert.ok(ingest.stats.commits - commitsBefore < sends.length, 'batches shared commits');
  });
});
