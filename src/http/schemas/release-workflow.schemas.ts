import { z } from 'zod';
import { releaseSettingsSchema } from '../../publishing/release-evidence';

/** Request bodies of the release workflow's actions (forms and `/api/v1/manage/…`); the OpenAPI document is generated from them. */

export const reasonBody = z.object({ reason: z.string().trim().min(10, 'Give a reason of at least 10 characters').max(2000).describe('Why; at least 10 characters') });
export const notesBody = z.object({ notes: z.string().trim().max(5000).optional().describe('Release notes shown to the public') });
export const overrideBody = z.object({
  check: z.string().min(1).max(100).describe('The id of the failing gate check, e.g. public.no_direct_identifiers'),
  reason: z.string().trim().min(20, 'Give a reason of at least 20 characters').max(2000).describe('Why the check may be overridden; audited'),
});
export const policyBody = z.object({
  policy: z.object({ version: z.literal(1), seed: z.string(), steps: z.array(z.record(z.string(), z.unknown())) }).describe('The privacy engine policy (docs/privacy-engine.md)'),
  settings: releaseSettingsSchema.optional(),
  note: z.string().max(2000).optional(),
});

export const createDatasetBody = z.object({
  slug: z.string().min(1).max(100).describe('URL name: lower-case letters, digits and single hyphens'),
  title: z.string().trim().min(3).max(200),
  publisher: z.string().min(1).max(100).describe('Publisher slug (one of yours)'),
  level: z.enum(['public', 'personal', 'special_category', 'confidential']).describe('Sensitivity level (DESIGN.md §2)'),
  summary: z.string().trim().max(500).optional(),
  description: z.string().trim().max(20000).optional(),
});
