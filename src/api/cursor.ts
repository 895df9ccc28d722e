import { ValidationError } from '../errors';

/**
 * Opaque pagination cursors: base64url of a small JSON object. Clients must treat them as
 * opaque (take `links.next`); a cursor that does not decode is a 400 on "cursor".
 */

/** Encodes a cursor. */
export function encodeCursor(state: Record<string, number | string>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...state })).toString('base64url');
}

/** Decodes a cursor made by encodeCursor, or throws a 400. */
export function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value) && (value as { v?: unknown }).v === 1) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ValidationError('Invalid query parameter "cursor": not a cursor from this API (use links.next)', { parameter: 'cursor' });
}

/** A non-negative whole number from a decoded cursor, or a 400. */
export function cursorNumber(state: Record<string, unknown>, key: string, max = 1_000_000_000): number {
  const n = state[key];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new ValidationError('Invalid query parameter "cursor": not a cursor from this API (use links.next)', { parameter: 'cursor' });
  }
  return n;
}
