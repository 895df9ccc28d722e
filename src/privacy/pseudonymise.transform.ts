import { createHmac } from 'node:crypto';
import { PolicyError } from './privacy.errors';
import { cellKey, type Cell } from './table.model';

/** Scope of a pseudonym: stable across every release made with the key, or only within one release. */
export type PseudonymScope = 'global' | 'release';

/**
 * Keyed pseudonym: HMAC-SHA-256(key, scope tag ‖ column ‖ value), hex, truncated to `length`
 * characters. The key comes from the deployment's secrets and is never written to a release;
 * with scope "release" the release id is mixed in, so pseudonyms do not link across releases.
 */
export function pseudonym(value: Cell, key: string, column: string, scope: PseudonymScope, releaseId: string, length = 32): string | null {
  if (key.length < 16) throw new PolicyError('The pseudonymisation key must be at least 16 characters');
  if (value === null || value === '') return null;
  const tag = scope === 'global' ? 'g' : `r:${releaseId}`;
  return createHmac('sha256', key).update(`${tag}\u0000${column}\u0000${cellKey(value)}`).digest('hex').slice(0, length);
}
