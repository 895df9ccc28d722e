import { BudgetExceededError, PolicyError } from './privacy.errors';
import { toRational, type Rational } from './dp.mechanism';

/** A dataset's privacy budget under sequential composition: total ε and what releases have spent. */
export interface PrivacyBudget {
  total: string;
  spent: { release: string; epsilon: string }[];
}

/** Exact sum of rationals. */
function add(a: Rational, b: Rational): Rational {
  return { n: a.n * b.d + b.n * a.d, d: a.d * b.d };
}

/** Remaining ε as a number (for display); the check itself is exact. */
export function remainingEpsilon(budget: PrivacyBudget): number {
  const spent = budget.spent.reduce((acc, s) => add(acc, toRational(s.epsilon)), { n: 0n, d: 1n });
  const total = toRational(budget.total);
  return Number(total.n * spent.d - spent.n * total.d) / Number(total.d * spent.d);
}

/**
 * Records a release's ε against a budget, refusing (BudgetExceededError) when the sum of all
 * releases would exceed the total: sequential composition, exact rational arithmetic. Pure:
 * returns a new budget.
 */
export function spendBudget(budget: PrivacyBudget, release: string, epsilon: number | string): PrivacyBudget {
  const eps = toRational(epsilon);
  if (eps.n <= 0n) throw new PolicyError('epsilon must be positive');
  if (budget.spent.some((s) => s.release === release)) throw new PolicyError(`Release "${release}" has already spent budget`);
  const spent = budget.spent.reduce((acc, s) => add(acc, toRational(s.epsilon)), eps);
  const total = toRational(budget.total);
  if (spent.n * total.d > total.n * spent.d) {
    throw new BudgetExceededError(`Release "${release}" needs ε = ${String(epsilon)} but only ${remainingEpsilon(budget)} of the dataset's ε = ${budget.total} remains`, { release });
  }
  return { total: budget.total, spent: [...budget.spent, { release, epsilon: String(epsilon) }] };
}

/**
 * The ε each differentially private step of a policy spends, in step order (empty when the
 * policy has none). Reads stored policy JSON defensively: anything that is not a DP step is ignored.
 */
export function policyEpsilons(policy: unknown): string[] {
  const steps = (policy as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s: unknown) => {
    const step = s as { op?: unknown; epsilon?: unknown } | null;
    const dp = step?.op === 'dp-counts' || step?.op === 'dp-sum';
    return dp && (typeof step.epsilon === 'number' || typeof step.epsilon === 'string') ? [String(step.epsilon)] : [];
  });
}
