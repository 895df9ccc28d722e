import { z } from 'zod';

/** Building blocks shared by every query-string schema (pages, API, downloads). */

/** Takes the last value when a parameter is repeated (`?page=1&page=2` → 2). */
export const single = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);

/** A whole number parameter in [min, max] with a default, and messages that say what is wrong. */
export const wholeNumber = (min: number, max: number, fallback: number) =>
  single(
    z.coerce
      .number({ message: 'must be a whole number' })
      .int({ message: 'must be a whole number' })
      .min(min, { message: `must be ${min} or more` })
      .max(max, { message: `must be at most ${max}` })
      .default(fallback),
  );

/** A dataset, publisher or theme slug in a path. */
export const slugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'must be a slug of lowercase letters, digits and hyphens' });
