import { PolicyError } from './privacy.errors';
import { uniformBigInt, type RandomSource } from './seeded.random';

/** A non-negative rational n/d with BigInt parts, so privacy parameters are exact. */
export interface Rational { n: bigint; d: bigint }

/** Parses a decimal number or fraction ("0.5", "1/3", 2) into an exact positive rational. */
export function toRational(x: number | string): Rational {
  const s = String(x).trim();
  const frac = /^(\d+)\/(\d+)$/.exec(s);
  if (frac) {
    const r = { n: BigInt(frac[1]), d: BigInt(frac[2]) };
    if (r.d === 0n) throw new PolicyError(`Invalid number "${s}"`);
    return reduce(r);
  }
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(s);
  if (!m) throw new PolicyError(`Invalid non-negative number "${s}"`);
  const decimals = m[2] ?? '';
  let n = BigInt(m[1] + decimals);
  let d = 10n ** BigInt(decimals.length);
  const e = Number(m[3] ?? 0);
  if (e > 0) n *= 10n ** BigInt(e); else if (e < 0) d *= 10n ** BigInt(-e);
  return reduce({ n, d });
}

/** Lowest terms. */
function reduce(r: Rational): Rational {
  let a = r.n; let b = r.d;
  while (b !== 0n) [a, b] = [b, a % b];
  return a > 1n ? { n: r.n / a, d: r.d / a } : r;
}

/** Bernoulli(n/d), exactly, from a uniform integer below d. */
export function bernoulli(p: Rational, random: RandomSource): boolean {
  return uniformBigInt(random, p.d) < p.n;
}

/**
 * Bernoulli(exp(-γ)) for rational γ >= 0, exactly (Canonne, Kamath & Steinke 2020, Algorithm 1):
 * for γ <= 1 a von Neumann-style series, otherwise one Bernoulli(exp(-1)) per whole unit of γ.
 */
export function bernoulliExpNeg(gamma: Rational, random: RandomSource): boolean {
  if (gamma.n < 0n) throw new RangeError('gamma must be non-negative');
  if (gamma.n <= gamma.d) {
    let k = 1n;
    for (;;) {
      if (!bernoulli({ n: gamma.n, d: gamma.d * k }, random)) return k % 2n === 1n;
      k += 1n;
    }
  }
  const whole = gamma.n / gamma.d;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpNeg({ n: 1n, d: 1n }, random)) return false;
  return bernoulliExpNeg({ n: gamma.n - whole * gamma.d, d: gamma.d }, random);
}

/**
 * Discrete Laplace with scale t/s: P(z) ∝ exp(-|z| s / t), sampled exactly with integer
 * arithmetic (Canonne, Kamath & Steinke 2020, Algorithm 2); no floating point (Mironov 2012).
 */
export function sampleDiscreteLaplace(scale: Rational, random: RandomSource): bigint {
  const t = scale.n;
  const s = scale.d;
  if (t <= 0n || s <= 0n) throw new RangeError('scale must be positive');
  for (;;) {
    const u = uniformBigInt(random, t);
    if (!bernoulliExpNeg({ n: u, d: t }, random)) continue;
    let v = 0n;
    while (bernoulliExpNeg({ n: 1n, d: 1n }, random)) v += 1n;
    const x = u + t * v;
    const y = x / s;
    const negative = bernoulli({ n: 1n, d: 2n }, random);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * Discrete Gaussian with variance parameter σ² (rational): P(z) ∝ exp(-z² / 2σ²), exactly, by
 * rejection from a discrete Laplace (Canonne, Kamath & Steinke 2020, Algorithm 3).
 */
export function sampleDiscreteGaussian(sigma2: Rational, random: RandomSource): bigint {
  if (sigma2.n <= 0n) throw new RangeError('sigma² must be positive');
  let t = 1n;
  while (t * t * sigma2.d <= sigma2.n) t += 1n;
  for (;;) {
    const y = sampleDiscreteLaplace({ n: t, d: 1n }, random);
    const ay = y < 0n ? -y : y;
    const num = ay * t * sigma2.d - sigma2.n;
    const gamma = { n: num * num, d: 2n * sigma2.n * sigma2.d * t * t };
    if (bernoulliExpNeg(gamma, random)) return y;
  }
}

/** ε-DP count: true count + discrete Laplace noise of scale 1/ε (sensitivity 1). */
export function dpCount(count: number, epsilon: Rational, random: RandomSource): number {
  if (epsilon.n <= 0n) throw new PolicyError('epsilon must be positive');
  return count + Number(sampleDiscreteLaplace({ n: epsilon.d, d: epsilon.n }, random));
}

/**
 * ε-DP bounded sum: each value clamped to [lower, upper] on a grid of 10^-decimals, noise of scale
 * Δ/ε with Δ = max(|lower|, |upper|) (one record added or removed), all in integers.
 */
export function dpSum(values: readonly number[], lower: number, upper: number, epsilon: Rational, random: RandomSource, decimals = 0): number {
  if (!(lower <= upper)) throw new PolicyError('dp-sum needs lower <= upper');
  if (epsilon.n <= 0n) throw new PolicyError('epsilon must be positive');
  const f = 10 ** decimals;
  const lo = BigInt(Math.round(lower * f));
  const hi = BigInt(Math.round(upper * f));
  let sum = 0n;
  for (const v of values) {
    const x = BigInt(Math.round(v * f));
    sum += x < lo ? lo : x > hi ? hi : x;
  }
  const absLo = lo < 0n ? -lo : lo;
  const absHi = hi < 0n ? -hi : hi;
  const delta = absLo > absHi ? absLo : absHi;
  if (delta === 0n) return Number(sum) / f;
  const noise = sampleDiscreteLaplace({ n: delta * epsilon.d, d: epsilon.n }, random);
  return Number(sum + noise) / f;
}
