import { createHash, randomBytes } from 'node:crypto';

/** A source of uniformly random bytes; every random choice in the engine draws from one of these. */
export interface RandomSource {
  nextBytes(count: number): Uint8Array;
}

/**
 * Deterministic generator: SHA-256 in counter mode over (seed, stream), so the same stored seed
 * replays the same release byte for byte. Not for key material.
 */
export function createSeededRandom(seed: string, stream = ''): RandomSource {
  const key = createHash('sha256').update('plaza-drbg\u0000').update(seed).update('\u0000').update(stream).digest();
  let counter = 0;
  let block = new Uint8Array(0);
  let pos = 0;
  const refill = (): void => {
    const c = Buffer.alloc(8);
    c.writeUInt32BE(Math.floor(counter / 4294967296), 0);
    c.writeUInt32BE(counter >>> 0, 4);
    counter += 1;
    block = new Uint8Array(createHash('sha256').update(key).update(c).digest());
    pos = 0;
  };
  return {
    nextBytes(count: number): Uint8Array {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        if (pos >= block.length) refill();
        out[i] = block[pos++];
      }
      return out;
    },
  };
}

/** Cryptographically secure source (node:crypto), the default for differential privacy noise. */
export function createSecureRandom(): RandomSource {
  return { nextBytes: (count: number) => new Uint8Array(randomBytes(count)) };
}

/** Uniform integer in [0, bound) for bound <= 2^48, by rejection sampling (no modulo bias). */
export function uniformInt(source: RandomSource, bound: number): number {
  if (!Number.isInteger(bound) || bound <= 0 || bound > 2 ** 48) throw new RangeError('bound must be an integer in 1..2^48');
  if (bound === 1) return 0;
  const limit = Math.floor(2 ** 48 / bound) * bound;
  for (;;) {
    const b = source.nextBytes(6);
    const v = ((b[0] * 256 + b[1]) * 256 + b[2]) * 16777216 + ((b[3] << 16) | (b[4] << 8) | b[5]);
    if (v < limit) return v % bound;
  }
}

/** Uniform BigInt in [0, bound), by rejection on the bit length (exact, for the DP samplers). */
export function uniformBigInt(source: RandomSource, bound: bigint): bigint {
  if (bound <= 0n) throw new RangeError('bound must be positive');
  if (bound === 1n) return 0n;
  const bits = (bound - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const b = source.nextBytes(bytes);
    let v = 0n;
    for (let i = 0; i < bytes; i++) v = (v << 8n) | BigInt(b[i]);
    v >>= excess;
    if (v < bound) return v;
  }
}

/** Uniform double in [0, 1) with 48 random bits, for tie-free shuffles and random rounding. */
export function uniformUnit(source: RandomSource): number {
  return uniformInt(source, 2 ** 48) / 2 ** 48;
}
