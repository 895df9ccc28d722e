import type { RequestHandler } from 'express';
import { AppError } from '../../errors';

/** Longest URL the portal accepts; longer ones get 414 before any route runs. */
export const maxUrlLength = 4096;
/** Most query parameters one request may carry. */
export const maxQueryParams = 100;

/** Rejects over-long URLs and over-long query strings with a clear 4xx. */
export const requestLimits: RequestHandler = (req, _res, next) => {
  if (req.originalUrl.length > maxUrlLength) {
    next(new AppError(414, 'uri_too_long', `The address is longer than ${maxUrlLength} characters`));
    return;
  }
  next();
};

/** Express query parser with a cap on the number of parameters (flat: no nested objects). */
export function parseQueryString(qs: string): Record<string, string | string[]> {
  const params = new URLSearchParams(qs);
  const out: Record<string, string | string[]> = Object.create(null);
  let n = 0;
  for (const [k, v] of params) {
    if (++n > maxQueryParams) {
      throw new AppError(400, 'too_many_parameters', `The address has more than ${maxQueryParams} query parameters`);
    }
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}
