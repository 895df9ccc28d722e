import cookieParser from 'cookie-parser';
import type { Express } from 'express';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { accountApiRouter, accountRouter } from '../routes/account.routes';
import { adminRouter } from '../routes/admin.routes';
import { manageRouter } from '../routes/admin-manage.routes';
import { auditRouter } from '../routes/audit.routes';
import { authRouter } from '../routes/auth.routes';
import { authenticate, rejectInvalidCredentials, rejectTokensInUrl } from './auth.middleware';
import { createCsrf } from './csrf.middleware';
import { createRateLimiting } from './rate-limit.middleware';

/** Things an app holds open that its owner closes at shutdown (Redis connections). */
export type CloseHook = () => Promise<void>;

/**
 * Mounts accounts and auditing, in order: cookies → no tokens in URLs → who is calling (token or
 * session) → rate limit (per token, user or IP) → refuse bad tokens → CSRF for sessions → the
 * account, admin, steward and audit routes. Everything mounted after this sees `res.locals.actor`.
 * Registers a close hook in `app.locals.closeHooks`.
 */
export function mountAccounts(app: Express, deps: { db: Db; config: Config }): void {
  const { db, config } = deps;
  const csrf = createCsrf(config);
  const limits = createRateLimiting(config);
  ((app.locals.closeHooks ??= []) as CloseHook[]).push(limits.close);
  app.use(cookieParser());
  app.use(rejectTokensInUrl);
  app.use(authenticate({ db, config }));
  app.use(limits.requests);
  app.use(rejectInvalidCredentials);
  app.use(csrf.forSessions);
  const routeDeps = { db, config, csrf, limits };
  app.use(authRouter(routeDeps));
  app.use(accountRouter(routeDeps));
  app.use(accountApiRouter(routeDeps));
  app.use(adminRouter(routeDeps));
  app.use(manageRouter({ db, baseUrl: config.baseUrl }));
  app.use(auditRouter({ db, config }));
}

/** Runs an app's close hooks (tests and graceful shutdown). */
export async function closeApp(app: Express): Promise<void> {
  for (const hook of (app.locals.closeHooks ?? []) as CloseHook[]) await hook();
}
