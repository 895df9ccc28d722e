import type { Db } from '../db/knex';
import { dialectOf } from '../db/knex';

/**
 * Leadership of the stream scheduler. On PostgreSQL a session-level advisory lock held on a
 * connection set aside for it: exactly one instance holds it, and it is released when that
 * instance stops or its connection dies, so another takes over on its next tick. On SQLite (one
 * database file, one application instance) the process is always the leader; the per-stream
 * transaction re-checks the watermark in any case, so an interval is never released twice.
 */

/** Advisory lock key of the stream scheduler. */
const schedulerLockKey = 8_261_128;

interface PgConnection {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** A leader lock: try to take it, find out whether it is held, give it back. */
export interface LeaderLock {
  tryAcquire(): Promise<boolean>;
  held(): boolean;
  release(): Promise<void>;
}

/** The scheduler's leader lock for a database. */
export function leaderLock(db: Db): LeaderLock {
  if (dialectOf(db) !== 'pg') {
    return { tryAcquire: async () => true, held: () => true, release: async () => undefined };
  }
  let conn: PgConnection | null = null;
  let holding = false;
  const drop = async () => {
    const c = conn;
    conn = null;
    holding = false;
    if (c) await db.client.releaseConnection(c).catch(() => undefined);
  };
  return {
    async tryAcquire() {
      if (holding && conn) {
        // Still ours? A broken connection means the lock is gone.
        try {
          await conn.query('SELECT 1');
          return true;
        } catch {
          await drop();
        }
      }
      try {
        conn ??= (await db.client.acquireConnection()) as PgConnection;
        const res = await conn.query('SELECT pg_try_advisory_lock($1) AS ok', [schedulerLockKey]);
        holding = res.rows[0]?.ok === true;
        if (!holding) await drop();
        return holding;
      } catch {
        await drop();
        return false;
      }
    },
    held: () => holding,
    async release() {
      if (conn && holding) await conn.query('SELECT pg_advisory_unlock($1)', [schedulerLockKey]).catch(() => undefined);
      await drop();
    },
  };
}
