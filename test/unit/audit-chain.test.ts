import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemActor } from '../../src/auth/actor';
import { appendAudit, auditFromRow } from '../../src/audit/audit.repository';
import { checkpointLink, createCheckpoint, loadSigningKey, readCheckpointFile, type Checkpoint } from '../../src/audit/audit-checkpoint';
import { canonicalJson, genesisHash, hashAuditRecord } from '../../src/audit/audit-hash';
import { verifyAuditChain, type VerifyResult } from '../../src/audit/audit-verify';
import { startCheckpointSchedule } from '../../src/audit/audit.service';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import { run } from '../../src/cli/main';
import { tempDataDir } from '../helpers/auth-fixtures';
import { createTestDb, testPgUrl, type TestDb } from '../helpers/test-db';

/**
 * The tamper suite: build a chain with signed checkpoints, copy the database, tamper with the copy
 * the way someone with database access (but not the signing key) could, and check that
 * verification names the first bad entry every time.
 */

const actions = ['auth.login', 'user.created', 'token.created', 'dataset.updated', 'download.release'] as const;

async function appendSome(db: Db, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendAudit(db, {
      actor: i % 3 === 0 ? 'anonymous' : `user:${i % 4}`,
      action: actions[i % actions.length],
      objectType: 'thing',
      objectId: i,
      client: i % 3 === 0 ? 'h:' + 'ab'.repeat(16) : '10.0.0.1',
      details: { i, note: `entry ${i}`, nested: { z: 1, a: [1, 2] } },
    });
  }
}

type Copy = { db: Db; close(): Promise<void> };

describe('audit chain tamper suite', () => {
  let dir: string;
  let base: TestDb | { db: Db; dialect: 'sqlite'; destroy(): Promise<void> };
  let baseFile = '';
  let keyFile: string;
  let cpFile: string;
  // The CLI contract is checked on a SQLite file on either engine (on PostgreSQL, a twin chain).
  let cliBaseFile = '';
  let cliCpFile = '';
  let head = 0;
  const schemas: string[] = [];
  const open: Copy[] = [];

  before(async () => {
    dir = tempDataDir();
    keyFile = path.join(dir, 'key.pem');
    cpFile = path.join(dir, 'checkpoints.jsonl');
    if (testPgUrl) {
      base = await createTestDb();
    } else {
      baseFile = path.join(dir, 'base.db');
      const db = await createDb('sqlite:' + baseFile);
      await migrateLatest(db);
      base = { db, dialect: 'sqlite', destroy: () => db.destroy() };
    }
    const build = async (db: Db, checkpointFile: string) => {
      const opts = { signingKeyFile: keyFile, checkpointFile, actor: systemActor };
      await appendSome(db, 12);
      await createCheckpoint(db, opts); // signs entry 12, records itself as entry 13
      await appendSome(db, 10);
      await createCheckpoint(db, opts); // signs 23, entry 24
      await appendSome(db, 5);
      await createCheckpoint(db, opts); // signs 29, entry 30
    };
    await build(base.db, cpFile);
    head = 30;
    if (!testPgUrl) {
      await base.db.destroy();
      cliBaseFile = baseFile;
      cliCpFile = cpFile;
    } else {
      cliBaseFile = path.join(dir, 'cli-base.db');
      cliCpFile = path.join(dir, 'cli-checkpoints.jsonl');
      const twin = await createDb('sqlite:' + cliBaseFile);
      await migrateLatest(twin);
      await build(twin, cliCpFile);
      await twin.destroy();
    }
  });
  after(async () => {
    for (const c of open) await c.close();
    if (testPgUrl) {
      for (const s of schemas) await base.db.raw(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await base.destroy();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the database without the append-only triggers (an attacker with database access drops them). */
  async function copy(): Promise<Copy> {
    if (testPgUrl) {
      const schema = 'tamper_' + crypto.randomBytes(5).toString('hex');
      schemas.push(schema);
      await base.db.raw(`CREATE SCHEMA "${schema}"`);
      await base.db.raw(`CREATE TABLE "${schema}".audit_log AS SELECT * FROM audit_log`);
      const db = await createDb(testPgUrl, { schema, poolMax: 2 });
      const c = { db, close: () => db.destroy() };
      open.push(c);
      return c;
    }
    const file = path.join(dir, `copy-${crypto.randomBytes(4).toString('hex')}.db`);
    fs.copyFileSync(baseFile, file);
    const db = await createDb('sqlite:' + file);
    await db.raw('DROP TRIGGER audit_log_no_update');
    await db.raw('DROP TRIGGER audit_log_no_delete');
    const c = { db, close: () => db.destroy() };
    open.push(c);
    return c;
  }

  const keys = () => loadSigningKey(keyFile)!;
  const verify = (db: Db, checkpoints: Checkpoint[] | undefined = readCheckpointFile(cpFile), complete = true) =>
    verifyAuditChain(db, { checkpoints, keys: keys(), complete, batchSize: 7 });
  const expectFail = (r: VerifyResult, seq: number, reason: RegExp) => {
    assert.equal(r.ok, false, 'tampering was not detected');
    if (r.ok) return;
    assert.equal(r.seq, seq, r.reason);
    assert.match(r.reason, reason);
  };

  async function tampered(fn: (db: Db) => Promise<void>): Promise<Copy> {
    const c = await copy();
    await fn(c.db);
    return c;
  }

  async function recomputeFrom(db: Db, fromSeq: number): Promise<void> {
    const rows = (await db('audit_log').orderBy('seq')) as Record<string, unknown>[];
    let prev = genesisHash;
    for (const row of rows) {
      const e = auditFromRow(row);
      if (e.seq >= fromSeq) {
        const { hash: _old, ...rec } = { ...e, prevHash: prev };
        const hash = hashAuditRecord(rec);
        await db('audit_log').where({ seq: e.seq }).update({ prev_hash: prev, hash });
        prev = hash;
      } else prev = e.hash;
    }
  }

  it('an untouched copy verifies', async () => {
    const c = await copy();
    const r = await verify(c.db);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.entries, head);
    assert.equal(r.ok && r.checkpoints, 3);
    await c.close();
  });

  it('detects an edited entry', async () => {
    const c = await tampered((db) => db('audit_log').where({ seq: 5 }).update({ details: canonicalJson({ i: 4, note: 'nothing to see' }) }));
    expectFail(await verify(c.db), 5, /hash mismatch/);
    expectFail(await verify(c.db, []), 5, /hash mismatch/);
    await c.close();
  });

  it('detects an edited actor or time', async () => {
    const c = await tampered((db) => db('audit_log').where({ seq: 9 }).update({ actor: 'system', at: '2020-01-01T00:00:00.000Z' }));
    expectFail(await verify(c.db), 9, /hash mismatch/);
    await c.close();
  });

  it('detects a deleted entry', async () => {
    const c = await tampered((db) => db('audit_log').where({ seq: 7 }).delete());
    expectFail(await verify(c.db), 7, /gap/);
    await c.close();
  });

  it('detects reordered entries', async () => {
    const c = await tampered(async (db) => {
      const [a, b] = (await db('audit_log').whereIn('seq', [8, 9]).orderBy('seq')) as Record<string, unknown>[];
      await db('audit_log').where({ seq: 8 }).update({ ...b, seq: 8 });
      await db('audit_log').where({ seq: 9 }).update({ ...a, seq: 9 });
    });
    expectFail(await verify(c.db), 8, /prev_hash/);
    await c.close();
  });

  it('detects an inserted entry, even one with a correctly computed hash', async () => {
    const c = await tampered(async (db) => {
      for (let s = head; s >= 5; s--) await db('audit_log').where({ seq: s }).update({ seq: s + 1 });
      const prev = auditFromRow((await db('audit_log').where({ seq: 4 }).first()) as Record<string, unknown>);
      const rec = { seq: 5, at: prev.at, actor: 'user:1', action: 'admin.override', objectType: null, objectId: null, outcome: 'success', requestId: null, client: null, details: '{}', prevHash: prev.hash };
      await db('audit_log').insert({ seq: 5, at: rec.at, actor: rec.actor, action: rec.action, outcome: rec.outcome, details: rec.details, prev_hash: rec.prevHash, hash: hashAuditRecord(rec) });
    });
    expectFail(await verify(c.db), 6, /prev_hash|hash mismatch/);
    await c.close();
  });

  it('detects a truncated tail through the signed checkpoint (and only through it)', async () => {
    const c = await tampered((db) => db('audit_log').where('seq', '>=', 27).delete());
    assert.ok((await verify(c.db, [])).ok, 'without checkpoints a truncated chain looks intact');
    expectFail(await verify(c.db), 27, /truncated/);
    await c.close();
  });

  it('detects a chain recomputed end to end without the key', async () => {
    const c = await tampered(async (db) => {
      await db('audit_log').where({ seq: 15 }).update({ actor: 'system' });
      await recomputeFrom(db, 15);
    });
    assert.ok((await verify(c.db, [])).ok, 'the recomputed chain is internally consistent');
    expectFail(await verify(c.db), 23, /checkpoint mismatch/);
    await c.close();
  });

  it('detects a deleted checkpoint (middle or last line) and a forged or edited one', async () => {
    const c = await copy();
    const lines = readCheckpointFile(cpFile);
    expectFail(await verify(c.db, [lines[0], lines[2]]), lines[2].seq, /checkpoint 2 is missing/);
    expectFail(await verify(c.db, [lines[1], lines[2]]), lines[1].seq, /checkpoint 1 is missing/);
    expectFail(await verify(c.db, lines.slice(0, 2)), 30, /checkpoint 3 recorded here is missing/);
    const edited = { ...lines[1], hash: lines[0].hash };
    expectFail(await verify(c.db, [lines[0], edited, { ...lines[2], prev: checkpointLink(edited) }]), edited.seq, /invalid signature/);
    const otherKey = crypto.generateKeyPairSync('ed25519').privateKey;
    const forged = { ...lines[2], sig: crypto.sign(null, Buffer.from('x'), otherKey).toString('base64') };
    expectFail(await verify(c.db, [lines[0], lines[1], forged]), forged.seq, /invalid signature/);
    // A copy of the file taken before the last checkpoint is fine: it just knows less.
    const older = await verify(c.db, lines.slice(0, 2), false);
    assert.ok(older.ok);
    assert.match(older.notes.join(' '), /1 checkpoint\(s\) newer/);
    await c.close();
  });

  it('plaza audit:verify prints OK <n> entries or names the first bad entry, with exit 0 / 1', async () => {
    const good = path.join(dir, 'cli-good.db');
    fs.copyFileSync(cliBaseFile, good);
    const bad = path.join(dir, 'cli-bad.db');
    fs.copyFileSync(cliBaseFile, bad);
    const badDb = await createDb('sqlite:' + bad);
    await badDb.raw('DROP TRIGGER audit_log_no_update');
    await badDb('audit_log').where({ seq: 17 }).update({ outcome: 'failure' });
    await badDb.destroy();
    const saved = { ...process.env };
    const savedExitCode = process.exitCode;
    process.exitCode = undefined;
    const out: string[] = [];
    const log = console.log;
    const err = console.error;
    console.log = (...a: unknown[]) => out.push(a.join(' '));
    console.error = (...a: unknown[]) => out.push('stderr: ' + a.join(' '));
    try {
      Object.assign(process.env, { NODE_ENV: 'test', PLAZA_SECRET: 'x'.repeat(40), AUDIT_SIGNING_KEY: keyFile, AUDIT_CHECKPOINT_FILE: cliCpFile, LOG_LEVEL: 'silent' });
      process.env.DATABASE_URL = 'sqlite:' + good;
      assert.equal(await run(['node', 'plaza', 'audit:verify']), 0, out.join('\n'));
      assert.ok(out.includes(`OK ${head} entries`), out.join('\n'));
      process.env.DATABASE_URL = 'sqlite:' + bad;
      assert.equal(await run(['node', 'plaza', 'audit:verify', '--checkpoints', cliCpFile]), 1);
      assert.ok(out.some((l) => /^FAIL seq 17: hash mismatch/.test(l)), out.join('\n'));
      process.exitCode = undefined;
      // Truncated: remove the last line of a copied checkpoint file and the chain still says it existed.
      const copyFile = path.join(dir, 'copied.jsonl');
      fs.writeFileSync(copyFile, fs.readFileSync(cliCpFile, 'utf8').trim().split('\n').slice(0, 2).join('\n') + '\n');
      process.env.DATABASE_URL = 'sqlite:' + good;
      process.env.AUDIT_CHECKPOINT_FILE = copyFile;
      assert.equal(await run(['node', 'plaza', 'audit:verify']), 1);
      assert.ok(out.some((l) => /^FAIL seq 30: checkpoint mismatch/.test(l)), out.join('\n'));
      process.exitCode = undefined;
    } finally {
      console.log = log;
      console.error = err;
      process.env = saved;
      process.exitCode = savedExitCode;
    }
  });

  it('the append-only triggers refuse UPDATE and DELETE on the live table', async () => {
    const live = testPgUrl ? base.db : await createDb('sqlite:' + baseFile);
    await assert.rejects(() => live('audit_log').where({ seq: 1 }).update({ actor: 'x' }), /append-only/);
    await assert.rejects(() => live('audit_log').where({ seq: 1 }).delete(), /append-only/);
    if (!testPgUrl) await live.destroy();
  });
});

describe('audit chain under concurrency', () => {
  it('8 concurrent writers never fork the chain', async () => {
    // PostgreSQL commits are fsync-bound and appends serialise, so fewer there keeps the suite fast.
    const perWriter = testPgUrl ? 10 : 40;
    const t = await createTestDb();
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          (async () => {
            for (let i = 0; i < perWriter; i++) {
              // Half the writers append inside a transaction that also changes something else.
              if (w % 2) await t.db.transaction((trx) => appendAudit(trx, { actor: `user:${w}`, action: 'dataset.updated', details: { w, i } }));
              else await appendAudit(t.db, { actor: `user:${w}`, action: 'download.release', details: { w, i } });
            }
          })(),
        ),
      );
      const r = await verifyAuditChain(t.db);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.entries, 8 * perWriter);
      const distinctPrev = Number(((await t.db('audit_log').countDistinct({ n: 'prev_hash' }).first()) as { n: number }).n);
      assert.equal(distinctPrev, 8 * perWriter, 'no two entries share a predecessor');
    } finally {
      await t.destroy();
    }
  });

  it('a rolled-back change leaves no audit entry', async () => {
    const t = await createTestDb();
    try {
      await assert.rejects(() =>
        t.db.transaction(async (trx) => {
          await appendAudit(trx, { actor: 'system', action: 'dataset.updated' });
          throw new Error('the change failed');
        }),
      );
      assert.equal(Number(((await t.db('audit_log').count({ n: '*' }).first()) as { n: number }).n), 0);
    } finally {
      await t.destroy();
    }
  });

  it('the scheduled checkpoint signs the head even when nothing happens', async () => {
    const t = await createTestDb();
    const d = tempDataDir();
    const audit = { signingKeyFile: path.join(d, 'k.pem'), checkpointFile: path.join(d, 'c.jsonl'), checkpointIntervalSeconds: 1 };
    const stop = startCheckpointSchedule(t.db, audit, systemActor, createLogger('silent'));
    try {
      const deadline = Date.now() + 5000;
      while (readCheckpointFile(audit.checkpointFile).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const cps = readCheckpointFile(audit.checkpointFile);
      assert.ok(cps.length >= 2);
      assert.equal(cps[0].seq, 0, 'an empty chain is checkpointed too');
      assert.equal(fs.statSync(audit.signingKeyFile).mode & 0o077, 0, 'the key file is private');
    } finally {
      stop();
      await t.destroy();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
