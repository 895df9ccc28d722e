import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { StreamIngest } from './ingest.service';
import { parseMqttPayload } from './signature';

/**
 * The MQTT way in: a persistent-session subscriber (QoS 1) on `plaza/streams/+/+`. The topic names
 * the stream and device; the message carries `v1 <timestamp> <sequence> <signature>` and the JSON
 * batch, checked exactly like the HTTP route. The PUBACK of a message is sent only after its batch
 * is committed (the broker redelivers anything unacknowledged after a restart), while the client
 * keeps reading further messages so commits are grouped. Invalid messages are acknowledged and
 * dropped with a log line: redelivering them would never succeed.
 */

/** Topic filter the subscriber listens on. */
export const streamTopicFilter = 'plaza/streams/+/+';

/** What happened to each message (tests and the bench read these). */
export interface MqttStats {
  received: number;
  stored: number;
  duplicates: number;
  rejected: number;
}

/** A running subscriber. */
export interface MqttSubscriber {
  client: MqttClient;
  stats: MqttStats;
  /** Resolves once subscribed. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const topicPattern = /^plaza\/streams\/([a-z0-9]+(?:-[a-z0-9]+)*)\/([a-z0-9][a-z0-9-]{0,62})$/;

type SendPacket = (packet: Record<string, unknown>, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/** Connects and subscribes. */
export function startMqttSubscriber(ingest: StreamIngest, options: { url: string; clientId: string; username?: string; password?: string; logger?: Logger }): MqttSubscriber {
  const stats: MqttStats = { received: 0, stored: 0, duplicates: 0, rejected: 0 };
  const connectOptions: IClientOptions = {
    clientId: options.clientId,
    clean: false,
    protocolVersion: 5,
    // Let the broker keep many messages in flight: acknowledgements wait for the group commit.
    properties: { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: 4096 },
    username: options.username,
    password: options.password,
    reconnectPeriod: 2000,
  };
  const client = mqtt.connect(options.url, connectOptions);
  const log = options.logger;

  /** Commit promises of messages whose PUBACK waits for the database, by message id. */
  const waiting = new Map<number, Promise<boolean>>();
  const internals = client as unknown as { _sendPacket: SendPacket };
  const send = internals._sendPacket.bind(client);
  // PUBACKs released by one commit go out in one write: cork the socket until the next tick.
  let corked = false;
  const sendBatched = (packet: Record<string, unknown>) => {
    const stream = client.stream as unknown as { cork?: () => void; uncork?: () => void } | undefined;
    if (!corked && stream?.cork && stream.uncork) {
      corked = true;
      stream.cork();
      process.nextTick(() => {
        corked = false;
        stream.uncork!();
      });
    }
    send(packet);
  };
  internals._sendPacket = (packet, cb, ...rest) => {
    const id = packet.messageId as number | undefined;
    const commit = packet.cmd === 'puback' && id !== undefined ? waiting.get(id) : undefined;
    if (!commit) return send(packet, cb, ...rest);
    waiting.delete(id!);
    // Let the client read the next message now; the PUBACK follows the commit.
    cb?.();
    void commit.then((ack) => {
      if (ack) sendBatched(packet);
      // Not acknowledged: the broker redelivers it when the session resumes.
      else if (client.connected) client.end(true, () => client.reconnect());
    });
  };

  const handle = async (packet: IPublishPacket): Promise<boolean> => {
    stats.received++;
    const m = topicPattern.exec(packet.topic);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const parts = parseMqttPayload(payload);
    try {
      if (!m) throw new AppError(400, 'invalid_topic', 'topic must be plaza/streams/<stream>/<device>');
      if (!parts) throw new AppError(400, 'invalid_payload', 'payload must start with "v1 <timestamp> <sequence> <signature>\\n"');
      const auth = await ingest.authenticateTopic(m[1], m[2]);
      ingest.verify(auth, parts.timestamp, parts.seq, parts.body, parts.signature);
      let json: unknown;
      try {
        json = JSON.parse(parts.body.toString('utf8'));
      } catch {
        throw new AppError(400, 'invalid_payload', 'the batch is not valid JSON');
      }
      const r = await ingest.submit(auth, parts.seq, parts.body, json);
      if (r.duplicate) stats.duplicates++;
      else stats.stored++;
      if (r.rejected.length) log?.info({ topic: packet.topic, seq: parts.seq, rejected: r.rejected.slice(0, 5) }, 'mqtt readings rejected');
      return true;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        stats.rejected++;
        log?.warn({ topic: packet.topic, code: err.code, reason: err.message }, 'mqtt message rejected');
        return true;
      }
      log?.error({ err, topic: packet.topic }, 'mqtt message not stored; the broker will redeliver it');
      return false;
    }
  };

  client.handleMessage = (packet, callback) => {
    const p = handle(packet);
    if (packet.qos > 0 && packet.messageId !== undefined) waiting.set(packet.messageId, p);
    callback();
  };

  const ready = new Promise<void>((resolve, reject) => {
    const subscribe = () =>
      client.subscribe(streamTopicFilter, { qos: 1 }, (err) => {
        if (err) reject(err);
        else resolve();
      });
    client.once('connect', subscribe);
    client.once('error', reject);
  });
  client.on('error', (err) => log?.warn({ err: err.message }, 'mqtt error'));
  client.on('reconnect', () => log?.debug('mqtt reconnecting'));
  return {
    client,
    stats,
    ready,
    close: () =>
      new Promise<void>((resolve) => {
        void Promise.allSettled([...waiting.values()]).then(() => client.end(false, {}, () => resolve()));
      }),
  };
}
