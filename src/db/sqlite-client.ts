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

/** A statement of the read-only side connection. */
export interface ReadOnlyStatement {
  raw(on: boolean): ReadOnlyStatement;
  pluck(on: boolean): ReadOnlyStatement;
  all(...params: unknown[]): unknown[][];
  get(...params: unknown[]): unknown;
}

/** The read-only side connection of a file database. */
export interface ReadOnlySqlite {
  prepare(sql: string): ReadOnlyStatement;
  pragma(sql: string): unknown;
  close(): void;
  open: boolean;
}

/** The knex client class Plaza uses for SQLite. */
export class PlazaSqliteClient extends (ClientBetterSqlite3 as unknown as new (config: Knex.Config) => {
  acquireRawConnection(): Promise<RawSqlite>;
  connectionSettings: { filename: string };
  _formatBindings(bindings: unknown[] | undefined): unknown[];
  destroy(callback?: (err?: unknown) => void): Promise<void>;
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

  private side: ReadOnlySqlite | undefined;

  /**
   * A read-only connection to the same file, outside the pool (undefined for :memory:), opened on
   * first use and closed with the pool. Hot reads (the catalogue generation before every search,
   * release tables for downloads) use it without knex's query machinery; in WAL mode it sees the
   * last committed state while the pool's connection writes.
   */
  readOnlyConnection(): ReadOnlySqlite | undefined {
    if (this.side?.open) return this.side;
    const filename = this.connectionSettings.filename;
    if (!filename || filename === ':memory:') return undefined;
    const Database = require('better-sqlite3') as new (file: string, opts: { readonly: boolean; fileMustExist: boolean }) => ReadOnlySqlite;
    const conn = new Database(filename, { readonly: true, fileMustExist: true });
    conn.pragma('busy_timeout = 10000');
    // Downloads read whole tables in order: memory-mapped pages spare a copy per page (about 10% of
    // a 1,000,000-row CSV download's time). Mapped pages are the OS page cache, shared and reclaimable.
    conn.pragma('mmap_size = 268435456');
    this.side = conn;
    return conn;
  }

  override async destroy(callback?: (err?: unknown) => void): Promise<void> {
    if (this.side?.open) this.side.close();
    this.side = undefined;
    return super.destroy(callback);
  }
}

/** The read-only side connection of a SQLite file database; undefined on PostgreSQL, :memory: and inside a transaction. */
export function readOnlyConnectionOf(db: { client: unknown; isTransaction?: boolean }): ReadOnlySqlite | undefined {
  if (db.isTransaction || !(db.client instanceof PlazaSqliteClient)) return undefined;
  return db.client.readOnlyConnection();
}
