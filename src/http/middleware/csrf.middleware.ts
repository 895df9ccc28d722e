import crypto from 'node:crypto';
import { doubleCsrf } from 'csrf-csrf';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../../config';
import { ForbiddenError } from '../../errors';
import { currentActor } from './auth.middleware';
import { isHttps, readSessionCookie } from './session.middleware';

/** Largest urlencoded form body accepted. */
export const formBodyLimit = '64kb';

const unsafe = (req: Request) => !['GET', 'HEAD', 'OPTIONS'].includes(req.method);

/** CSRF protection and the helpers forms use. */
export interface CsrfKit {
  /** Global: parses urlencoded forms and checks the token on every unsafe request made with a session cookie. */
  forSessions: RequestHandler;
  /** Per route: checks the token whether or not a session exists (sign-in, register, set password). */
  always: RequestHandler;
  /** The token for a form's hidden `_csrf` input (sets the cookie half of the double submit). */
  token(req: Request, res: Response): string;
}

/**
 * Double-submit CSRF protection (csrf-csrf): a random value, HMAC-bound to the session, sent both
 * as a cookie (`__Host-` over HTTPS, SameSite=Strict, HttpOnly) and in the form's hidden `_csrf`
 * input or an `X-CSRF-Token` header. Requests authenticated by an API token carry no ambient
 * credentials and need no CSRF token. A missing or wrong token is a 403.
 */
export function createCsrf(config: Config): CsrfKit {
  const secret = crypto.createHmac('sha256', config.secret).update('plaza csrf').digest('hex');
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => (req.res?.locals.sessionId as string | undefined) ?? '',
    cookieName: isHttps(config) ? '__Host-plaza_csrf' : 'plaza_csrf',
    cookieOptions: { sameSite: 'strict', secure: isHttps(config), httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      const fromBody = body && typeof body === 'object' ? body._csrf : undefined;
      return typeof fromBody === 'string' ? fromBody : (req.headers['x-csrf-token'] as string | undefined);
    },
  });
  const refuse = () =>
    new ForbiddenError('This form has expired or was not sent from this website. Go back, reload the page and try again.');
  const check: RequestHandler = (req, _res, next) => (validateRequest(req) ? next() : next(refuse()));
  const parseForm = express.urlencoded({ extended: false, limit: formBodyLimit, parameterLimit: 200 });

  const forSessions: RequestHandler = (req, res, next) => {
    const memo: { token?: string } = {};
    res.locals.csrfToken = () => (memo.token ??= generateCsrfToken(req, res));
    if (!unsafe(req)) return next();
    const actor = currentActor(res);
    if (actor.kind === 'token') return next();
    if (actor.kind !== 'user' && !readSessionCookie(req, config)) return next();
    parseForm(req, res, (err?: unknown) => (err ? next(err) : check(req, res, next)));
  };
  const always: RequestHandler = (req, res, next) => {
    if (!unsafe(req)) return next();
    parseForm(req, res, (err?: unknown) => (err ? next(err) : check(req, res, next)));
  };
  return { forSessions, always, token: (req, res) => generateCsrfToken(req, res) };
}
