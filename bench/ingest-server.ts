import express from 'express';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createDb } from '../src/db/knex';
import { createLogger } from '../src/logger';
import type { StreamIngest } from '../src/streams/ingest.service';
import { startMqttSubscriber } from '../src/streams/mqtt-subscriber';

/**
 * The ingest bench's server process: the portal app on a prepared SQLite file (BENCH_DB), the MQTT
 * subscriber when MQTT_URL is set, and a bare Express route on a second port as the baseline.
 * Prints `LISTENING <port> <bare port>`; prints `STATS <json>` on SIGUSR2; exits on SIGTERM.
 */
async function main() {
  const config = loadConfig({ ...process.env, NODE_ENV: 'production', STREAM_TICK_SECONDS: '0' });
  const logger = createLogger('warn');
  const db = await createDb(config.databaseUrl);
  const app = createApp({ config, db, logger });
  const ingest = app.locals.streamIngest as StreamIngest;
  const sub = config.streams.mqttUrl ? startMqttSubscriber(ingest, { url: config.streams.mqttUrl, clientId: config.streams.mqttClientId, logger }) : null;
  if (sub) await sub.ready;
  const bare = express();
  bare.post('/bare', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.json({ ok: true, bytes: Buffer.concat(chunks).length }));
  });
  const s1 = app.listen(0, '127.0.0.1');
  const s2 = bare.listen(0, '127.0.0.1');
  await Promise.all([new Promise((r) => s1.once('listening', r)), new Promise((r) => s2.once('listening', r))]);
  const port = (s: typeof s1) => (s.address() as { port: number }).port;
  process.stdout.write(`LISTENING ${port(s1)} ${port(s2)}\n`);
  process.on('SIGUSR2', () => process.stdout.write(`STATS ${JSON.stringify({ ingest: ingest.stats, mqtt: sub?.stats ?? null })}\n`));
  process.once('SIGTERM', async () => {
    if (sub) await sub.close();
    await ingest.drain();
    s1.close();
    s2.close();
    await db.destroy();
    process.exit(0);
  });
}
void main();
