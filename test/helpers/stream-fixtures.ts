import zlib from 'node:zlib';
import type { Express } from 'express';
import request from 'supertest';
import { systemActor } from '../../src/auth/actor';
import { systemContext } from '../../src/auth/auth-context';
import { createPublisher, createTheme } from '../../src/catalogue/reference.repository';
import type { Db } from '../../src/db/knex';
import { parseCredential, signBatch } from '../../src/streams/signature';
import { addDevice, createStream } from '../../src/streams/stream.service';
import type { StreamRecord } from '../../src/streams/stream.repository';

/** Streams, devices and signed requests for stream tests. */

/** A public air-quality stream definition (override what matters). */
export function airDefinition(slug = 'air', extra: Record<string, unknown> = {}) {
  return {
    slug,
    title: `Air ${slug}`,
    publisher: 'env',
    level: 'public',
    measures: [
      { name: 'pm25', unit: 'µg/m³', min: 0, max: 500 },
      { name: 'no2', unit: 'µg/m³', min: 0, max: 1000 },
    ],
    rollup: { intervals: ['hour'], aggregates: ['mean', 'min', 'max'], spatial: { type: 'device' }, lateSeconds: 300 },
    ...extra,
  };
}

/** A personal smart-meter stream definition. */
export function meterDefinition(slug = 'meters') {
  return {
    slug,
    title: `Meters ${slug}`,
    publisher: 'energy',
    level: 'personal',
    measures: [{ name: 'kwh', unit: 'kWh', min: 0, max: 20 }],
    rollup: { intervals: ['day'], aggregates: ['sum', 'mean'], spatial: { type: 'ward' }, lateSeconds: 600, minHouseholds: 10 },
  };
}

/** The publishers and theme the definitions use. */
export async function streamPublishers(db: Db): Promise<{ env: number; energy: number }> {
  const env = await createPublisher(db, { slug: 'env', name: 'Environment' });
  const energy = await createPublisher(db, { slug: 'energy', name: 'Energy' });
  await createTheme(db, { slug: 'environment', title: 'Environment' });
  return { env: env.id, energy: energy.id };
}

/** Creates a stream as the system at `now`. */
export async function makeStream(db: Db, def: unknown, now = Date.now()): Promise<StreamRecord> {
  return createStream(db, systemContext(systemActor), def, { now });
}

/** Adds a device; returns its credential and signing key. */
export async function makeDevice(db: Db, secret: string, stream: string, key: string, extra: { lat?: number; lon?: number; ward?: string } = {}) {
  const { device, credential } = await addDevice(db, systemContext(systemActor), secret, stream, { key, ...extra });
  return { device, credential, key: parseCredential(credential)!.key };
}

/** Sends a signed batch (options let a test break one part of it). */
export function sendBatch(
  app: Express,
  o: {
    stream: string;
    credential: string;
    key: Buffer;
    seq: number;
    body: unknown;
    timestamp?: number;
    gzip?: boolean;
    signature?: string;
    rawBody?: Buffer;
  },
) {
  const text = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const raw = o.rawBody ?? (o.gzip ? zlib.gzipSync(text) : Buffer.from(text));
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const req = request(app)
    .post(`/api/v1/streams/${o.stream}/readings`)
    .set('Authorization', `Bearer ${o.credential}`)
    .set('Content-Type', 'application/json')
    .set('X-Plaza-Timestamp', String(ts))
    .set('X-Plaza-Sequence', String(o.seq))
    .set('X-Plaza-Signature', o.signature ?? signBatch(o.key, ts, o.seq, raw));
  if (o.gzip) req.set('Content-Encoding', 'gzip');
  // Send the exact bytes that were signed (superagent would re-serialise a Buffer as JSON).
  return req.serialize(() => raw as unknown as string).send(raw);
}

/** A batch of n readings `at` a time, with values from `v`. */
export const readings = (n: number, at: number, v = (i: number) => ({ pm25: 10 + i, no2: 20 })) => ({
  readings: Array.from({ length: n }, (_, i) => ({ time: new Date(at + i).toISOString(), values: v(i) })),
});
