import { z } from 'zod';
import { roles } from './actor';
import { maxPasswordLength, minPasswordLength } from './password';
import { tokenScopes } from './policy';
import { defaultTokenDays, maxTokenDays } from './token.service';

/**
 * Inputs of the account pages and APIs, validated at the edge. Objects are strict: a body that
 * tries to set anything else (an id, a role on registration, a token's owner) is refused.
 */

const email = z.email({ message: 'Enter an email address in the correct format, like name@example.com' }).max(320);
const password = z
  .string()
  .min(minPasswordLength, { message: `Password must be ${minPasswordLength} characters or more` })
  .max(maxPasswordLength, { message: `Password must be ${maxPasswordLength} characters or fewer` });
const displayName = z.string().trim().min(1, { message: 'Enter your name' }).max(200, { message: 'Name must be 200 characters or fewer' });
const list = (v: unknown) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]);

/** Sign-in form: no format rules beyond lengths, so every failure looks the same. */
export const signInForm = z.object({
  email: z.string().trim().min(1, { message: 'Enter your email address' }).max(320, { message: 'Enter a correct email address and password' }),
  password: z.string().min(1, { message: 'Enter your password' }).max(maxPasswordLength, { message: 'Enter a correct email address and password' }),
  next: z.string().max(1000).optional(),
});

function confirmed<T extends { password: string; confirm: string }>(v: T, ctx: z.RefinementCtx) {
  if (v.password !== v.confirm) ctx.addIssue({ code: 'custom', path: ['confirm'], message: 'Passwords do not match' });
}

/** Researcher self-registration. */
export const registerForm = z
  .strictObject({ email, displayName, password, confirm: z.string() })
  .superRefine(confirmed);

/** Setting a password through a one-time link. */
export const setPasswordForm = z.strictObject({ password, confirm: z.string() }).superRefine(confirmed);

const publisherIds = z.preprocess(list, z.array(z.coerce.number().int().positive()).max(100));

/** An admin creating an account. */
export const createUserForm = z.strictObject({
  email,
  displayName,
  role: z.enum(roles, { message: 'Choose a role' }),
  publishers: publisherIds,
});

/** An admin changing an account's role and publishers. */
export const accessForm = z.strictObject({ role: z.enum(roles, { message: 'Choose a role' }), publishers: publisherIds });

/** Creating an API token (form or JSON). */
export const createTokenInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'Enter a name for the token' }).max(100, { message: 'Name must be 100 characters or fewer' }),
  scopes: z.preprocess(list, z.array(z.enum(tokenScopes, { message: 'Choose read or manage' })).min(1, { message: 'Choose at least one scope' })),
  expiresInDays: z.coerce
    .number({ message: 'Enter a number of days' })
    .int({ message: 'Enter a whole number of days' })
    .min(1, { message: 'A token must last at least 1 day' })
    .max(maxTokenDays, { message: `A token can last at most ${maxTokenDays} days` })
    .default(defaultTokenDays),
});

/** A numeric id in a path. */
export const idParam = z.coerce.number().int().positive().max(2 ** 31 - 1);

/** Filters of the admin users list. */
export const usersQuery = z.object({
  role: z.enum(roles).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
