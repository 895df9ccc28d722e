import { z } from 'zod';

/**
 * Inputs of the stewards' stream actions (forms and `/api/v1/manage/streams/…`) besides the
 * stream definition and rollup policy (src/streams/stream.schemas.ts); the OpenAPI document is
 * generated from them.
 */

const optionalNumber = z.preprocess((v) => (v === '' || v === undefined || v === null ? null : Number(v)), z.number().finite().nullable());
const versionNumber = z.coerce.number().int().min(1);

export const deviceBody = z.object({
  key: z.string().min(1).max(63).describe('Device key: lower-case letters, digits and hyphens; unique across streams (also the MQTT user name and topic level)'),
  label: z.string().max(200).optional(),
  lat: optionalNumber.optional(),
  lon: optionalNumber.optional(),
  ward: z.string().max(100).optional().transform((v) => (v ? v : null)).describe('Ward, for ward rollups'),
});
export const revokeBody = z.object({ reason: z.string().max(500).optional() });
export const approveBody = z.object({ policyVersion: versionNumber.optional().describe('The policy version you reviewed: refused (409) when the policy changed since') });
/** The policy version a change was made against: the web form always carries it. */
export const policyFormVersion = z.object({ policyVersion: versionNumber });
/** The same, optional, as a query parameter of `PUT /api/v1/manage/streams/:slug/policy`. */
export const policyQuery = z.object({
  policyVersion: versionNumber.optional().describe('The policy version your change was made against: refused (409, naming the current version) when the policy changed since'),
});
