import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { insertReadingsDirect } from '../../src/streams/reading.repository';
import { closeDueIntervals } from '../../src/streams/stream-release.service';
import { getStreamBySlug, insertDevice } from '../../src/streams/stream.repository';
import { demoStreamHistoryEnd } from '../../seeds/lib/demo-streams';
import { canary, crawl } from '../helpers/canary';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * Raw smart-meter readings never reach a public path: a household with a canary device key and a
 * canary reading value takes part in a published daily release, and no public response —
 * catalogue, stream pages, downloads, feeds, APIs — contains either.
 */

let t: TestApp;
let deviceMarker: string;
const valueMarker = '19.87654321';

before(async () => {
  t = await createTestApp();
  const s = (await getStreamBySlug(t.db, 'household-energy-live'))!;
  deviceMarker = canary('meter').toLowerCase();
  const day = demoStreamHistoryEnd;
  const ids = await t.db('stream_devices').where({ stream_id: s.id, ward: 'Abbey' }).pluck('id');
  const canaryId = await insertDevice(t.db, { streamId: s.id, key: deviceMarker, label: canary('label'), lat: 52.123456789, lon: 0.987654321, ward: 'Abbey', keySalt: 'x', keyHash: '', by: 'test', at: new Date().toISOString() });
  const rows = [...ids, canaryId].map((deviceId, i) => ({ streamId: s.id, deviceId: Number(deviceId), seq: 1000 + i, at: day + 3600_000, values: { kwh: deviceId === canaryId ? Number(valueMarker) : 0.4 } }));
  await insertReadingsDirect(t.db, rows);
  const reports = await closeDueIntervals(t.db, { now: day + 86_400_000 + 3600_000 + 60_000 });
  assert.equal(reports.find((r) => r.stream === 'household-energy-live')?.releases, 1, 'the day with the canary household was published');
});
after(() => t.close());

test('no public response contains a personal stream’s device or raw reading', async () => {
  const report = await crawl(t.app, t.config.baseUrl, ['/streams', '/streams.json', '/streams/household-energy-live', '/streams/household-energy-live.json', '/datasets/household-energy-live', '/datasets.json?per_page=100', '/data.json', '/catalog.ttl', '/api/v1/datasets?per_page=100'], {
    max: 400,
    skip: /\/data\.(json|ndjson)\?|[?&](page|sort)=/,
  });
  assert.ok(report.visited.some((u) => /household-energy-live\/releases\/\d+\/data\.csv/.test(u)), 'the personal release was downloaded');
  assert.deepEqual(report.leaks, []);
  for (const url of report.visited.filter((u) => /household-energy-live|streams/.test(u))) {
    const res = await request(t.app).get(url);
    const text = res.text ?? JSON.stringify(res.body);
    assert.ok(!text.includes(valueMarker), `${url} shows a raw reading`);
    assert.ok(!text.includes('52.123456789') && !/meter-0\d\d/.test(text), `${url} shows a household`);
  }
  const csv = await request(t.app).get('/datasets/household-energy-live/releases/latest/data.csv').redirects(1).expect(200);
  assert.match(csv.text, /Abbey,15,/, 'the canary household is counted in Abbey’s total, not shown');
});
