import { isIP } from 'node:net';

/**
 * Recognisers for personal data in single values (pure). Each answers "does this value look
 * like X"; the column-level rules in pii-detect.ts decide what a share of matches means.
 */

/** NHS numbers: 10 digits (spaces or dashes allowed as 3-3-4) whose last digit is the modulus-11 check. */
export function isNhsNumber(value: string): boolean {
  const digits = value.trim().replace(/^([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})$/, '$1$2$3');
  if (!/^[0-9]{10}$/.test(digits)) return false;
  return nhsCheckDigit(digits.slice(0, 9)) === Number(digits[9]);
}

/** The modulus-11 check digit of the first nine digits of an NHS number; undefined when none is valid (10). */
export function nhsCheckDigit(nine: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

const emailPattern = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** E-mail addresses. */
export function isEmail(value: string): boolean {
  const v = value.trim();
  return v.length <= 320 && emailPattern.test(v);
}

/** UK phone numbers: +44 / 0044 / 0 then 9–10 digits starting 1, 2, 3, 7 or 8, with spaces, dashes or brackets. */
export function isUkPhone(value: string): boolean {
  const v = value.trim();
  if (!/^[0-9+()\s.-]{10,20}$/.test(v)) return false;
  const compact = v.replace(/[\s().-]/g, '');
  const national = compact.startsWith('+44') ? compact.slice(3) : compact.startsWith('0044') ? compact.slice(4) : compact.startsWith('0') ? compact.slice(1) : undefined;
  if (national === undefined) return false;
  const trimmed = national.startsWith('0') ? national.slice(1) : national; // +44 (0)20 …
  return /^[12378][0-9]{8,9}$/.test(trimmed);
}

const niPrefixesNotIssued = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

/** National Insurance numbers (HMRC format: two letters, six digits, suffix A–D). */
export function isNiNumber(value: string): boolean {
  const v = value.trim().toUpperCase().replace(/\s+/g, '');
  const m = /^([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[0-9]{6}[A-D]$/.exec(v);
  return m !== null && !niPrefixesNotIssued.has(m[1]);
}

/** Full UK postcodes (unit level, e.g. `AN1 2BD`), which identify about 15 addresses. */
export function isFullPostcode(value: string): boolean {
  return /^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$/i.test(value.trim());
}

/** IPv4 or IPv6 addresses. */
export function isIpAddress(value: string): boolean {
  return isIP(value.trim()) !== 0;
}

/** Decimal places of a numeric text (0 for integers). */
export function decimalPlaces(value: string): number {
  const m = /^-?[0-9]+\.([0-9]+)$/.exec(value.trim());
  return m ? m[1].length : 0;
}

/** A "lat, lon" pair in one cell with at least four decimals in each part. */
export function isPreciseCoordinatePair(value: string): boolean {
  const m = /^\s*\(?(-?[0-9]{1,2}\.[0-9]{4,})\s*[,;]\s*(-?[0-9]{1,3}\.[0-9]{4,})\)?\s*$/.exec(value);
  return m !== null && Math.abs(Number(m[1])) <= 90 && Math.abs(Number(m[2])) <= 180;
}

/** Common given names in England and Wales (ONS baby names and census), lower case. */
const givenNames = new Set(
  (
    'olivia amelia isla ava mia grace sophia lily freya emily ivy ella rosie evie florence poppy charlotte willow harper sienna ' +
    'isabella daisy sofia alice elsie matilda emma jessica sarah hannah lucy laura rebecca amy chloe megan sophie katie ' +
    'mary elizabeth margaret susan patricia linda barbara jennifer karen helen jane anne janet julie claire joanne nicola ' +
    'priya aisha fatima zofia anna maria ayesha zara noor hira mariam leila yasmin' +
    ' oliver george noah arthur harry leo muhammad mohammed jack charlie oscar jacob henry thomas freddie alfie theo william ' +
    'theodore archie joshua alexander james isaac edward lucas tommy finley max logan ethan mason daniel samuel joseph ' +
    'david john michael paul peter robert richard mark andrew stephen christopher anthony kevin brian ian gary steven ' +
    'tomasz kwame chen ravi ahmed ali omar hassan ibrahim raj sanjay amir piotr jan kofi wei'
  ).split(/\s+/),
);

/** Looks like a personal name: two to four capitalised words whose first is a common given name. */
export function isPersonalName(value: string): boolean {
  const v = value.trim();
  if (v.length < 3 || v.length > 80) return false;
  // "Surname, Forename"
  const inverted = /^([A-Z][A-Za-z'’-]+),\s*([A-Z][a-z'’-]+)$/.exec(v);
  if (inverted) return givenNames.has(inverted[2].toLowerCase());
  const words = v.split(/\s+/);
  if (words.length < 2 || words.length > 4) return false;
  if (!words.every((w) => /^[A-Z][A-Za-z'’.-]*$/.test(w))) return false;
  const first = words[0].replace(/^(mr|mrs|ms|miss|dr)\.?$/i, '');
  return givenNames.has((first || words[1]).toLowerCase());
}

/** Free text: several words with spaces and sentence punctuation, long enough to say anything. */
export function isFreeText(value: string): boolean {
  const v = value.trim();
  return v.length >= 40 && v.split(/\s+/).length >= 6;
}
