import type { DbOrTrx } from '../db/knex';
import { dialectOf } from '../db/knex';
import type { Reading } from './rollup';

/**
 * Raw readings and the idempotency ledger (private side). A batch is one row of
 * `stream_batches`, unique on (device, sequence number); its readings are stored in the same
 * transaction, so a batch is either wholly stored once or not at all. On SQLite the group commit
 * runs prepared statements on the transaction's own connection; on PostgreSQL multi-row INSERTs.
 */

/** A batch ready to be stored. */
export interface BatchToStore {
  streamId: number;
  deviceId: number;
  seq: number;
  digest: string;
  receivedAt: number;
  readings: Array<{ at: number; values: Record<string, number | null> }>;
}

/** What happened to a batch: stored, or already stored under that sequence number (with the same or another body). */
export type StoreOutcome = { kind: 'stored' } | { kind: 'duplicate'; sameBody: boolean };

interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

const statements = new WeakMap<object, { batch: SqliteStatement; digest: SqliteStatement; reading: SqliteStatement }>();

/** The release watermarks of streams, read inside the writer's transaction (shared lock on PostgreSQL). */
export async function streamWatermarks(trx: DbOrTrx, streamIds: number[]): Promise<Map<number, number>> {
  const q = trx('streams').whereIn('id', streamIds).select('id', 'closed_until');
  if (dialectOf(trx) === 'pg') q.forShare();
  const rows = (await q) as Array<{ id: number; closed_until: number | string }>;
  return new Map(rows.map((r) => [Number(r.id), Number(r.closed_until)]));
}

/** Stores batches inside an open transaction; returns one outcome per batch, in order. */
export async function storeBatches(trx: DbOrTrx, batches: BatchToStore[]): Promise<StoreOutcome[]> {
  if (dialectOf(trx) === 'pg') return storeBatchesPg(trx, batches);
  const conn = (await trx.client.acquireConnection()) as SqliteConnection;
  let s = statements.get(conn);
  if (!s) {
    s = {
      batch: conn.prepare('INSERT OR IGNORE INTO stream_batches (device_id, seq, digest, readings, received_at) VALUES (?, ?, ?, ?, ?)'),
      digest: conn.prepare('SELECT digest FROM stream_batches WHERE device_id = ? AND seq = ?'),
      reading: conn.prepare('INSERT INTO stream_readings (stream_id, device_id, seq, at, values_json) VALUES (?, ?, ?, ?, ?)'),
    };
    statements.set(conn, s);
  }
  const out: StoreOutcome[] = [];
  for (const b of batches) {
    const { changes } = s.batch.run(b.deviceId, b.seq, b.digest, b.readings.length, b.receivedAt);
    if (changes === 0) {
      const row = s.digest.get(b.deviceId, b.seq) as { digest: string } | undefined;
      out.push({ kind: 'duplicate', sameBody: row?.digest === b.digest });
      continue;
    }
    for (const r of b.readings) s.reading.run(b.streamId, b.deviceId, b.seq, r.at, JSON.stringify(r.values));
    out.push({ kind: 'stored' });
  }
  return out;
}

async function storeBatchesPg(trx: DbOrTrx, batches: BatchToStore[]): Promise<StoreOutcome[]> {
  const inserted = (await trx('stream_batches')
    .insert(batches.map((b) => ({ device_id: b.deviceId, seq: b.seq, digest: b.digest, readings: b.readings.length, received_at: b.receivedAt })))
    .onConflict(['device_id', 'seq'])
    .ignore()
    .returning(['device_id', 'seq'])) as Array<{ device_id: number; seq: string | number }>;
  const fresh = new Set(inserted.map((r) => `${r.device_id}:${r.seq}`));
  const out: StoreOutcome[] = [];
  const rows: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  for (const b of batches) {
    const k = `${b.deviceId}:${b.seq}`;
    if (fresh.has(k) && !seen.has(k)) {
      seen.add(k);
      out.push({ kind: 'stored' });
      for (const r of b.readings) rows.push({ stream_id: b.streamId, device_id: b.deviceId, seq: b.seq, at: r.at, values_json: JSON.stringify(r.values) });
    } else {
      const row = (await trx('stream_batches').where({ device_id: b.deviceId, seq: b.seq }).first('digest')) as { digest: string } | undefined;
      out.push({ kind: 'duplicate', sameBody: row?.digest === b.digest });
    }
  }
  for (let i = 0; i < rows.length; i += 5000) await trx('stream_readings').insert(rows.slice(i, i + 5000));
  return out;
}

/** A stream's readings with `from ≤ at < to`, in time order. */
export async function readReadings(db: DbOrTrx, streamId: number, from: number, to: number): Promise<Reading[]> {
  const rows = (await db('stream_readings').where({ stream_id: streamId }).andWhere('at', '>=', from).andWhere('at', '<', to).orderBy(['at', 'id']).select('device_id', 'at', 'values_json')) as Array<{
    device_id: number;
    at: number | string;
    values_json: string;
  }>;
  return rows.map((r) => ({ deviceId: Number(r.device_id), at: Number(r.at), values: JSON.parse(r.values_json) as Record<string, number | null> }));
}

/** How many readings a stream holds (all, or from one device). */
export async function countReadings(db: DbOrTrx, streamId: number, deviceId?: number): Promise<number> {
  const q = db('stream_readings').where({ stream_id: streamId });
  if (deviceId !== undefined) q.andWhere({ device_id: deviceId });
  const [{ n }] = (await q.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(n);
}

/** Readings stored per (device, sequence number) that appear more than once (must be none). */
export async function duplicateBatchCount(db: DbOrTrx): Promise<number> {
  const rows = await db('stream_batches').groupBy('device_id', 'seq').havingRaw('count(*) > 1').select('device_id');
  return rows.length;
}

/** Appends readings directly (the demo seed's history), bypassing the ingest path. */
export async function insertReadingsDirect(db: DbOrTrx, rows: Array<{ streamId: number; deviceId: number; seq: number; at: number; values: Record<string, number | null> }>): Promise<void> {
  const records = rows.map((r) => ({ stream_id: r.streamId, device_id: r.deviceId, seq: r.seq, at: r.at, values_json: JSON.stringify(r.values) }));
  for (let i = 0; i < records.length; i += 100) await db('stream_readings').insert(records.slice(i, i + 100));
}
