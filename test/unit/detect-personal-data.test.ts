import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { detectPersonalData, headerTokens } from '../../src/ingest/pii-detect';
import { isEmail, isFullPostcode, isIpAddress, isNhsNumber, isNiNumber, isPersonalName, isUkPhone, nhsCheckDigit } from '../../src/ingest/pii-patterns';

/** Personal-data detection: value recognisers (property-tested) and column/level suggestions. */

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

describe('NHS numbers (modulus 11)', () => {
  test('a number with its computed check digit is valid, in any of the usual spacings', () => {
    fc.assert(
      fc.property(digits(9), fc.constantFrom('', ' ', '-'), (nine, sep) => {
        const check = nhsCheckDigit(nine);
        fc.pre(check !== undefined);
        const ten = nine + String(check);
        assert.ok(isNhsNumber(ten));
        assert.ok(isNhsNumber(`${ten.slice(0, 3)}${sep}${ten.slice(3, 6)}${sep}${ten.slice(6)}`));
      }),
    );
  });

  test('changing any single digit breaks the check', () => {
    fc.assert(
      fc.property(digits(9), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (nine, pos, delta) => {
        const check = nhsCheckDigit(nine);
        fc.pre(check !== undefined);
        const ten = (nine + String(check)).split('').map(Number);
        ten[pos] = (ten[pos] + delta) % 10;
        assert.equal(isNhsNumber(ten.join('')), false);
      }),
    );
  });

  test('known examples', () => {
    assert.ok(isNhsNumber('943 476 5919'));
    assert.ok(!isNhsNumber('943 476 5918'));
    assert.ok(!isNhsNumber('12345'));
  });
});

describe('value recognisers', () => {
  test('e-mail, phone, NI number, postcode, IP, names', () => {
    assert.ok(isEmail('zoe.smith@example.co.uk'));
    assert.ok(!isEmail('not an email'));
    for (const p of ['07700 900123', '+44 7700 900123', '020 7946 0000', '+44 (0)20 7946 0000', '01632 960001']) assert.ok(isUkPhone(p), p);
    for (const p of ['12345', '+1 202 555 0143', '0044']) assert.ok(!isUkPhone(p), p);
    assert.ok(isNiNumber('AB 12 34 56 C'));
    assert.ok(!isNiNumber('GB123456A'), 'GB is never issued');
    assert.ok(!isNiNumber('AB123456E'));
    assert.ok(isFullPostcode('AT1 2BD'));
    assert.ok(isFullPostcode('sw1a1aa'));
    assert.ok(!isFullPostcode('AT1'));
    assert.ok(isIpAddress('192.168.1.20') && isIpAddress('2001:db8::1') && !isIpAddress('999.1.1.1'));
    assert.ok(isPersonalName('Olivia Smith') && isPersonalName('Smith, Olivia') && isPersonalName('Mr George Hall'));
    assert.ok(!isPersonalName('Home care') && !isPersonalName('High Street'));
  });

  test('header tokens split every naming style', () => {
    assert.deepEqual(headerTokens('dateOfBirth'), ['date', 'of', 'birth']);
    assert.deepEqual(headerTokens('Date of birth'), ['date', 'of', 'birth']);
    assert.deepEqual(headerTokens('NHS_Number'), ['nhs', 'number']);
  });
});

const col = (name: string, type: 'string' | 'integer' | 'number' | 'date' | 'datetime' | 'boolean', values: string[]) => ({ name, type, values });

describe('suggested roles and level, with reasons', () => {
  test('social care with NHS numbers and a support reason → special category', () => {
    const r = detectPersonalData(
      [
        col('person_id', 'string', ['SC50001', 'SC50002']),
        col('nhs_number', 'string', ['9434765919', '4010232137']),
        col('age', 'integer', ['81', '77']),
        col('primary_support_reason', 'string', ['Physical support', 'Mental health']),
        col('ward', 'string', ['Abbey', 'Castle']),
      ],
      2,
    );
    assert.equal(r.suggestedLevel, 'special_category');
    const role = (n: string) => r.columns.find((c) => c.name === n)!.suggestedRole;
    assert.equal(role('nhs_number'), 'direct_identifier');
    assert.equal(role('person_id'), 'direct_identifier');
    assert.equal(role('age'), 'quasi_identifier');
    assert.equal(role('primary_support_reason'), 'sensitive');
    assert.equal(role('ward'), 'location');
    assert.ok(r.levelReasons.some((x) => /NHS numbers/.test(x)));
  });

  test('names, dates of birth, e-mails and postcodes → personal; reasons never quote values', () => {
    const values = ['Olivia Smith', 'George Hall', 'Priya Patel'];
    const r = detectPersonalData(
      [
        col('claimant', 'string', values),
        col('DOB', 'date', ['1980-01-02', '1975-05-06', '1990-09-09']),
        col('contact', 'string', ['a@example.com', 'b@example.org', 'c@example.net']),
        col('postcode', 'string', ['AT1 2BD', 'AT2 3CD', 'AT3 4EF']),
        col('amount', 'number', ['1.5', '2', '3']),
      ],
      3,
    );
    assert.equal(r.suggestedLevel, 'personal');
    const byName = new Map(r.columns.map((c) => [c.name, c]));
    assert.equal(byName.get('claimant')!.suggestedRole, 'direct_identifier');
    assert.equal(byName.get('DOB')!.suggestedRole, 'quasi_identifier');
    assert.equal(byName.get('contact')!.suggestedRole, 'direct_identifier');
    assert.equal(byName.get('postcode')!.suggestedRole, 'quasi_identifier');
    assert.equal(byName.get('amount')!.suggestedRole, 'measure');
    const text = JSON.stringify(r);
    for (const v of [...values, 'a@example.com', 'AT1 2BD', '1980-01-02']) assert.ok(!text.includes(v), v);
  });

  test('a bus-stop table with precise coordinates and a bare "name" column stays public', () => {
    const r = detectPersonalData(
      [
        col('name', 'string', ['High Street', 'Mill Lane']),
        col('latitude', 'number', ['51.50741', '51.50813']),
        col('longitude', 'number', ['-0.12780', '-0.12911']),
        col('shelter', 'boolean', ['yes', 'no']),
      ],
      2,
    );
    assert.equal(r.suggestedLevel, 'public');
    assert.equal(r.columns[1].suggestedRole, 'location');
    assert.ok(r.columns[1].detections.some((d) => d.kind === 'precise_coordinates'));
  });

  test('free text and IP addresses are direct identifiers', () => {
    const r = detectPersonalData(
      [
        col('notes', 'string', ['Visited the tenant at home and discussed the arrears with her son today', 'Called back about the repair, the family said the boiler is still not working']),
        col('client_ip', 'string', ['10.0.0.1', '2001:db8::2']),
      ],
      2,
    );
    assert.deepEqual(r.columns.map((c) => c.suggestedRole), ['direct_identifier', 'direct_identifier']);
    assert.equal(r.suggestedLevel, 'personal');
  });

  test('detection never throws and always suggests a known role, whatever the input', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string(), values: fc.array(fc.string(), { maxLength: 5 }) }), { minLength: 1, maxLength: 5 }), (cols) => {
        const r = detectPersonalData(cols.map((c) => ({ ...c, type: 'string' as const })), 5);
        assert.equal(r.columns.length, cols.length);
        assert.ok(['public', 'personal', 'special_category'].includes(r.suggestedLevel));
      }),
    );
  });
});
