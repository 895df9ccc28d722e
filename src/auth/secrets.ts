import crypto from 'node:crypto';

/** A random secret of `bytes` bytes as base64url (session ids, API tokens, password links). */
export function randomSecret(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 of a high-entropy secret, as stored in the database: a leaked table does not yield
 * usable session ids, tokens or links. (Passwords, which are guessable, use argon2id instead.)
 */
export function secretHash(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
