import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hashAuditRecord } from '../../src/audit/audit-hash';
import { auditFromRow } from '../../src/audit/audit.repository';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { fromRoot } from '../../src/paths';
import { testPgUrl } from '../helpers/test-db';

function run(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fromRoot('test/integration/workers/audit-writer.ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => resolve({ code, err }));
  });
}

test('several processes writing to one database at once never fail with SQLITE_BUSY and never fork the audit chain', async () => {
  const schema = testPgUrl ? 'test_' + crypto.randomBytes(6).toString('hex') : '';
  const url = testPgUrl ?? 'sqlite:' + path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-conc-')), 'p.db');
  const db = await createDb(url, { schema: schema || undefined });
  try {
    await migrateLatest(db);
    const writers = 4;
    const each = 40;
    const results = await Promise.all(Array.from({ length: writers }, (_, i) => run([url, schema, String(each), `w${i}`])));
    for (const r of results) assert.equal(r.code, 0, r.err);
    const rows = (await db('audit_log').orderBy('seq')).map(auditFromRow);
    assert.equal(rows.length, writers * each);
    let prev = '0'.repeat(64);
    rows.forEach((r, i) => {
      assert.equal(r.seq, i + 1, 'no gaps or duplicates');
      assert.equal(r.prevHash, prev, `entry ${r.seq} links to the previous one`);
      assert.equal(hashAuditRecord(r), r.hash);
      prev = r.hash;
    });
  } finally {
    if (schema) await db.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  }
});
