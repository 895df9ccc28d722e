import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { createLogger } from '../../src/logger';
import { StreamIngest } from '../../src/streams/ingest.service';
import { startMqttSubscriber, type MqttSubscriber } from '../../src/streams/mqtt-subscriber';
import { countReadings, duplicateBatchCount } from '../../src/streams/reading.repository';
import { mqttPayload } from '../../src/streams/signature';
import type { StreamRecord } from '../../src/streams/stream.repository';
import { revokeDeviceCredential } from '../../src/streams/stream.service';
import { systemActor } from '../../src/auth/actor';
import { systemContext } from '../../src/auth/auth-context';
import { createTestDb, type TestDb } from '../helpers/test-db';
import { airDefinition, makeDevice, makeStream, readings, streamPublishers } from '../helpers/stream-fixtures';

/** MQTT ingest against the Mosquitto broker on 127.0.0.1:1883 (CI starts it; see .ci/run). */

const brokerUrl = process.env.MQTT_TEST_URL ?? 'mqtt://127.0.0.1:1883';
const secret = 'mqtt-test-secret-0123456789abcdef0123456789';
const run = crypto.randomBytes(4).toString('hex');
const slug = `mq-${run}`;

let t: TestDb;
let ingest: StreamIngest;
let sub: MqttSubscriber;
let pub: MqttClient;
let stream: StreamRecord;
let a: Awaited<ReturnType<typeof makeDevice>>;
let b: Awaited<ReturnType<typeof makeDevice>>;
const clientId = `plaza-test-${run}`;

const startSub = async () => {
  sub = startMqttSubscriber(ingest, { url: brokerUrl, clientId, logger: createLogger('silent') });
  await sub.ready;
};

before(async () => {
  t = await createTestDb();
  await streamPublishers(t.db);
  stream = await makeStream(t.db, airDefinition(slug), Date.now() - 3600_000);
  a = await makeDevice(t.db, secret, slug, `${slug}-a`);
  b = await makeDevice(t.db, secret, slug, `${slug}-b`);
  ingest = new StreamIngest(t.db, secret, { maxBatch: 1000, signatureWindowSeconds: 300, maxFutureSeconds: 300 });
  await startSub();
  pub = await mqtt.connectAsync(brokerUrl, { clientId: `plaza-test-pub-${run}`, clean: true });
});
after(async () => {
  await pub?.endAsync();
  await sub?.close();
  // Remove the persistent session from the broker.
  const cleaner = await mqtt.connectAsync(brokerUrl, { clientId, clean: true }).catch(() => undefined);
  await cleaner?.endAsync();
  await t.destroy();
});

const ts = () => Math.floor(Date.now() / 1000);
const topic = (device: string) => `plaza/streams/${slug}/${device}`;
async function until(check: () => Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('MQTT ingest', () => {
  test('signed messages at QoS 1 are stored; a redelivered message is stored once', async () => {
    const body = JSON.stringify(readings(3, Date.now() - 1000));
    const msg = mqttPayload(a.key, ts(), 1, body);
    await pub.publishAsync(topic(a.device.key), msg, { qos: 1 });
    await pub.publishAsync(topic(a.device.key), msg, { qos: 1 });
    await until(async () => sub.stats.stored + sub.stats.duplicates >= 2, 'two messages handled');
    assert.equal(await countReadings(t.db, stream.id, a.device.id), 3);
    assert.equal(sub.stats.duplicates, 1);
  });

  test('a device publishing to another device’s topic is rejected (signature with the wrong key)', async () => {
    const rejected = sub.stats.rejected;
    await pub.publishAsync(topic(b.device.key), mqttPayload(a.key, ts(), 2, JSON.stringify(readings(1, Date.now() - 1000))), { qos: 1 });
    await until(async () => sub.stats.rejected > rejected, 'rejection');
    assert.equal(await countReadings(t.db, stream.id, b.device.id), 0);
  });

  test('malformed payloads, unknown topics and stale timestamps are rejected and the subscriber carries on', async () => {
    const rejected = sub.stats.rejected;
    await pub.publishAsync(topic(a.device.key), Buffer.from('{"readings":[]}'), { qos: 1 });
    await pub.publishAsync(topic('nobody-here'), mqttPayload(a.key, ts(), 3, '{}'), { qos: 1 });
    await pub.publishAsync(topic(a.device.key), mqttPayload(a.key, ts() - 1000, 4, JSON.stringify(readings(1, Date.now() - 1000))), { qos: 1 });
    await pub.publishAsync(topic(a.device.key), mqttPayload(a.key, ts(), 5, '{not json'), { qos: 1 });
    await until(async () => sub.stats.rejected >= rejected + 4, 'four rejections');
    await pub.publishAsync(topic(a.device.key), mqttPayload(a.key, ts(), 6, JSON.stringify(readings(2, Date.now() - 1000))), { qos: 1 });
    await until(async () => (await countReadings(t.db, stream.id, a.device.id)) === 5, 'still storing');
  });

  test('messages sent while Plaza is down are delivered when it is back (persistent session), once', async () => {
    await sub.close();
    for (let s = 100; s < 110; s++) await pub.publishAsync(topic(b.device.key), mqttPayload(b.key, ts(), s, JSON.stringify(readings(1, Date.now() - 1000))), { qos: 1 });
    await startSub();
    await until(async () => (await countReadings(t.db, stream.id, b.device.id)) === 10, 'queued messages stored');
    assert.equal(await duplicateBatchCount(t.db), 0);
  });

  test('a revoked device is rejected', async () => {
    await revokeDeviceCredential(t.db, systemContext(systemActor), slug, a.device.key, 'lost');
    ingest.invalidate(a.device.key);
    const rejected = sub.stats.rejected;
    await pub.publishAsync(topic(a.device.key), mqttPayload(a.key, ts(), 200, JSON.stringify(readings(1, Date.now() - 1000))), { qos: 1 });
    await until(async () => sub.stats.rejected > rejected, 'rejection');
    assert.equal(await countReadings(t.db, stream.id, a.device.id), 5);
  });
});
