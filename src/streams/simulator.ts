import mqtt, { type MqttClient } from 'mqtt';
import { mqttPayload, parseCredential, signBatch } from './signature';
import type { Measure } from './stream.schemas';

/**
 * A device simulator: realistic readings (a daily cycle plus smooth noise inside each measure's
 * valid range) from N devices at R readings per second in total, signed with each device's key
 * and sent over HTTP (batches) or MQTT (QoS 1). Used by `plaza simulate`, PLAZA_SIMULATE=1 and
 * the ingest bench. It records what was acknowledged so callers can check the count.
 */

/** A simulated device: its credential and the stream's measures. */
export interface SimDevice {
  stream: string;
  credential: string;
  measures: Measure[];
}

/** Simulator options. */
export interface SimOptions {
  /** http://host:port of the portal (HTTP mode). */
  baseUrl?: string;
  /** mqtt://host:port (MQTT mode). */
  mqttUrl?: string;
  /** Readings per second over all devices. */
  rate: number;
  /** Readings per HTTP batch (MQTT sends one reading per message unless set). */
  batchSize?: number;
  /** Requests or messages in flight at once. */
  concurrency?: number;
  /** Stop after this many seconds (default: until stop()). */
  durationSeconds?: number;
  /** First sequence number; defaults to a time-based one unique across runs. */
  seqStart?: number;
  /** Random seed. */
  seed?: number;
}

/** What was sent and acknowledged. */
export interface SimStats {
  sentBatches: number;
  ackedBatches: number;
  ackedReadings: number;
  failed: number;
  latenciesMs: number[];
  lastError?: string;
}

/** A running simulation. */
export interface Simulation {
  stats: SimStats;
  done: Promise<SimStats>;
  stop(): Promise<SimStats>;
}

/** A deterministic pseudo-random source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plausible value of a measure at a time for a device: daily cycle + device offset + noise, within range. */
export function simulatedValue(m: Measure, at: number, deviceIndex: number, random: () => number): number {
  const span = m.max - m.min;
  const typical = m.min + span * 0.12;
  const hour = (at / 3600_000) % 24;
  const cycle = Math.sin(((hour - 8) / 24) * 2 * Math.PI) * span * 0.05;
  const offset = ((deviceIndex * 7919) % 13) * span * 0.005;
  const noise = (random() - 0.5) * span * 0.02;
  const v = Math.min(m.max, Math.max(m.min, typical + cycle + offset + noise));
  return Math.round(v * 100) / 100;
}

/** Starts sending. */
export function simulate(devices: SimDevice[], options: SimOptions): Simulation {
  const stats: SimStats = { sentBatches: 0, ackedBatches: 0, ackedReadings: 0, failed: 0, latenciesMs: [] };
  const random = rng(options.seed ?? 20261128);
  const batchSize = options.batchSize ?? (options.mqttUrl ? 1 : 100);
  const concurrency = options.concurrency ?? 8;
  let seq = options.seqStart ?? Date.now() * 1000;
  let stopped = false;
  let client: MqttClient | undefined;
  const keys = devices.map((d) => {
    const parsed = parseCredential(d.credential);
    if (!parsed) throw new Error(`not a device credential for ${d.stream}`);
    return parsed;
  });
  const started = Date.now();
  const deadline = options.durationSeconds ? started + options.durationSeconds * 1000 : Infinity;
  const batchesPerSecond = options.rate / batchSize;
  let next = 0;

  const makeBatch = (i: number) => {
    const d = devices[i];
    const readings = [];
    const now = Date.now();
    for (let k = 0; k < batchSize; k++) {
      const at = now - (batchSize - 1 - k);
      readings.push({ time: new Date(at).toISOString(), values: Object.fromEntries(d.measures.map((m) => [m.name, simulatedValue(m, at, i, random)])) });
    }
    return JSON.stringify({ readings });
  };

  const sendOne = async (): Promise<void> => {
    const i = next++ % devices.length;
    const body = makeBatch(i);
    const s = seq++;
    const ts = Math.floor(Date.now() / 1000);
    const key = keys[i].key;
    const t0 = performance.now();
    stats.sentBatches++;
    try {
      if (client) {
        await client.publishAsync(`plaza/streams/${devices[i].stream}/${keys[i].deviceKey}`, mqttPayload(key, ts, s, body), { qos: 1 });
      } else {
        const res = await fetch(`${options.baseUrl}/api/v1/streams/${devices[i].stream}/readings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${devices[i].credential}`, 'content-type': 'application/json', 'x-plaza-timestamp': String(ts), 'x-plaza-sequence': String(s), 'x-plaza-signature': signBatch(key, ts, s, body) },
          body,
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      }
      stats.ackedBatches++;
      stats.ackedReadings += batchSize;
      stats.latenciesMs.push(performance.now() - t0);
    } catch (e) {
      stats.failed++;
      stats.lastError = e instanceof Error ? e.message : String(e);
    }
  };

  const done = (async () => {
    if (options.mqttUrl) {
      client = await mqtt.connectAsync(options.mqttUrl, { clientId: `plaza-sim-${process.pid}-${Math.floor(random() * 1e9)}`, clean: true, reconnectPeriod: 1000 });
    }
    const workers = Array.from({ length: concurrency }, async () => {
      while (!stopped && Date.now() < deadline) {
        // Pace to the rate: batch n is due at started + n / batchesPerSecond.
        const due = started + (stats.sentBatches / batchesPerSecond) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
        if (stopped || Date.now() >= deadline) break;
        await sendOne();
      }
    });
    await Promise.all(workers);
    if (client) await client.endAsync();
    return stats;
  })();
  return {
    stats,
    done,
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}
