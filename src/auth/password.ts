import { hash, verify, type Options } from '@node-rs/argon2';
import type { AuthConfig } from '../config';

/** Shortest password accepted (NCSC and NIST SP 800-63B favour length over composition rules). */
export const minPasswordLength = 12;
/** Longest password accepted (bounds the hashing work an attacker can ask for). */
export const maxPasswordLength = 256;

/** argon2id; @node-rs/argon2's Algorithm is a const enum, so its value is spelled out. */
const argon2id = 2 as Options['algorithm'];

/** Hashes a password with argon2id at the configured cost. */
export function hashPassword(password: string, cost: AuthConfig['argon2']): Promise<string> {
  return hash(password, { algorithm: argon2id, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: cost.parallelism });
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * Checks a password against a stored hash. With no stored hash (unknown email, or an account
 * whose password was never set) it still does the same work against a dummy hash, so the answer
 * takes as long as for a wrong password and does not reveal which accounts exist.
 */
export async function verifyPassword(stored: string | null | undefined, password: string, cost: AuthConfig['argon2']): Promise<boolean> {
  const key = `${cost.memoryCost}:${cost.timeCost}:${cost.parallelism}`;
  if (!dummyHashes.has(key)) dummyHashes.set(key, hashPassword('plaza-dummy-password-for-timing', cost));
  const target = stored ?? (await dummyHashes.get(key)!);
  try {
    const ok = await verify(target, password.slice(0, maxPasswordLength));
    return ok && stored !== null && stored !== undefined;
  } catch {
    return false;
  }
}
