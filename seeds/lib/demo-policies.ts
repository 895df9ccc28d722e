import type { ColumnRole } from '../../src/catalogue/table-schema';
import type { PolicyInput } from '../../src/privacy';
import type { ReleaseSettings } from '../../src/publishing/release-evidence';

/**
 * The demo city's release policies for its restricted sources (issue 6 §10): each source's column
 * roles as a steward would classify them, and the policy its protected release is made with.
 */
export interface DemoReleasePolicy {
  roles: Record<string, ColumnRole>;
  policy: PolicyInput;
  settings?: ReleaseSettings;
  notes: string;
}

export const demoReleasePolicies: Record<string, DemoReleasePolicy> = {
  'household-smart-meter-readings': {
    roles: { household_id: 'direct_identifier', mpan: 'direct_identifier', postcode: 'quasi_identifier', reading_start: 'time', kwh: 'measure' },
    policy: {
      version: 1,
      seed: 'smart-meter-2026-10',
      steps: [
        { op: 'generalise', column: 'postcode', hierarchy: { type: 'postcode', levels: ['sector', 'district', 'area'] }, level: 2 },
        { op: 'generalise', column: 'reading_start', hierarchy: { type: 'date', levels: ['day', 'month', 'year'] }, level: 1 },
        {
          op: 'aggregate',
          groupBy: ['postcode', 'reading_start'],
          measures: [
            { fn: 'count_distinct', column: 'household_id', as: 'households' },
            { fn: 'sum', column: 'kwh', as: 'total_kwh' },
          ],
          minGroupSize: { measure: 'households', min: 10 },
        },
      ],
    },
    settings: { household: { timeColumn: 'reading_start', countMeasure: 'households' } },
    notes: 'Daily electricity totals per postcode district, over 10 or more homes each.',
  },
  'housing-benefit-claims': {
    roles: {
      claim_ref: 'direct_identifier', claimant_name: 'direct_identifier', date_of_birth: 'quasi_identifier', age: 'quasi_identifier', sex: 'quasi_identifier',
      postcode: 'quasi_identifier', ward: 'quasi_identifier', household_type: 'quasi_identifier', weekly_award: 'sensitive', claim_start: 'other',
    },
    policy: {
      version: 1,
      seed: 'housing-benefit-2026-q3',
      steps: [
        { op: 'generalise', column: 'age', hierarchy: { type: 'interval', breaks: [[18, 25, 35, 50, 65]], unit: 'year' }, level: 1 },
        { op: 'protect-table', dimensions: ['ward', 'age', 'household_type'], rules: [{ type: 'threshold', min: 10 }], secondary: true, audit: true },
      ],
    },
    notes: 'Claims by ward, age band and household type; small counts hidden.',
  },
  'adult-social-care-service-users': {
    roles: { person_id: 'direct_identifier', nhs_number: 'direct_identifier', age: 'quasi_identifier', sex: 'quasi_identifier', primary_support_reason: 'sensitive', ward: 'quasi_identifier', service_type: 'other' },
    policy: {
      version: 1,
      seed: 'social-care-2026-q3',
      steps: [{ op: 'protect-table', dimensions: ['ward', 'primary_support_reason'], preset: 'ons-10-5', audit: true }],
    },
    notes: 'People receiving care by ward and primary support reason, under the ONS 10-5 rule.',
  },
};
