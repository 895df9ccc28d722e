import type { ColumnRole, ColumnType, SensitivityLevel } from '../catalogue/table-schema';
import {
  decimalPlaces,
  isEmail,
  isFreeText,
  isFullPostcode,
  isIpAddress,
  isNhsNumber,
  isNiNumber,
  isPersonalName,
  isPreciseCoordinatePair,
  isUkPhone,
} from './pii-patterns';

/**
 * Personal-data detection (pure): from column names, inferred types and a bounded sample of raw
 * values, suggests each column's role and the dataset's sensitivity level, with a reason for each.
 * Reasons give counts and header names, never sampled values, so they are safe to store and show.
 */

/** What a detection found. */
export const detectionKinds = [
  'email',
  'uk_phone',
  'ni_number',
  'nhs_number',
  'postcode',
  'date_of_birth',
  'person_name',
  'ip_address',
  'precise_coordinates',
  'free_text',
  'record_identifier',
  'quasi_identifier',
  'special_category',
] as const;
export type DetectionKind = (typeof detectionKinds)[number];

/** One finding about a column. */
export interface Detection {
  kind: DetectionKind;
  reason: string;
}

/** A column's findings and the role they suggest. */
export interface ColumnDetection {
  name: string;
  suggestedRole: ColumnRole;
  roleReason: string;
  detections: Detection[];
}

/** The outcome for a whole table. */
export interface DetectionResult {
  columns: ColumnDetection[];
  suggestedLevel: SensitivityLevel;
  levelReasons: string[];
}

/** What detection looks at for one column. */
export interface ColumnSample {
  name: string;
  type: ColumnType;
  values: readonly string[];
}

/** Kinds that make a dataset personal data on their own. */
const personalKinds = new Set<DetectionKind>(['email', 'uk_phone', 'ni_number', 'nhs_number', 'postcode', 'date_of_birth', 'person_name', 'ip_address', 'free_text', 'record_identifier']);

const specialWords = new Set([
  'health', 'medical', 'condition', 'conditions', 'diagnosis', 'disability', 'disabled', 'impairment', 'illness', 'mental', 'ethnic',
  'ethnicity', 'race', 'religion', 'religious', 'faith', 'belief', 'sexuality', 'orientation', 'pregnancy', 'pregnant', 'genetic',
  'biometric', 'criminal', 'offence', 'offences', 'conviction', 'convictions', 'union', 'political', 'safeguarding',
]);
const specialPhrases = ['support_reason', 'gender_identity', 'sexual_orientation', 'trade_union'];
const quasiWords = new Set(['age', 'sex', 'gender', 'marital', 'nationality', 'occupation', 'ethnicity', 'household', 'tenure', 'yob']);
const personWords = new Set([
  'person', 'people', 'claim', 'claimant', 'client', 'customer', 'patient', 'household', 'case', 'account', 'tenant', 'resident',
  'applicant', 'user', 'subject', 'member', 'pupil', 'student', 'employee', 'staff', 'citizen', 'child', 'service',
]);
const idWords = new Set(['id', 'ref', 'reference', 'number', 'no', 'num', 'identifier', 'key']);
const idNames = new Set(['mpan', 'mprn', 'uprn', 'nino', 'ni', 'upn', 'chi']);
const nameQualifiers = new Set(['first', 'last', 'full', 'given', 'family', 'sur', 'fore', 'middle', 'maiden', 'claimant', 'client', 'subject', 'person', 'patient', 'customer', 'tenant', 'resident', 'applicant', 'contact', 'display', 'user', 'owner', 'member', 'next', 'of', 'kin']);
const locationWords = new Set(['ward', 'district', 'lsoa', 'msoa', 'oa', 'area', 'borough', 'region', 'town', 'locality', 'parish', 'neighbourhood', 'county', 'site', 'location', 'zone']);
const coordinateWords = new Set(['lat', 'latitude', 'lon', 'lng', 'long', 'longitude', 'easting', 'northing', 'x', 'y']);

/** Lower-case header words: `dateOfBirth`, `Date of birth` and `date_of_birth` all give date, of, birth. */
export function headerTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function share(values: readonly string[], test: (v: string) => boolean): { n: number; of: number } {
  let n = 0;
  let of = 0;
  for (const v of values) {
    if (v.trim() === '') continue;
    of++;
    if (test(v)) n++;
  }
  return { n, of };
}

const describe = (s: { n: number; of: number }, what: string) => `${s.n} of ${s.of} sampled values ${what}`;

/** Findings for one column. */
export function detectColumn(col: ColumnSample): Detection[] {
  const out: Detection[] = [];
  const tokens = headerTokens(col.name);
  const joined = tokens.join('_');
  const has = (w: string) => tokens.includes(w);
  const valueRule = (kind: DetectionKind, test: (v: string) => boolean, what: string, min: number) => {
    const s = share(col.values, test);
    if (s.of > 0 && s.n / s.of >= min) out.push({ kind, reason: describe(s, what) });
  };
  if (col.type === 'string' || col.type === 'integer') {
    valueRule('nhs_number', isNhsNumber, 'are NHS numbers with a valid modulus-11 check digit', has('nhs') ? 0.5 : 0.8);
  }
  if (col.type === 'string') {
    valueRule('email', isEmail, 'are e-mail addresses', 0.5);
    valueRule('ni_number', isNiNumber, 'are National Insurance numbers', 0.5);
    valueRule('uk_phone', isUkPhone, 'are UK phone numbers', 0.5);
    valueRule('ip_address', isIpAddress, 'are IP addresses', 0.5);
    valueRule('postcode', isFullPostcode, 'are full UK postcodes (about 15 addresses each)', 0.5);
    valueRule('person_name', isPersonalName, 'look like personal names (a common given name and a surname)', 0.5);
    valueRule('precise_coordinates', isPreciseCoordinatePair, 'are latitude/longitude pairs with 4 or more decimals (about 10 m)', 0.5);
    valueRule('free_text', isFreeText, 'are free text (6 or more words), which can hold names and case details', 0.3);
  }
  // A bare "name" column is often a place or thing (car park, bus stop): it needs some name-like values too.
  const bareName = tokens.length === 1 && tokens[0] === 'name';
  const nameHint =
    ['forename', 'forenames', 'surname', 'firstname', 'lastname', 'fullname', 'givenname', 'familyname'].some((w) => has(w)) ||
    (has('name') && !bareName && tokens.every((t) => t === 'name' || nameQualifiers.has(t))) ||
    (bareName && ((s) => s.of > 0 && s.n / s.of >= 0.2)(share(col.values, isPersonalName)));
  if (nameHint && col.type === 'string' && !out.some((d) => d.kind === 'person_name')) {
    out.push({ kind: 'person_name', reason: `the header "${col.name}" names people` });
  }
  if (has('dob') || has('birth') || has('birthdate') || has('birthday') || joined.includes('date_of_birth')) {
    out.push({ kind: 'date_of_birth', reason: `the header "${col.name}" suggests dates of birth` });
  }
  if (has('email') || has('e_mail')) {
    if (!out.some((d) => d.kind === 'email')) out.push({ kind: 'email', reason: `the header "${col.name}" suggests e-mail addresses` });
  }
  const idHint = tokens.some((t) => idNames.has(t)) || (tokens.some((t) => idWords.has(t)) && tokens.some((t) => personWords.has(t)));
  if (idHint && !out.some((d) => personalKinds.has(d.kind))) {
    out.push({ kind: 'record_identifier', reason: `the header "${col.name}" suggests a reference to a person, household or their meter` });
  }
  if (tokens.some((t) => specialWords.has(t)) || specialPhrases.some((p) => joined.includes(p))) {
    out.push({ kind: 'special_category', reason: `the header "${col.name}" suggests special category data (health, ethnicity, religion, sexuality, criminal offences; GDPR art. 9/10)` });
  }
  if (tokens.some((t) => quasiWords.has(t)) && !out.some((d) => d.kind === 'special_category')) {
    out.push({ kind: 'quasi_identifier', reason: `the header "${col.name}" describes people (age, sex, household...), which can single them out in combination` });
  }
  if (col.type === 'number' && tokens.some((t) => coordinateWords.has(t))) {
    const s = share(col.values, (v) => decimalPlaces(v) >= 4);
    if (s.of > 0 && s.n / s.of >= 0.5) out.push({ kind: 'precise_coordinates', reason: describe(s, 'are coordinates with 4 or more decimals (about 10 m)') });
  }
  return out;
}

function roleFor(col: ColumnSample, detections: Detection[], personal: boolean): { role: ColumnRole; reason: string } {
  const first = (kinds: DetectionKind[]) => detections.find((d) => kinds.includes(d.kind));
  const direct = first(['nhs_number', 'email', 'ni_number', 'uk_phone', 'ip_address', 'person_name', 'free_text']);
  if (direct) return { role: 'direct_identifier', reason: direct.reason };
  const id = first(['record_identifier']);
  if (id) return { role: 'direct_identifier', reason: id.reason };
  const special = first(['special_category']);
  if (special) return { role: 'sensitive', reason: special.reason };
  const quasi = first(['date_of_birth', 'postcode', 'quasi_identifier']);
  if (quasi) return { role: 'quasi_identifier', reason: quasi.reason };
  const coords = first(['precise_coordinates']);
  if (coords) {
    return personal
      ? { role: 'quasi_identifier', reason: `${coords.reason}; with personal data in the table they can locate a home` }
      : { role: 'location', reason: coords.reason };
  }
  const tokens = headerTokens(col.name);
  if (tokens.some((t) => locationWords.has(t) || coordinateWords.has(t)) || tokens.includes('postcode')) {
    return { role: 'location', reason: `the header "${col.name}" names a place` };
  }
  if (col.type === 'date' || col.type === 'datetime') return { role: 'time', reason: `the values are ${col.type === 'date' ? 'dates' : 'date-times'}` };
  if (col.type === 'integer' || col.type === 'number') return { role: 'measure', reason: 'the values are numbers' };
  return { role: 'other', reason: 'no personal data detected' };
}

/** Detects personal data in a sampled table and suggests roles and a level. */
export function detectPersonalData(columns: readonly ColumnSample[], sampledRows: number): DetectionResult {
  const findings = columns.map((c) => detectColumn(c));
  const all = findings.flatMap((f, i) => f.map((d) => ({ ...d, column: columns[i].name })));
  // Two or more columns describing people (age and sex, say) make row-level data about individuals.
  const personal = all.some((d) => personalKinds.has(d.kind)) || new Set(all.filter((d) => d.kind === 'quasi_identifier').map((d) => d.column)).size >= 2;
  const result = columns.map((c, i) => {
    const { role, reason } = roleFor(c, findings[i], personal);
    return { name: c.name, suggestedRole: role, roleReason: reason, detections: findings[i] };
  });
  const special = all.filter((d) => d.kind === 'special_category' || d.kind === 'nhs_number');
  if (special.length) {
    return {
      columns: result,
      suggestedLevel: 'special_category',
      levelReasons: special.map((d) =>
        d.kind === 'nhs_number' ? `column "${d.column}" holds NHS numbers, so the data is about people's health or care` : `column "${d.column}": ${d.reason}`,
      ),
    };
  }
  const personalFindings = all.filter((d) => personalKinds.has(d.kind) || d.kind === 'quasi_identifier');
  if (personal) {
    return { columns: result, suggestedLevel: 'personal', levelReasons: personalFindings.map((d) => `column "${d.column}": ${d.reason}`) };
  }
  const levelReasons = [`no personal data detected in ${sampledRows} sampled rows`];
  if (personalFindings.length) levelReasons.push(...personalFindings.map((d) => `column "${d.column}" describes people but nothing identifies them: ${d.reason}`));
  return { columns: result, suggestedLevel: 'public', levelReasons };
}
