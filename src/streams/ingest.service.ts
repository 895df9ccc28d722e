import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import { AppError, ConflictError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../errors';
import type { Logger } from '../logger';
import { storeBatches, streamWatermarks, type BatchToStore, type StoreOutcome } from './reading.repository';
import { checkBatch, type ReadingError } from './reading-validation';
import { acceptsReadingAt } from './rollup';
import { bodyDigest, deriveDeviceKey, keyHash, parseCredential, signatureMatches, withinWindow } from './signature';
import { getDeviceByKey, getStreamById, type DeviceRecord, type StreamRecord } from './stream.repository';

/**
 * The one ingest path behind HTTP and MQTT: who the device is (from its credential or, over MQTT,
 * its topic — proven by the signature with that device's key), the signature and its time window,
 * per-reading validation, and a group commit: batches from many requests are stored in one
 * transaction, and each caller's promise resolves only after that transaction committed.
 */

/** Ingest limits (from the configuration). */
export interface IngestSettings {
  maxBatch: number;
  signatureWindowSeconds: number;
  maxFutureSeconds: number;
}

/** A device that proved who it is. */
export interface DeviceAuth {
  device: DeviceRecord;
  stream: StreamRecord;
  key: Buffer;
  /** The key derived now does not hash to the one stored at registration: PLAZA_SECRET has changed since. */
  otherSecret: boolean;
}

/** What a batch's sender is told. */
export interface IngestResult {
  stream: string;
  device: string;
  seq: number;
  /** True when this (device, sequence) was already stored with the same body: nothing was added. */
  duplicate: boolean;
  accepted: number;
  rejected: ReadingError[];
}

interface Pending {
  batch: BatchToStore;
  rejected: ReadingError[];
  indexes: number[];
  resolve(r: { outcome: StoreOutcome; late: ReadingError[] }): void;
  reject(e: unknown): void;
}

const cacheMs = 5_000;
const maxPerCommit = 5_000;

/** The ingest service of one process. */
export class StreamIngest {
  private readonly devices = new Map<string, { auth: DeviceAuth | null; expires: number }>();
  private readonly queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  /** Commits so far and batches in them (for the bench and logs). */
  readonly stats = { commits: 0, batches: 0, readings: 0 };

  constructor(
    private readonly db: Db,
    private readonly secret: string,
    readonly settings: IngestSettings,
    private readonly logger?: Logger,
  ) {}

  /** Forgets cached devices (after a revocation or a policy change in this process). */
  invalidate(deviceKey?: string): void {
    if (deviceKey) this.devices.delete(deviceKey);
    else this.devices.clear();
  }

  private async lookup(deviceKey: string): Promise<DeviceAuth | null> {
    const now = Date.now();
    const hit = this.devices.get(deviceKey);
    if (hit && hit.expires > now) return hit.auth;
    const device = await getDeviceByKey(this.db, deviceKey);
    let auth: DeviceAuth | null = null;
    if (device) {
      const stream = await getStreamById(this.db, device.streamId);
      // The key is re-derived from the deployment secret; a changed secret invalidates every
      // credential, which the hash stored at registration tells apart from a wrong key.
      if (stream) {
        const key = deriveDeviceKey(this.secret, device.keySalt);
        auth = { device, stream, key, otherSecret: keyHash(key) !== device.keyHash };
        if (auth.otherSecret) this.logger?.warn({ device: device.key, stream: stream.slug }, 'device registered under another PLAZA_SECRET: its credential can no longer be checked; register the device again');
      }
    }
    this.devices.set(deviceKey, { auth, expires: now + cacheMs });
    if (this.devices.size > 100_000) this.devices.delete(this.devices.keys().next().value as string);
    return auth;
  }

  private usable(auth: DeviceAuth | null, streamSlug: string): DeviceAuth {
    if (!auth || auth.stream.slug !== streamSlug) throw new UnauthorizedError(`The device credential is not valid for stream "${streamSlug}"`);
    if (auth.device.revokedAt) throw new UnauthorizedError(`Device "${auth.device.key}" was revoked on ${auth.device.revokedAt.slice(0, 10)}`);
    if (auth.otherSecret) throw new UnauthorizedError(`Device "${auth.device.key}" was registered before the portal's secret changed, so its credential can no longer be checked: a steward must register the device again`);
    return auth;
  }

  /** HTTP: the device named by a `plzd_…` credential, which must belong to the stream. */
  async authenticateCredential(credential: string | undefined, streamSlug: string): Promise<DeviceAuth> {
    const parsed = credential ? parseCredential(credential) : undefined;
    if (!parsed) throw new UnauthorizedError('Send the device credential as "Authorization: Bearer plzd_<device>.<key>"');
    const auth = this.usable(await this.lookup(parsed.deviceKey), streamSlug);
    if (!crypto.timingSafeEqual(auth.key, parsed.key)) throw new UnauthorizedError(`The device credential is not valid for stream "${streamSlug}"`);
    return auth;
  }

  /** MQTT: the device named by the topic; the signature proves the sender holds its key. */
  async authenticateTopic(streamSlug: string, deviceKey: string): Promise<DeviceAuth> {
    return this.usable(await this.lookup(deviceKey), streamSlug);
  }

  /** Checks the timestamp window and the HMAC signature of a batch. */
  verify(auth: DeviceAuth, timestamp: number, seq: number, body: Buffer, signature: string | undefined, now = Date.now()): void {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new ValidationError('The sequence number must be a whole number ≥ 0 (X-Plaza-Sequence)');
    if (!withinWindow(timestamp, now, this.settings.signatureWindowSeconds)) {
      throw new UnauthorizedError(`The signed timestamp is more than ${this.settings.signatureWindowSeconds} s from the server's clock (X-Plaza-Timestamp, Unix seconds): check the device's clock`);
    }
    if (!signature || !signatureMatches(auth.key, timestamp, seq, body, signature)) {
      throw new UnauthorizedError('The signature does not match: HMAC-SHA-256(key, "<timestamp>.<sequence>." + body) in hex (X-Plaza-Signature)');
    }
  }

  /** Validates a signed batch and stores its valid readings; resolves after the commit. */
  async submit(auth: DeviceAuth, seq: number, rawBody: Buffer, json: unknown, now = Date.now()): Promise<IngestResult> {
    const check = checkBatch(json, auth.stream.measures, { now, maxFutureMs: this.settings.maxFutureSeconds * 1000, maxReadings: this.settings.maxBatch });
    if (!check.ok) throw check.status === 413 ? new PayloadTooLargeError(check.message) : new ValidationError(check.message);
    const base = { stream: auth.stream.slug, device: auth.device.key, seq };
    if (check.valid.length === 0) {
      throw new AppError(422, 'invalid_readings', `None of the ${check.rejected.length} readings is valid; nothing was stored`, { rejected: check.rejected });
    }
    const batch: BatchToStore = {
      streamId: auth.stream.id,
      deviceId: auth.device.id,
      seq,
      digest: bodyDigest(rawBody),
      receivedAt: now,
      readings: check.valid.map((r) => ({ at: r.at, values: r.values })),
    };
    const { outcome, late } = await new Promise<{ outcome: StoreOutcome; late: ReadingError[] }>((resolve, reject) => {
      this.queue.push({ batch, rejected: check.rejected, indexes: check.valid.map((r) => r.index), resolve, reject });
      this.schedule();
    });
    if (outcome.kind === 'duplicate') {
      if (!outcome.sameBody) throw new ConflictError(`Sequence number ${seq} of device "${auth.device.key}" was already used for a different batch`, { seq });
      return { ...base, duplicate: true, accepted: 0, rejected: [] };
    }
    const rejected = [...check.rejected, ...late].sort((a, b) => a.index - b.index);
    return { ...base, duplicate: false, accepted: batch.readings.length, rejected };
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Stores everything queued, in as few transactions as possible (group commit). */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length) {
        const items = this.queue.splice(0, maxPerCommit);
        try {
          const lates = items.map((): ReadingError[] => []);
          const outcomes = await this.db.transaction(async (trx) => {
            const marks = await streamWatermarks(trx, [...new Set(items.map((i) => i.batch.streamId))]);
            items.forEach((item, k) => {
              const closedUntil = marks.get(item.batch.streamId) ?? 0;
              const keep: BatchToStore['readings'] = [];
              item.batch.readings.forEach((r, j) => {
                if (acceptsReadingAt(r.at, closedUntil)) keep.push(r);
                else lates[k].push({ index: item.indexes[j], errors: [`"time" falls in an interval already released (readings before ${new Date(closedUntil).toISOString()} are closed)`] });
              });
              item.batch.readings = keep;
            });
            return storeBatches(trx, items.map((i) => i.batch));
          });
          this.stats.commits++;
          this.stats.batches += items.length;
          items.forEach((item, k) => {
            if (outcomes[k].kind === 'stored') this.stats.readings += item.batch.readings.length;
            item.resolve({ outcome: outcomes[k], late: lates[k] });
          });
        } catch (err) {
          this.logger?.error({ err }, 'stream ingest commit failed');
          for (const item of items) item.reject(new AppError(503, 'unavailable', 'The readings could not be stored; retry the same batch (same sequence number)'));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Waits until nothing is queued (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length || this.flushing) await new Promise((r) => setTimeout(r, 5));
  }
}
