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

interface RawStatement {
  reader: boolean;
  all(bindings: unknown[]): unknown[];
  run(bindings: unknown[]): { lastInsertRowid: number | bigint; changes: number };
  safeIntegers(on: boolean): RawStatement;
}

interface RawSqlite {
  pragma(sql: string): unknown;
  prepare(sql: string): RawStatement;
}

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: { safeIntegers?: boolean };
  response?: unknown;
  context?: unknown;
}

/** Prepared statements kept per connection (SQLite re-prepares them itself after schema changes). */
const statementCacheSize = 256;
const statementCaches = new WeakMap<RawSqlite, Map<string, RawStatement>>();

function prepareCached(conn: RawSqlite, sql: string): RawStatement {
  let cache = statementCaches.get(conn);
  if (!cache) statementCaches.set(conn, (cache = new Map()));
  const hit = cache.get(sql);
  if (hit) {
    cache.delete(sql);
    cache.set(sql, hit);
    return hit;
  }
  const statement = conn.prepare(sql);
  cache.set(sql, statement);
  if (cache.size > statementCacheSize) cache.delete(cache.keys().next().value as string);
  return statement;
}

/** The knex client class Plaza uses for SQLite. */
export class PlazaSqliteClient extends (ClientBetterSqlite3 as unknown as new (config: Knex.Config) => {
  acquireRawConnection(): Promise<RawSqlite>;
  connectionSettings: { filename: string };
  _formatBindings(bindings: unknown[] | undefined): unknown[];
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

  /** knex's better-sqlite3 _query, with prepared statements reused instead of prepared per query. */
  async _query(connection: RawSqlite, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    if (!connection) throw new Error('No connection provided');
    const statement = prepareCached(connection, obj.sql);
    const safe = obj.options?.safeIntegers;
    statement.safeIntegers(typeof safe === 'boolean' ? safe : false);
    const bindings = this._formatBindings(obj.bindings);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const response = statement.run(bindings);
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }

  transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }
}
