import type { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * Validates input at the edge with a zod schema; a failure becomes a 400 whose message names the
 * parameter ("where") and the rule broken ("what"), without echoing the value.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: 'query' | 'body' | 'path' = 'query'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const name = first.path.length ? first.path.join('.') : where;
  const problems = result.error.issues.map((i) => ({ parameter: i.path.join('.') || where, problem: i.message }));
  throw new ValidationError(`Invalid ${where} parameter "${name}": ${first.message}`, { in: where, problems });
}
