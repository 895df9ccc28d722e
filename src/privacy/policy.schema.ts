import { z } from 'zod';
import { DATE_LEVELS } from './date.generaliser';
import { METRICS } from './loss.metrics';
import { POSTCODE_LEVELS } from './postcode.generaliser';
import { PolicyError } from './privacy.errors';
import { AGGREGATES } from './table-aggregation';

/** How a column's hierarchy is obtained (see HierarchySpec). */
export const hierarchySpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('csv'), text: z.string().min(1), delimiter: z.string().min(1).optional() }).strict(),
  z.object({ type: z.literal('table'), rows: z.array(z.array(z.string()).min(1)).min(1) }).strict(),
  z.object({
    type: z.literal('interval'), widths: z.array(z.number().positive()).min(1).optional(), breaks: z.array(z.array(z.number()).min(1)).min(1).optional(),
    origin: z.number().optional(), bottomCode: z.number().optional(), topCode: z.number().optional(), unit: z.string().min(1).optional(),
  }).strict(),
  z.object({ type: z.literal('date'), levels: z.array(z.enum(DATE_LEVELS)).min(1).optional() }).strict(),
  z.object({ type: z.literal('postcode'), levels: z.array(z.enum(POSTCODE_LEVELS)).min(1).optional() }).strict(),
  z.object({ type: z.literal('coordinate'), scheme: z.enum(['truncate', 'grid', 'h3']), steps: z.array(z.number()).min(1), refLatitude: z.number().min(-90).max(90).optional() }).strict(),
]);

/** l-diversity and t-closeness on a sensitive column. */
export const criterionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('distinct-l'), column: z.string(), l: z.number().int().min(1) }).strict(),
  z.object({ type: z.literal('entropy-l'), column: z.string(), l: z.number().min(1) }).strict(),
  z.object({ type: z.literal('recursive-cl'), column: z.string(), c: z.number().positive(), l: z.number().int().min(1) }).strict(),
  z.object({ type: z.literal('t-closeness'), column: z.string(), t: z.number().min(0).max(1), distance: z.enum(['equal', 'ordered']) }).strict(),
]);

const qiSchema = z.object({ column: z.string(), hierarchy: hierarchySpecSchema }).strict();
const epsilonSchema = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$|^\d+\/\d+$/)]);
const primaryRuleSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('threshold'), min: z.number().int().min(1) }).strict(),
  z.object({ type: z.literal('dominance'), n: z.number().int().min(1), k: z.number().gt(0).max(100) }).strict(),
  z.object({ type: z.literal('p-percent'), p: z.number().gt(0).max(100) }).strict(),
]);

/** One step of a release policy; steps run in order. */
export const policyStepSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('drop'), columns: z.array(z.string()).min(1) }).strict(),
  z.object({
    op: z.literal('pseudonymise'), columns: z.array(z.string()).min(1), secret: z.string().min(1),
    scope: z.enum(['global', 'release']).default('release'), length: z.number().int().min(8).max(64).default(32),
  }).strict(),
  z.object({ op: z.literal('generalise'), column: z.string(), hierarchy: hierarchySpecSchema, level: z.number().int().min(0) }).strict(),
  z.object({
    op: z.literal('k-anonymity'), k: z.number().int().min(1), suppressionLimit: z.number().min(0).max(1).default(0),
    metric: z.enum(METRICS).default('loss'), quasiIdentifiers: z.array(qiSchema).min(1), criteria: z.array(criterionSchema).default([]),
  }).strict(),
  z.object({
    op: z.literal('mondrian'), k: z.number().int().min(1), mode: z.enum(['strict', 'relaxed']).default('strict'),
    quasiIdentifiers: z.array(z.string()).min(1), criteria: z.array(criterionSchema).default([]),
  }).strict(),
  z.object({
    op: z.literal('aggregate'), groupBy: z.array(z.string()).min(1),
    measures: z.array(z.object({ fn: z.enum(AGGREGATES), column: z.string().optional(), as: z.string().optional() }).strict()).min(1),
    /** Groups whose named output measure is below `min` are left out (e.g. fewer than 10 households). */
    minGroupSize: z.object({ measure: z.string().min(1), min: z.number().int().min(1) }).strict().optional(),
  }).strict(),
  z.object({
    op: z.literal('protect-table'), dimensions: z.array(z.string()).min(1).max(3), measure: z.string().optional(),
    preset: z.enum(['ons-10-5', 'nhs-1-7']).optional(), rules: z.array(primaryRuleSchema).optional(), secondary: z.boolean().optional(),
    rounding: z.object({ base: z.number().int().min(1), mode: z.enum(['nearest', 'random']) }).strict().optional(),
    marker: z.string().nullable().optional(), audit: z.boolean().default(false),
    /**
     * Category labels are data too: a value of a dimension held by fewer records than the
     * threshold is published as "Other" (default), so a rare value never appears as a row label.
     */
    rareCategories: z.enum(['other', 'keep']).default('other'),
  }).strict(),
  z.object({
    op: z.literal('dp-counts'), dimensions: z.array(z.string()).min(1).max(3), categories: z.record(z.string(), z.array(z.string()).min(1)),
    epsilon: epsilonSchema, mechanism: z.enum(['laplace', 'gaussian']).default('laplace'), randomness: z.enum(['secure', 'seeded']).default('secure'),
    clampNegative: z.boolean().default(true),
  }).strict(),
  z.object({
    op: z.literal('dp-sum'), column: z.string(), lower: z.number(), upper: z.number(), decimals: z.number().int().min(0).max(6).default(0),
    epsilon: epsilonSchema, randomness: z.enum(['secure', 'seeded']).default('secure'),
  }).strict(),
]);

/** A release policy: a seed (for reproducible randomness) and an ordered list of steps. */
export const policySchema = z.object({
  version: z.literal(1),
  seed: z.string().min(1),
  /** No steps: the data is published as it is (allowed by the gate only where the level permits raw output). */
  steps: z.array(policyStepSchema),
}).strict();

/** A validated policy (defaults filled in). */
export type Policy = z.infer<typeof policySchema>;
/** A validated policy step. */
export type PolicyStep = z.infer<typeof policyStepSchema>;
/** A validated l-diversity / t-closeness criterion. */
export type PolicyCriterion = z.infer<typeof criterionSchema>;
/** What callers write (defaults optional). */
export type PolicyInput = z.input<typeof policySchema>;

const TABLE_OPS = new Set(['aggregate', 'protect-table', 'dp-counts', 'dp-sum']);

/** Validates a policy (zod, then step order: at most one table step, and it comes last). */
export function parsePolicy(input: unknown): Policy {
  const r = policySchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`);
    throw new PolicyError(`Invalid policy: ${issues.join('; ')}`, { issues });
  }
  const tableSteps = r.data.steps.map((s, i) => (TABLE_OPS.has(s.op) ? i : -1)).filter((i) => i >= 0);
  if (tableSteps.length > 1 || (tableSteps.length === 1 && tableSteps[0] !== r.data.steps.length - 1)) {
    throw new PolicyError('A policy may end with one table step (aggregate, protect-table, dp-counts, dp-sum) and nothing after it');
  }
  return r.data;
}
