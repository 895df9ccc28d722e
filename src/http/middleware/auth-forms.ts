import type { z } from 'zod';
import { AppError } from '../../errors';

/** One problem with a form field, as the GOV.UK error summary and field messages show it. */
export interface FieldError {
  field: string;
  text: string;
  href: string;
}

/** The outcome of checking a submitted form. */
export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldError[]; values: Record<string, unknown> };

/**
 * Validates a submitted form with a zod schema; failures become field errors for re-rendering the
 * form (with an error summary linking to each field) instead of a bare 400 page. The CSRF token
 * field is not part of any schema.
 */
export function checkForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.infer<S>> {
  const values = { ...((body ?? {}) as Record<string, unknown>) };
  delete values._csrf;
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, data: result.data };
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? (issue.code === 'unrecognized_keys' ? 'form' : 'form'));
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, text: field === 'form' ? 'The form has a field it should not have' : issue.message, href: field === 'form' ? '#main-content' : `#${field}` });
  }
  delete values.password;
  delete values.confirm;
  return { ok: false, errors, values };
}

/** Turns a service's ValidationError/ConflictError with `problems` into field errors. */
export function fieldErrorsOf(err: unknown): FieldError[] | undefined {
  if (!(err instanceof AppError) || (err.status !== 400 && err.status !== 409)) return undefined;
  const problems = err.details?.problems as Array<{ parameter: string; problem: string }> | undefined;
  if (!problems?.length) return [{ field: 'form', text: err.message, href: '#main-content' }];
  return problems.map((p) => ({ field: p.parameter, text: p.problem, href: `#${p.parameter}` }));
}

/** Where to go after signing in: only a local path (never `//host` or a full URL: no open redirect). */
export function safeNext(next: unknown, fallback: string): string {
  if (typeof next !== 'string') return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n]/.test(next)) return fallback;
  return next;
}
