/* eslint-disable @typescript-eslint/no-require-imports */
import type { Knex } from 'knex';

/**
 * knex's better-sqlite3 client with two changes: every connection gets Plaza's pragmas (WAL,
 * foreign keys, busy timeout), and transactions start with BEGIN IMMEDIATE so a writer takes the
 * write lock up front and waits (busy_timeout) instead of failing with SQLITE_BUSY when it later
 * upgrades a read lock while another process writes.
 */
const ClientBetterSqlite3 = require('knex/lib/dialects/better-sqlite3') as new (config: Knex.Config) => unknown;
const TransactionSqlite = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as new (
  ...args: unknown[]
) => { query(conn: unknown, sql: string): Promise<unknown> };

class ImmediateTransaction extends TransactionSqlite {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

interface RawSqlite {
  pragma(sql: string): unknown;
  function(name: string, options: { deterministic: boolean }, fn: (...args: unknown[]) => unknown): void;
}

/** The knex client class Plaza uses for SQLite. */
export class PlazaSqliteClient extends (ClientBetterSqlite3 as unknown as new (config: Knex.Config) => {
  acquireRawConnection(): Promise<RawSqlite>;
  connectionSettings: { filename: string };
}) {
  override async acquireRawConnection(): Promise<RawSqlite> {
    const conn = await super.acquireRawConnection();
    const inMemory = this.connectionSettings.filename === ':memory:';
    if (!inMemory) conn.pragma('journal_mode = WAL');
    conn.pragma('foreign_keys = ON');
    conn.pragma('busy_timeout = 10000');
    conn.pragma('synchronous = NORMAL');
    return conn;
  }

  transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }
}
