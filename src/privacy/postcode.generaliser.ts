import { HierarchyError } from './privacy.errors';

/** Granularities of a UK postcode, finest first (e.g. "SW1A 1AA", "SW1A 1", "SW1A", "SW"). */
export const POSTCODE_LEVELS = ['unit', 'sector', 'district', 'area'] as const;
/** One postcode granularity (see POSTCODE_LEVELS). */
export type PostcodeLevel = (typeof POSTCODE_LEVELS)[number];

/** Outward code (area letters + district) and inward code (sector digit + unit letters), per the Royal Mail formats. */
const POSTCODE = /^([A-Z]{1,2})([0-9][A-Z0-9]?) ?([0-9])([A-Z]{2})$/;

/** Parsed UK postcode parts. */
export interface PostcodeParts { area: string; district: string; sector: string; unit: string }

/** Validates and splits a UK postcode (case and spacing normalised); throws naming the value. */
export function parsePostcode(value: string, column = 'postcode'): PostcodeParts {
  const v = value.trim().toUpperCase().replace(/\s+/g, ' ');
  if (v === 'GIR 0AA' || v === 'GIR0AA') return { area: 'GIR', district: 'GIR', sector: 'GIR 0', unit: 'GIR 0AA' };
  const m = POSTCODE.exec(v);
  if (!m || /^[QVX]/.test(m[1]) || /^.[IJZ]/.test(m[1]) || /[CIKMOV]/.test(m[4])) {
    throw new HierarchyError(`Column "${column}": "${value}" is not a valid UK postcode`, { column, value });
  }
  const outward = m[1] + m[2];
  return { area: m[1], district: outward, sector: `${outward} ${m[3]}`, unit: `${outward} ${m[3]}${m[4]}` };
}

/** Cuts a postcode to a level (unit -> sector -> district -> area). */
export function generalisePostcode(value: string, level: PostcodeLevel, column = 'postcode'): string {
  return parsePostcode(value, column)[level];
}
