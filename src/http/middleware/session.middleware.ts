import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../../config';

/**
 * The session cookie. Over HTTPS it is `__Host-`-prefixed (Secure, Path=/, no Domain: no
 * subdomain can set or shadow it); always HttpOnly and SameSite=Lax. It holds only a random id;
 * the session lives in the database, keyed by the id's hash.
 */
export function sessionCookieName(config: Config): string {
  return isHttps(config) ? '__Host-plaza_session' : 'plaza_session';
}

/** True when the deployment is served over HTTPS (cookies become Secure and `__Host-`). */
export function isHttps(config: Config): boolean {
  return config.baseUrl.startsWith('https:');
}

function cookieOptions(config: Config): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: isHttps(config), path: '/' };
}

/** The raw session id the client presented, if any. */
export function readSessionCookie(req: Request, config: Config): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[sessionCookieName(config)];
  return typeof value === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
}

/** Sets the session cookie (a session cookie: it ends with the browser; the server enforces expiry). */
export function setSessionCookie(res: Response, config: Config, sessionId: string): void {
  res.cookie(sessionCookieName(config), sessionId, cookieOptions(config));
}

/** Clears the session cookie. */
export function clearSessionCookie(res: Response, config: Config): void {
  res.clearCookie(sessionCookieName(config), cookieOptions(config));
}
