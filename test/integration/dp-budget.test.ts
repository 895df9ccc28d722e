import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Actor } from '../../src/auth/actor';
import { getDatasetBySlug } from '../../src/catalogue/dataset.repository';
import { ValidationError } from '../../src/errors';
import { latestSource } from '../../src/ingest/source.repository';
import { parseGatePolicy } from '../../src/publishing/gate-policy';
import { privacyLedger } from '../../src/publishing/release-workflow.repository';
import {
  approveRelease,
  previewRelease,
  publishApprovedRelease,
  saveReleasePolicy,
  submitRelease,
  type WorkflowContext,
} from '../../src/publishing/release-workflow.service';
import { seedDemoCity } from '../../seeds/demo-city.seed';
import { createTestDb, type TestDb } from '../helpers/test-db';

/**
 * The differential-privacy budget is tracked per dataset (DESIGN.md §2): every published release's
 * ε is on the dataset's ledger, and the gate refuses a release whose ε is more than what is left.
 */

const slug = 'adult-social-care-service-users';
const submitter: Actor = { kind: 'system', id: 'system:test-steward' };
const approver: Actor = { kind: 'system', id: 'system:test-approver' };
let t: TestDb;
let ctx: WorkflowContext;

before(async () => {
  t = await createTestDb();
  await seedDemoCity(t.db);
  // A deployment that tightens the default budget (3) to 1.5: one release at ε = 1 fits, a second does not.
  ctx = { db: t.db, secret: 'dp-budget-test', inline: true, gatePolicy: parseGatePolicy({ specialCategory: { epsilonBudget: 1.5 } }) };
});
after(() => t.destroy());

async function dpPolicy(seed: string, epsilon: number) {
  const dataset = (await getDatasetBySlug(t.db, slug))!;
  const source = (await latestSource(t.db, dataset.id))!;
  const at = source.columns.findIndex((c) => c.name === 'ward');
  const wards = (await t.db(source.tableName).distinct(`c${at}`).pluck(`c${at}`)) as string[];
  assert.ok(wards.length > 1, 'the demo source has wards');
  return {
    dataset,
    policy: { version: 1, seed, steps: [{ op: 'dp-counts', dimensions: ['ward'], categories: { ward: wards.sort() }, epsilon, randomness: 'seeded' }] },
  };
}

test('a DP release spends the dataset\'s budget; the next one that would overspend is refused by the gate', async () => {
  const dataset0 = (await getDatasetBySlug(t.db, slug))!;
  assert.deepEqual((await privacyLedger(t.db, dataset0.id, 1.5)).spent, [], 'the demo release (10-5 rule) spent no ε');

  const first = await dpPolicy('dp-first', 1);
  await saveReleasePolicy(ctx, { dataset: first.dataset, policy: first.policy, actor: submitter });
  const preview = await previewRelease(ctx, { dataset: first.dataset, actor: submitter });
  const budgetCheck = (preview.verdict as { checks: Array<{ id: string; passed: boolean; reason: string }> }).checks.find((c) => c.id === 'special_category.dp_budget');
  assert.ok(budgetCheck?.passed, JSON.stringify(preview.verdict));
  assert.match(budgetCheck.reason, /1\.5/);
  await submitRelease(ctx, { dataset: first.dataset, actor: submitter });
  await approveRelease(ctx, { dataset: first.dataset, actor: approver });
  const published = await publishApprovedRelease(ctx, { dataset: first.dataset, actor: approver });
  assert.equal(published.version, 2);

  const ledger = await privacyLedger(t.db, first.dataset.id, 1.5);
  assert.deepEqual(ledger.spent, [{ release: 'v2#1', epsilon: '1' }]);

  const second = await dpPolicy('dp-second', 1);
  await saveReleasePolicy(ctx, { dataset: second.dataset, policy: second.policy, actor: submitter });
  const refusedPreview = await previewRelease(ctx, { dataset: second.dataset, actor: submitter });
  const failing = (refusedPreview.verdict as { allowed: boolean; checks: Array<{ id: string; passed: boolean; reason: string }> });
  assert.equal(failing.allowed, false);
  const check = failing.checks.find((c) => c.id === 'special_category.dp_budget');
  assert.equal(check?.passed, false);
  assert.match(check.reason, /remaining privacy budget \(0\.5\) is smaller than ε = 1/);
  await assert.rejects(submitRelease(ctx, { dataset: second.dataset, actor: submitter }), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.match(e.message, /special_category\.dp_budget/);
    return true;
  });

  // A smaller ε that fits what is left passes.
  const third = await dpPolicy('dp-third', 0.5);
  await saveReleasePolicy(ctx, { dataset: third.dataset, policy: third.policy, actor: submitter });
  const fits = await previewRelease(ctx, { dataset: third.dataset, actor: submitter });
  assert.equal((fits.verdict as { allowed: boolean }).allowed, true, JSON.stringify(fits.verdict));
});
