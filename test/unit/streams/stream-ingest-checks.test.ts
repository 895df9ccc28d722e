import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkBatch, readingProblems } from '../../../src/streams/reading-validation';
import { deriveDeviceKey, formatCredential, mqttPayload, parseCredential, parseMqttPayload, signBatch, signatureMatches, withinWindow } from '../../../src/streams/signature';
import type { Measure } from '../../../src/streams/stream.schemas';

const measures: Measure[] = [
  { name: 'pm25', unit: 'µg/m³', min: 0, max: 500 },
  { name: 'no2', unit: 'µg/m³', min: 0, max: 1000 },
];
const now = Date.parse('2026-11-28T12:00:00Z');
const opts = { now, maxFutureMs: 300_000, maxReadings: 100 };

describe('signatures', () => {
  const key = deriveDeviceKey('secret-secret-secret-secret-secret!', 'salt');

  test('a signature verifies only for the same key, timestamp, sequence and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.uint8Array({ maxLength: 200 }), fc.nat(199), (ts, seq, bytes, flip) => {
        const body = Buffer.from(bytes);
        const sig = signBatch(key, ts, seq, body);
        assert.ok(signatureMatches(key, ts, seq, body, sig));
        assert.ok(signatureMatches(key, ts, seq, body, `sha256=${sig}`));
        assert.ok(!signatureMatches(key, ts + 1, seq, body, sig));
        assert.ok(!signatureMatches(key, ts, seq + 1, body, sig));
        if (body.length) {
          const tampered = Buffer.from(body);
          tampered[flip % body.length] ^= 1;
          assert.ok(!signatureMatches(key, ts, seq, tampered, sig));
        }
        assert.ok(!signatureMatches(deriveDeviceKey('another-secret-another-secret-!!', 'salt'), ts, seq, body, sig));
      }),
    );
  });

  test('the time window is ±300 s inclusive', () => {
    assert.ok(withinWindow(now / 1000 - 300, now, 300));
    assert.ok(withinWindow(now / 1000 + 300, now, 300));
    assert.ok(!withinWindow(now / 1000 - 301, now, 300));
    assert.ok(!withinWindow(now / 1000 + 301, now, 300));
  });

  test('credentials and MQTT payloads round-trip; malformed ones are refused', () => {
    const c = formatCredential('aq-01', key);
    assert.deepEqual(parseCredential(c), { deviceKey: 'aq-01', key });
    for (const bad of ['plz_abc', 'plzd_AQ.x', 'plzd_aq-01', `plzd_aq-01.${'A'.repeat(42)}`]) assert.equal(parseCredential(bad), undefined, bad);
    const p = parseMqttPayload(mqttPayload(key, 1790000000, 42, '{"readings":[]}'));
    assert.equal(p?.seq, 42);
    assert.equal(p?.body.toString(), '{"readings":[]}');
    assert.equal(parseMqttPayload(Buffer.from('{"readings":[]}')), undefined);
  });
});

describe('reading validation', () => {
  test('valid readings pass; NaN, strings, out-of-range, unknown measures and far-future times are reported per reading', () => {
    const r = checkBatch(
      {
        readings: [
          { time: '2026-11-28T11:59:00Z', values: { pm25: 12.5, no2: 20 } },
          { time: '2026-11-28T11:59:00Z', values: { pm25: 'NaN' } },
          { time: '2026-11-28T11:59:00Z', values: { pm25: 501 } },
          { time: '2026-11-28T12:10:00Z', values: { pm25: 1 } },
          { time: 'yesterday', values: { pm25: 1 } },
          { time: now - 1000, values: { pm10: 1 } },
          { time: '2026-11-28T11:59:00', values: { pm25: 1 } },
          { time: now, values: { pm25: null, no2: 3 } },
          'not an object',
          { time: now, values: {} },
        ],
      },
      measures,
      opts,
    );
    assert.ok(r.ok);
    assert.deepEqual(r.valid.map((v) => v.index), [0, 7]);
    const errors = Object.fromEntries(r.rejected.map((e) => [e.index, e.errors.join(' | ')]));
    assert.match(errors[1], /finite number/);
    assert.match(errors[2], /outside its valid range 0\.\.500/);
    assert.match(errors[3], /600 s in the future/);
    assert.match(errors[4], /ISO-8601/);
    assert.match(errors[5], /"pm10" is not a measure/);
    assert.match(errors[6], /with a zone|ISO-8601/);
    assert.match(errors[8], /must be an object/);
    assert.match(errors[9], /no measurement/);
  });

  test('batches: shape and size', () => {
    assert.deepEqual(checkBatch([], measures, opts), { ok: false, status: 400, message: 'The body must be a JSON object { "readings": [ … ] }' });
    assert.equal((checkBatch({ readings: [] }, measures, opts) as { status: number }).status, 400);
    const big = { readings: Array.from({ length: 101 }, () => ({ time: now, values: { pm25: 1 } })) };
    assert.equal((checkBatch(big, measures, opts) as { status: number }).status, 413);
  });

  test('any finite in-range value is accepted and anything outside is not', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (v) => {
        const p = readingProblems({ time: now, values: { pm25: v } }, measures, now, 0);
        assert.equal(p.errors.length === 0, Number.isFinite(v) && v >= 0 && v <= 500);
      }),
    );
  });
});
