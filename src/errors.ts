/**
 * One error hierarchy for the whole application. Services throw these; the HTTP error handler
 * (src/http/middleware/error-handler.ts) and the CLI map them to a status or exit code. Messages
 * are written for the public: never put raw data values, SQL or file paths in them.
 */
export class AppError extends Error {
  /** HTTP status this error maps to. */
  readonly status: number;
  /** Stable machine-readable code for API clients. */
  readonly code: string;
  /** Optional structured details (field names, limits) safe to show to the caller. */
  readonly details?: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** 400: the request is malformed or a parameter is out of range. */
export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, 'invalid_request', message, details);
  }
}

/** 401: authentication is required or failed. */
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message);
  }
}

/** 403: authenticated but not allowed (only where revealing existence is harmless, e.g. CSRF). */
export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do that') {
    super(403, 'forbidden', message);
  }
}

/** 404: no such resource, or one the caller may not see (the two must be indistinguishable). */
export class NotFoundError extends AppError {
  constructor(message = 'Page not found') {
    super(404, 'not_found', message);
  }
}

/** 409: the request conflicts with the current state (duplicate slug, wrong workflow state). */
export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(409, 'conflict', message, details);
  }
}

/** 410: the resource existed but was withdrawn. */
export class GoneError extends AppError {
  constructor(message: string) {
    super(410, 'gone', message);
  }
}

/** 413: the request body or a field is larger than the configured limit. */
export class PayloadTooLargeError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(413, 'payload_too_large', message, details);
  }
}

/** 429: the caller exceeded a rate limit. */
export class RateLimitedError extends AppError {
  constructor(message = 'Too many requests, please slow down') {
    super(429, 'rate_limited', message);
  }
}

/** Configuration problems found at start-up; the CLI and main() print them and exit. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super('Invalid configuration:\n' + problems.map((p) => '  - ' + p).join('\n'));
    this.name = 'ConfigError';
  }
}
