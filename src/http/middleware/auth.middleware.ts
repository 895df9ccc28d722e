import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { anonymousActor, clientRef, type Actor } from '../../auth/actor';
import type { ActionContext } from '../../auth/auth-context';
import { resolveSession } from '../../auth/session.service';
import { resolveBearer, tokenPrefix } from '../../auth/token.service';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { UnauthorizedError, ValidationError } from '../../errors';
import { wantsJson } from './error-handler';
import { clearSessionCookie, readSessionCookie } from './session.middleware';

/** Query parameters that look like credentials; a request carrying one is refused. */
export const credentialQueryParams = ['token', 'access_token', 'api_key', 'apikey', 'api-key'];

/**
 * Refuses API tokens in URLs with a 400 that says why: URLs end up in server and proxy logs,
 * browser history and Referer headers. Tokens are accepted only in `Authorization: Bearer`.
 */
export const rejectTokensInUrl: RequestHandler = (req, _res, next) => {
  const keys = Object.keys((req.query ?? {}) as Record<string, unknown>).map((k) => k.toLowerCase());
  const found = credentialQueryParams.find((p) => keys.includes(p));
  if (found) {
    next(
      new ValidationError(
        `Do not put API tokens in the address (found "${found}="). Send the token in the Authorization header instead: ` +
          '"Authorization: Bearer plz_…". Addresses are kept in logs and browser history, so if this was a real token, revoke it and create a new one.',
        { in: 'query', parameter: found },
      ),
    );
    return;
  }
  next();
};

/**
 * Works out who is calling: an API token (`Authorization: Bearer plz_…`) or a session cookie,
 * else anonymous. A bad `plz_` token is remembered and refused after rate limiting
 * (rejectInvalidCredentials), so guessing tokens is rate limited too. Other Authorization schemes
 * (device tokens of sensor streams) are left to the routes that understand them.
 */
export function authenticate(deps: { db: Db; config: Config }): RequestHandler {
  const { db, config } = deps;
  return async (req, res, next) => {
    res.locals.actor = anonymousActor;
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (bearer?.startsWith(tokenPrefix)) {
      const actor = await resolveBearer(db, bearer);
      if (actor) {
        res.locals.actor = actor;
        res.setHeader('Cache-Control', 'private, no-cache');
      } else res.locals.authError = 'The API token is not valid: it may be mistyped, expired or revoked';
      next();
      return;
    }
    const sessionId = readSessionCookie(req, config);
    if (sessionId) {
      const actor = await resolveSession(db, config, sessionId);
      if (actor) {
        res.locals.actor = actor;
        res.locals.sessionId = sessionId;
        // Pages for a signed-in user (even public ones, with their header) must not be shared by caches.
        res.setHeader('Cache-Control', 'private, no-cache');
      } else {
        clearSessionCookie(res, config);
      }
    }
    next();
  };
}

/** Answers 401 for a request that presented a bad API token. */
export const rejectInvalidCredentials: RequestHandler = (_req, res, next) => {
  const problem = res.locals.authError as string | undefined;
  if (!problem) return next();
  res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
  next(new UnauthorizedError(problem));
};

/** The current actor (anonymous when nobody signed in). */
export function currentActor(res: Response): Actor {
  return (res.locals.actor as Actor | undefined) ?? anonymousActor;
}

/** Authorization and audit context of a request. */
export function actionContext(req: Request, res: Response, config: Config): ActionContext {
  const actor = currentActor(res);
  return { actor, requestId: req.id === undefined ? null : String(req.id), client: clientRef(req, actor, config.secret) };
}

/**
 * For pages that need an account: anonymous callers are sent to sign in (pages) or get 401
 * (JSON and API), before any lookup, so the answer says nothing about what exists.
 */
export const requireSignedIn: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (currentActor(res).kind !== 'anonymous') return next();
  // Routers mounted on a path see a shortened req.path, so judge by the full URL.
  const path = req.originalUrl.split('?')[0];
  const machine = wantsJson(req) || path.startsWith('/api/') || /\.(json|jsonl|ndjson|csv|pem)$/.test(path);
  if (machine || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError('Sign in or send an API token (Authorization: Bearer plz_…)'));
    return;
  }
  res.redirect(303, '/sign-in?next=' + encodeURIComponent(req.originalUrl.slice(0, 1000)));
};
