import { Router } from 'express';
import { z } from 'zod';
import { anonymousActor, clientRef } from '../../auth/actor';
import { registerForm, setPasswordForm, signInForm } from '../../auth/auth.schemas';
import { signIn, signOut } from '../../auth/session.service';
import { passwordLinkValid, registerResearcher, setPasswordWithLink } from '../../auth/user.service';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { NotFoundError } from '../../errors';
import { actionContext, currentActor } from '../middleware/auth.middleware';
import { checkForm, safeNext } from '../middleware/auth-forms';
import type { CsrfKit } from '../middleware/csrf.middleware';
import type { RateLimiting } from '../middleware/rate-limit.middleware';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from '../middleware/session.middleware';

/** What the account routers need. */
export interface AuthRouteDeps {
  db: Db;
  config: Config;
  csrf: CsrfKit;
  limits: RateLimiting;
}

const linkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** Sign in, sign out, researcher registration and one-time password links. */
export function authRouter(deps: AuthRouteDeps): Router {
  const { db, config, csrf, limits } = deps;
  const router = Router();

  router.get('/sign-in', (req, res) => {
    if (currentActor(res).kind === 'user') return res.redirect(303, safeNext(req.query.next, '/account'));
    res.render('auth/sign-in', { title: 'Sign in', csrf: csrf.token(req, res), errors: [], values: { next: typeof req.query.next === 'string' ? req.query.next : '' } });
  });

  router.post('/sign-in', csrf.always, limits.loginByIp, limits.loginByAccount, async (req, res) => {
    const form = checkForm(signInForm, req.body);
    const failed = (errors: Array<{ field: string; text: string; href: string }>, values: Record<string, unknown>) =>
      res.status(401).render('auth/sign-in', { title: 'Sign in', csrf: csrf.token(req, res), errors, values });
    if (!form.ok) return failed(form.errors, form.values);
    // Failures are recorded as anonymous (hashed address); a success under the user (plain address).
    const ctx = {
      actor: anonymousActor,
      requestId: actionContext(req, res, config).requestId,
      client: clientRef(req, anonymousActor, config.secret),
      userClient: clientRef(req, { kind: 'user', id: 'user' }, config.secret),
    };
    const result = await signIn(db, config, ctx, {
      email: form.data.email,
      password: form.data.password,
      previousSessionId: readSessionCookie(req, config),
    });
    if (!result) {
      return failed([{ field: 'email', text: 'Enter a correct email address and password', href: '#email' }], { email: form.data.email, next: form.data.next });
    }
    limits.succeeded(res);
    setSessionCookie(res, config, result.sessionId);
    res.redirect(303, safeNext(form.data.next, '/account'));
  });

  router.get('/sign-out', (req, res) => {
    if (currentActor(res).kind !== 'user') return res.redirect(303, '/');
    res.render('auth/sign-out', { title: 'Sign out', csrf: csrf.token(req, res) });
  });

  router.post('/sign-out', csrf.always, async (req, res) => {
    const sessionId = res.locals.sessionId as string | undefined;
    if (sessionId) await signOut(db, actionContext(req, res, config), sessionId);
    clearSessionCookie(res, config);
    res.redirect(303, '/');
  });

  router.get('/register', (req, res) => {
    res.render('auth/register', { title: 'Create a researcher account', csrf: csrf.token(req, res), errors: [], values: {} });
  });

  router.post('/register', csrf.always, async (req, res) => {
    const form = checkForm(registerForm, req.body);
    if (!form.ok) {
      return res.status(400).render('auth/register', { title: 'Create a researcher account', csrf: csrf.token(req, res), errors: form.errors, values: form.values });
    }
    await registerResearcher(db, config, actionContext(req, res, config), form.data);
    res.render('auth/registered', { title: 'Check you can sign in' });
  });

  const findLink = async (token: string) => {
    const parsed = linkToken.safeParse(token);
    if (!parsed.success || !(await passwordLinkValid(db, parsed.data))) throw new NotFoundError('This link has expired or has already been used. Ask an administrator for a new one.');
    return parsed.data;
  };

  router.get('/account/set-password/:token', async (req, res) => {
    await findLink(String(req.params.token));
    res.render('auth/set-password', { title: 'Set your password', csrf: csrf.token(req, res), errors: [], action: req.originalUrl.split('?')[0] });
  });

  router.post('/account/set-password/:token', csrf.always, async (req, res) => {
    const token = await findLink(String(req.params.token));
    const form = checkForm(setPasswordForm, req.body);
    if (!form.ok) {
      return res.status(400).render('auth/set-password', { title: 'Set your password', csrf: csrf.token(req, res), errors: form.errors, action: req.originalUrl.split('?')[0] });
    }
    await setPasswordWithLink(db, config, actionContext(req, res, config), token, form.data.password);
    res.render('auth/password-set', { title: 'Your password has been set' });
  });

  return router;
}
