import { z } from 'zod';
import { columnRoles, columnTypes, sensitivityLevels } from '../../catalogue/table-schema';

/** Input schemas of the import, source and classification routes (validated at the edge). */

/** A dataset slug in a path. */
export const slugParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'not a dataset slug' });

/** A source version in a path: a number or `latest`. */
export const versionParam = z.union([z.literal('latest'), z.coerce.number().int().min(1).max(1_000_000)]);

const typeSpec = z
  .string()
  .max(300)
  .regex(/^.+:(integer|number|boolean|date|datetime|string)$/, { message: `must be NAME:TYPE with TYPE one of ${columnTypes.join(', ')}` });

/** Query of `POST /api/v1/manage/datasets/:slug/sources`. */
export const importQuery = z.object({
  mode: z.enum(['replace', 'append']).default('replace'),
  type: z.union([typeSpec, z.array(typeSpec).max(1500)]).optional(),
  filename: z.string().max(300).optional(),
});

/** Fields of the upload form (read from the multipart body before the file). */
export const uploadFields = z.object({
  mode: z.enum(['replace', 'append']).default('replace'),
});

/** `type` specs as an ordered map (never an object keyed by user input). */
export function typeOverrides(spec: string | string[] | undefined): Map<string, (typeof columnTypes)[number]> {
  const out = new Map<string, (typeof columnTypes)[number]>();
  for (const s of spec === undefined ? [] : Array.isArray(spec) ? spec : [spec]) {
    const i = s.lastIndexOf(':');
    out.set(s.slice(0, i), s.slice(i + 1) as (typeof columnTypes)[number]);
  }
  return out;
}

/** Body of `PUT /api/v1/manage/datasets/:slug/classification`. */
export const classificationBody = z.object({
  level: z.enum(sensitivityLevels),
  version: z.number().int().min(1).optional(),
  reason: z.string().max(2000).optional(),
  columns: z
    .array(
      z.object({
        name: z.string().min(1).max(300),
        role: z.enum(columnRoles),
        type: z.enum(columnTypes).optional(),
      }),
    )
    .min(1)
    .max(1500),
});

/** Fields of the classification form: `level`, `reason`, `role_<i>` and `text_<i>` (checkbox: change to text). */
export const classificationForm = z.object({
  level: z.enum(sensitivityLevels),
  reason: z.string().max(2000).optional().default(''),
  version: z.coerce.number().int().min(1),
});

/** Body of a purge. */
export const purgeBody = z.object({ reason: z.string().trim().min(3, { message: 'give a reason of at least 3 characters' }).max(2000) });
