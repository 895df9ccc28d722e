import crypto from 'node:crypto';
import { rateLimit, type Options, type Store } from 'express-rate-limit';
import type { Request, RequestHandler, Response } from 'express';
import { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Config } from '../../config';
import { RateLimitedError } from '../../errors';
import { currentActor } from './auth.middleware';

/** Window of the sign-in throttles. */
export const loginWindowMs = 15 * 60_000;

/** The rate limiters of one app instance. */
export interface RateLimiting {
  /** Per API token, per user, or per IP for anonymous clients: requests per minute. */
  requests: RequestHandler;
  /** Failed sign-ins per IP and per account (email), in a 15-minute window. */
  loginByIp: RequestHandler;
  loginByAccount: RequestHandler;
  /** Marks a sign-in as successful so it does not count against the throttles. */
  succeeded(res: Response): void;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/**
 * express-rate-limit with a Redis store when REDIS_URL is set (counts shared by every app
 * instance), in memory otherwise. Exceeding a limit answers 429 with Retry-After.
 */
export function createRateLimiting(config: Config): RateLimiting {
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true }) : undefined;
  const store = (name: string): Store | undefined =>
    redis
      ? new RedisStore({
          prefix: `${config.auth.redisPrefix}rl:${name}:`,
          sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
        })
      : undefined;
  const common = (name: string, message: string): Partial<Options> => ({
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: store(name),
    passOnStoreError: false,
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (_req, _res, next) => next(new RateLimitedError(message)),
  });
  const ip = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

  const requests = rateLimit({
    ...common('req', 'Too many requests, please slow down'),
    windowMs: 60_000,
    limit: (_req, res) => {
      const actor = currentActor(res);
      if (actor.kind === 'token') return config.auth.rateLimitToken;
      if (actor.kind === 'user') return config.auth.rateLimitUser;
      return config.auth.rateLimitAnonymous;
    },
    keyGenerator: (req, res) => {
      const actor = currentActor(res);
      if (actor.kind === 'token') return `t:${actor.tokenId}`;
      if (actor.kind === 'user') return `u:${actor.userId}`;
      return `ip:${ip(req)}`;
    },
  });
  const loginMessage = 'Too many sign-in attempts. Wait 15 minutes, then try again.';
  const loginOptions = {
    windowMs: loginWindowMs,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req: Request, res: Response) => res.locals.signInSucceeded === true,
  };
  const loginByIp = rateLimit({
    ...common('login-ip', loginMessage),
    ...loginOptions,
    limit: config.auth.loginMaxPerIp,
    keyGenerator: (req) => ip(req),
  });
  const loginByAccount = rateLimit({
    ...common('login-account', loginMessage),
    ...loginOptions,
    limit: config.auth.loginMaxPerAccount,
    // Keyed by the email typed, whether or not such an account exists (no enumeration), hashed so
    // the store holds no addresses.
    keyGenerator: (req) => {
      const email = (req.body as Record<string, unknown> | undefined)?.email;
      const normalised = typeof email === 'string' ? email.trim().toLowerCase() : '';
      return crypto.createHash('sha256').update(normalised).digest('hex');
    },
  });
  return {
    requests,
    loginByIp,
    loginByAccount,
    succeeded: (res) => {
      res.locals.signInSucceeded = true;
    },
    close: async () => {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
