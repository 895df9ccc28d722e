import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, NotFoundError } from '../../errors';

/** True when the client asked for JSON: API routes, `.json` twins and data feeds. */
export function wantsJson(req: Request): boolean {
  const p = req.path;
  return p.startsWith('/api/') || /\.(json|jsonld|ndjson)$/.test(p) || req.res?.locals.format === 'json';
}

/** 404 for anything no route answered. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError());
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Maps framework errors (body-parser, etc.) to the application's error shape. */
function normalise(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as HttpishError;
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const messages: Record<string, string> = {
      'entity.too.large': 'The request body is larger than the limit',
      'entity.parse.failed': 'The request body is not valid JSON',
      'parameters.too.many': 'The request has too many parameters',
      'encoding.unsupported': 'The request body encoding is not supported',
    };
    const message = (e.type && messages[e.type]) || (e.expose && e.message) || 'Bad request';
    return new AppError(status, e.type?.replace(/\./g, '_') ?? 'bad_request', message);
  }
  return new AppError(500, 'internal_error', 'Sorry, something went wrong on our side');
}

/**
 * The one place errors become responses: a JSON body `{ error: { code, message }, status }` for
 * API and `.json` URLs, an HTML page otherwise. Server errors are logged in full and shown only
 * as a generic message with the request id — never a stack trace, SQL or path.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appErr = normalise(err);
  if (appErr.status >= 500) req.log?.error({ err }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = String(req.id ?? '');
  res.status(appErr.status);
  if (appErr.status === 429 && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '60');
  if (wantsJson(req)) {
    res.json({
      error: { code: appErr.code, message: appErr.message, ...(appErr.details ? { details: appErr.details } : {}) },
      status: appErr.status,
      requestId,
    });
    return;
  }
  const problems = Array.isArray(appErr.details?.problems) ? appErr.details.problems : [];
  res.render('error', { title: titleFor(appErr.status), status: appErr.status, message: appErr.message, requestId, problems });
};

function titleFor(status: number): string {
  if (status === 404) return 'Page not found';
  if (status === 410) return 'This data has been withdrawn';
  if (status === 429) return 'Too many requests';
  if (status >= 500) return 'Sorry, there is a problem with the service';
  if (status === 401 || status === 403) return 'You cannot do that';
  return 'There is a problem with your request';
}
