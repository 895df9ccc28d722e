import { AppError } from '../errors';

/** Base of every error the privacy engine throws, so callers can map them to status 422 / exit 2. */
export class PrivacyError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>, status = 422) {
    super(status, code, message, details);
  }
}

/** A value that its column's hierarchy does not cover (names both, so a steward can fix the file). */
export class HierarchyValueMissingError extends PrivacyError {
  constructor(readonly column: string, readonly value: string) {
    super('hierarchy_value_missing', `Value "${value}" of column "${column}" is missing from its hierarchy`, { column, value });
  }
}

/** A hierarchy or generaliser specification that cannot be used (bad CSV, non-nesting levels, bad format). */
export class HierarchyError extends PrivacyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_hierarchy', message, details);
  }
}

/** A policy or parameter that fails validation before anything runs. */
export class PolicyError extends PrivacyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_policy', message, details, 400);
  }
}

/** A request no transformation can satisfy (e.g. k larger than the table, nothing admissible). */
export class InfeasibleRequestError extends PrivacyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('privacy_infeasible', message, details);
  }
}

/** A differentially private release that would take a dataset over its privacy budget. */
export class BudgetExceededError extends PrivacyError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('privacy_budget_exceeded', message, details, 409);
  }
}
