import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../../src/auth/actor';
import { verifyAuditChain } from '../../src/audit/audit-verify';
import { getDatasetBySlug } from '../../src/catalogue/dataset.repository';
import { publishSteps } from '../../src/publishing/publish.service';
import { approveRelease, previewRelease, publishApprovedRelease, saveReleasePolicy, submitRelease } from '../../src/publishing/release-workflow.service';
import { demoReleasePolicies } from '../../seeds/lib/demo-policies';
import { seedDemoCity } from '../../seeds/demo-city.seed';
import { createTestDb, type TestDb } from '../helpers/test-db';

/**
 * Atomic publish of an approved release (issue 6 §5): a fault injected after every step of the
 * publish leaves the previous state exactly — the release still approved, version 1 still the
 * published one, no release table, the public snapshot unchanged — and the audit chain verifies.
 * Then the same release publishes cleanly.
 */
const slug = 'adult-social-care-service-users';
let t: TestDb;
const a: Actor = { kind: 'system', id: 'system:fault-steward' };
const b: Actor = { kind: 'system', id: 'system:fault-approver' };

async function snapshot() {
  const n = async (table: string) => Number((await t.db(table).count({ n: '*' }))[0].n);
  const tables = t.dialect === 'pg'
    ? ((await t.db.raw("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rel\\_%'")).rows as { name: string }[])
    : ((await t.db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rel\\_%' ESCAPE '\\'")) as { name: string }[]);
  return {
    releases: await t.db('releases').orderBy('id').select('id', 'state', 'version', 'table_name', 'checksum'),
    pubReleases: await t.db('pub_releases').orderBy('id').select('id', 'status', 'version', 'checksum'),
    pubDataset: await t.db('pub_datasets').where({ slug }).first('latest_release_id', 'modified_at'),
    audit: await n('audit_log'),
    relTables: tables.map((x) => x.name).sort(),
  };
}

before(async () => {
  t = await createTestDb();
  await seedDemoCity(t.db);
  const ctx = { db: t.db, secret: 'fault-test', inline: true };
  const dataset = (await getDatasetBySlug(t.db, slug))!;
  await saveReleasePolicy(ctx, { dataset, policy: { ...demoReleasePolicies[slug].policy, seed: 'second-release' }, actor: a });
  await previewRelease(ctx, { dataset, actor: a });
  await submitRelease(ctx, { dataset, actor: a });
  await approveRelease(ctx, { dataset, actor: b });
});
after(() => t.destroy());

describe('publishing an approved release with a fault after every step', () => {
  for (const failAt of publishSteps) {
    test(`a fault after "${failAt}" leaves the previous state and a verifiable audit chain`, async () => {
      const ctx = { db: t.db, secret: 'fault-test', inline: true };
      const dataset = (await getDatasetBySlug(t.db, slug))!;
      const before = await snapshot();
      await assert.rejects(
        publishApprovedRelease(ctx, {
          dataset,
          actor: b,
          afterStep: (step) => {
            if (step === failAt) throw new Error(`injected fault after ${step}`);
          },
        }),
        new RegExp(`injected fault after ${failAt}`),
      );
      assert.deepEqual(await snapshot(), before);
      const open = await t.db('releases').whereIn('state', ['approved']).first('id');
      assert.ok(open, 'the release is still approved');
      const v = await verifyAuditChain(t.db);
      assert.equal(v.ok, true, JSON.stringify(v));
    });
  }

  test('after all that, the release publishes as version 2', async () => {
    const ctx = { db: t.db, secret: 'fault-test', inline: true };
    const dataset = (await getDatasetBySlug(t.db, slug))!;
    const p = await publishApprovedRelease(ctx, { dataset, actor: b });
    assert.equal(p.version, 2);
    assert.equal((await verifyAuditChain(t.db)).ok, true);
  });
});
