import type { CellValue } from '../../src/catalogue/table-schema';
import { postcode, wards, type DemoTable } from './demo-data';
import { Rng } from './rng';

/** Generated private raw data of the demo city: personal, special category and confidential. */

const firstNames = ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Grace', 'Sophia', 'Lily', 'Freya', 'Emily', 'Oliver', 'George', 'Noah', 'Arthur', 'Harry', 'Leo', 'Muhammad', 'Jack', 'Charlie', 'Oscar', 'Priya', 'Aisha', 'Tomasz', 'Zofia', 'Kwame', 'Chen', 'Fatima', 'Ravi'];
const lastNames = ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Patel', 'Khan', 'Begum', 'Nowak', 'Okafor', 'Wright', 'Walker', 'Hughes', 'Green', 'Hall', 'Wood', 'Clarke', 'Singh'];
const name = (rng: Rng) => `${rng.pick(firstNames)} ${rng.pick(lastNames)}`;
const asOf = Date.UTC(2026, 9, 31);
const dob = (rng: Rng, age: number) => new Date(asOf - (age * 365.25 + rng.int(0, 364)) * 86400_000).toISOString().slice(0, 10);

/** An NHS number with a valid modulus-11 check digit. */
export function nhsNumber(rng: Rng): string {
  for (;;) {
    const digits = Array.from({ length: 9 }, () => rng.int(0, 9));
    const sum = digits.reduce((s, d, i) => s + d * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return [...digits, check === 11 ? 0 : check].join('');
  }
}

/** Half-hourly household smart-meter readings (personal). */
export function smartMeterReadings(rng: Rng): DemoTable {
  const households = Array.from({ length: 60 }, (_, i) => {
    const district = (i % 3) + 1;
    return { id: `HH${String(i + 1).padStart(4, '0')}`, mpan: `1900${String(rng.int(100000000, 999999999))}`, postcode: postcode(rng, district), size: rng.normal(1, 0.3) };
  });
  const rows: CellValue[][] = [];
  const start = Date.UTC(2026, 9, 1);
  for (let slot = 0; slot < 7 * 48; slot++) {
    const t = start + slot * 1800_000;
    const hod = (slot % 48) / 2;
    const shape = hod < 6 ? 0.12 : hod < 9 ? 0.35 : hod < 16 ? 0.22 : hod < 22 ? 0.5 : 0.2;
    for (const h of households) {
      rows.push([h.id, h.mpan, h.postcode, new Date(t).toISOString().replace('.000Z', 'Z'), Rng.round(Math.max(0.01, shape * h.size + rng.normal(0, 0.05)), 3)]);
    }
  }
  return {
    columns: [
      { name: 'household_id', type: 'string', description: 'Household reference' },
      { name: 'mpan', type: 'string', description: 'Meter point administration number' },
      { name: 'postcode', type: 'string', description: 'Full postcode of the property' },
      { name: 'reading_start', type: 'datetime', description: 'Start of the half hour, UTC' },
      { name: 'kwh', type: 'number', description: 'Electricity imported in the half hour', unit: 'kWh' },
    ],
    rows,
  };
}

const householdTypes = [
  ['Single, no children', 40],
  ['Couple, no children', 15],
  ['Lone parent', 25],
  ['Couple with children', 12],
  ['Pensioner', 8],
] as const;

/** Housing-benefit claims (personal). */
export function housingBenefitClaims(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 2000; i++) {
    const type = rng.weighted(householdTypes);
    const age = type === 'Pensioner' ? rng.int(66, 95) : Math.min(65, Math.max(18, Math.round(rng.normal(38, 12))));
    const wardIndex = rng.int(0, wards.length - 1);
    const award = Rng.round(Math.max(15, rng.normal(type.includes('children') || type === 'Lone parent' ? 140 : 95, 30)), 2);
    rows.push([`HB${String(700000 + i)}`, name(rng), dob(rng, age), age, rng.weighted([['F', 58], ['M', 42]] as const), postcode(rng, (wardIndex % 6) + 1), wards[wardIndex], type, award, new Date(Date.UTC(2020, 0, 1) + rng.int(0, 2400) * 86400_000).toISOString().slice(0, 10)]);
  }
  return {
    columns: [
      { name: 'claim_ref', type: 'string', description: 'Claim reference' },
      { name: 'claimant_name', type: 'string', description: 'Name of the claimant' },
      { name: 'date_of_birth', type: 'date', description: 'Claimant date of birth' },
      { name: 'age', type: 'integer', description: 'Age at 31 October 2026' },
      { name: 'sex', type: 'string', description: 'Sex (F/M)' },
      { name: 'postcode', type: 'string', description: 'Postcode of the home' },
      { name: 'ward', type: 'string', description: 'Electoral ward' },
      { name: 'household_type', type: 'string', description: 'Household composition' },
      { name: 'weekly_award', type: 'number', description: 'Weekly award', unit: 'GBP' },
      { name: 'claim_start', type: 'date', description: 'Date the claim started' },
    ],
    rows,
  };
}

const conditions = [
  ['Physical support', 45],
  ['Memory and cognition', 18],
  ['Learning disability', 14],
  ['Mental health', 13],
  ['Sensory support', 6],
  ['Social support', 4],
] as const;

/** Adult social-care service users (special category). */
export function socialCareUsers(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 800; i++) {
    const condition = rng.weighted(conditions);
    const age = condition === 'Learning disability' ? rng.int(18, 70) : Math.min(101, Math.max(18, Math.round(rng.normal(74, 14))));
    rows.push([`SC${String(50000 + i)}`, nhsNumber(rng), age, rng.weighted([['F', 60], ['M', 40]] as const), condition, rng.pick(wards), rng.pick(['Home care', 'Home care', 'Residential care', 'Nursing care', 'Direct payment', 'Day service'])]);
  }
  return {
    columns: [
      { name: 'person_id', type: 'string', description: 'Service user reference' },
      { name: 'nhs_number', type: 'string', description: 'NHS number' },
      { name: 'age', type: 'integer', description: 'Age' },
      { name: 'sex', type: 'string', description: 'Sex (F/M)' },
      { name: 'primary_support_reason', type: 'string', description: 'Primary support reason' },
      { name: 'ward', type: 'string', description: 'Electoral ward of residence' },
      { name: 'service_type', type: 'string', description: 'Main service received' },
    ],
    rows,
  };
}

/** A confidential case register (never published). */
export function caseRegister(rng: Rng): DemoTable {
  const rows: CellValue[][] = [];
  for (let i = 1; i <= 120; i++) {
    rows.push([`CR-${2026}-${String(i).padStart(4, '0')}`, name(rng), `${rng.int(1, 200)} ${rng.pick(['High Street', 'Mill Lane', 'Park Avenue', 'Church Lane'])}, ${postcode(rng)}`, rng.pick(['Antisocial behaviour', 'Safeguarding referral', 'Noise complaint', 'Tenancy enforcement']), new Date(Date.UTC(2026, 0, 1) + rng.int(0, 300) * 86400_000).toISOString().slice(0, 10), rng.pick(['Open', 'Closed', 'Referred'])]);
  }
  return {
    columns: [
      { name: 'case_id', type: 'string', description: 'Case reference' },
      { name: 'subject_name', type: 'string', description: 'Name of the person concerned' },
      { name: 'address', type: 'string', description: 'Address' },
      { name: 'case_type', type: 'string', description: 'Type of case' },
      { name: 'opened', type: 'date', description: 'Date opened' },
      { name: 'status', type: 'string', description: 'Case status' },
    ],
    rows,
  };
}
