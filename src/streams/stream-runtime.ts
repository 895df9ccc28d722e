import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import type { StreamIngest } from './ingest.service';
import { startMqttSubscriber, type MqttSubscriber } from './mqtt-subscriber';
import { simulate, type Simulation } from './simulator';
import { startStreamScheduler, type StreamScheduler } from './stream-scheduler';
import { credentialOf } from './stream.service';
import { listDevices, listStreams } from './stream.repository';

/**
 * What a running server does for streams besides answering requests: the release scheduler, the
 * MQTT subscriber (when MQTT_URL is set) and, with PLAZA_SIMULATE=1, simulated devices feeding
 * every stream over HTTP so the demo's live pages move.
 */

/** The running parts; close() stops them in order (simulator, subscriber, scheduler). */
export interface StreamRuntime {
  scheduler: StreamScheduler | null;
  mqtt: MqttSubscriber | null;
  simulation: Simulation | null;
  close(): Promise<void>;
}

/** Devices the demo simulator feeds per stream, and readings per second for all of them together. */
const simulatedRate = 2;

/** Starts the stream runtime of a listening server. */
export async function startStreamRuntime(deps: { db: Db; config: Config; logger: Logger; ingest: StreamIngest; listenUrl: string }): Promise<StreamRuntime> {
  const { db, config, logger, ingest } = deps;
  const c = config.streams;
  const scheduler = c.tickSeconds > 0 ? startStreamScheduler(db, { tickSeconds: c.tickSeconds, logger, gate: config.releasePolicy }) : null;
  let mqtt: MqttSubscriber | null = null;
  const mqttUrl = c.mqttUrl;
  if (mqttUrl) {
    mqtt = startMqttSubscriber(ingest, { url: mqttUrl, clientId: c.mqttClientId, username: c.mqttUsername, password: c.mqttPassword, logger });
    mqtt.ready.then(
      () => logger.info({ url: mqttUrl.replace(/\/\/[^@]*@/, '//') }, 'MQTT ingest subscribed to plaza/streams/+/+'),
      (err: unknown) => logger.error({ err }, 'MQTT ingest could not subscribe'),
    );
  }
  let simulation: Simulation | null = null;
  if (c.simulate) {
    const devices = [];
    for (const s of await listStreams(db)) {
      for (const d of (await listDevices(db, s.id)).filter((x) => !x.revokedAt)) devices.push({ stream: s.slug, credential: credentialOf(config.secret, d), measures: s.measures });
    }
    if (devices.length) {
      simulation = simulate(devices, { baseUrl: deps.listenUrl, rate: Math.max(simulatedRate, devices.length / 10), batchSize: 1, concurrency: 2 });
      logger.info({ devices: devices.length }, 'PLAZA_SIMULATE: simulated devices are feeding the streams');
    }
  }
  return {
    scheduler,
    mqtt,
    simulation,
    async close() {
      if (simulation) await simulation.stop();
      if (mqtt) await mqtt.close();
      await ingest.drain();
      if (scheduler) await scheduler.stop();
    },
  };
}
