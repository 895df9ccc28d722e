import { z } from 'zod';
import { auditActions } from './audit.actions';

/** Query parameters of the audit pages and exports, validated at the edge. */

const families = [...new Set(auditActions.map((a) => a.split('.')[0] + '.*'))];
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/, { message: 'must be a date like 2026-11-26 or a time like 2026-11-26T14:00Z' })
  .refine((v) => !Number.isNaN(Date.parse(v.length === 10 ? v + 'T00:00:00Z' : v.endsWith('Z') ? v : v + 'Z')), { message: 'is not a real date' });

/** Audit filters as typed in the form or URL. */
export const auditQuery = z.object({
  actor: z
    .string()
    .trim()
    .regex(/^(anonymous|system|user:\d{1,10}|token:\d{1,10})$/, { message: 'must be anonymous, system, user:<id> or token:<id>' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  action: z
    .enum([...auditActions, ...families] as [string, ...string[]], { message: 'is not a known action or family (like user.*)' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  dataset: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'must be a dataset slug' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  from: date.optional().or(z.literal('').transform(() => undefined)),
  to: date.optional().or(z.literal('').transform(() => undefined)),
  cursor: z
    .string()
    .regex(/^[ab]\d{1,15}$/, { message: 'is not a valid page cursor' })
    .optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;

/** The action families offered in the filter. */
export const auditActionFamilies = families;

/** ISO lower bound of a `from` filter. */
export function fromBound(v: string): string {
  return new Date(v.length === 10 ? v + 'T00:00:00Z' : v.endsWith('Z') ? v : v + 'Z').toISOString();
}

/** ISO exclusive upper bound of a `to` filter: a bare date includes that whole day. */
export function toBound(v: string): string {
  if (v.length === 10) return new Date(Date.parse(v + 'T00:00:00Z') + 86_400_000).toISOString();
  return new Date(Date.parse(v.endsWith('Z') ? v : v + 'Z') + 1).toISOString();
}
