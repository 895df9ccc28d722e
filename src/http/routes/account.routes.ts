import express, { Router } from 'express';
import { createTokenInput, idParam } from '../../auth/auth.schemas';
import { authorize } from '../../auth/policy';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/token.service';
import type { ApiToken } from '../../auth/token.repository';
import { getUserById } from '../../auth/user.repository';
import { NotFoundError } from '../../errors';
import { page } from '../page';
import { absolute } from '../urls';
import { parseInput } from '../validate';
import { actionContext, currentActor, requireSignedIn } from '../middleware/auth.middleware';
import { checkForm } from '../middleware/auth-forms';
import type { AuthRouteDeps } from './auth.routes';

/** A token as pages and APIs show it (never the secret or its hash). */
export function tokenJson(t: ApiToken) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
    status: t.revokedAt ? 'revoked' : Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active',
  };
}

/** The signed-in user's own pages: account overview and API tokens. */
export function accountRouter(deps: AuthRouteDeps): Router {
  const { db, config } = deps;
  const router = Router();
  router.use(['/account', '/account.json'], (req, res, next) => (req.path.startsWith('/set-password/') ? next() : requireSignedIn(req, res, next)));

  page(router, '/account', async (_req, res) => {
    const actor = currentActor(res);
    authorize(actor, 'account:read', { type: 'user', id: actor.userId ?? -1 });
    const user = await getUserById(db, actor.userId!);
    if (!user) throw new NotFoundError();
    return {
      view: 'account/index',
      title: 'Your account',
      locals: { user },
      json: { id: user.id, email: user.email, displayName: user.displayName, role: user.role, publisherIds: user.publisherIds, lastLoginAt: user.lastLoginAt, authenticatedBy: actor.kind },
    };
  });

  const tokensPage = async (res: express.Response, extra: Record<string, unknown> = {}) => {
    const actor = currentActor(res);
    const tokens = await listApiTokens(db, actor, actor.userId ?? -1);
    return { tokens, ...extra };
  };

  page(router, '/account/tokens', async (req, res) => {
    const locals = await tokensPage(res);
    return {
      view: 'account/tokens',
      title: 'API tokens',
      locals: { ...locals, errors: [], values: { expiresInDays: 90, scopes: ['read'] }, apiBase: absolute(config.baseUrl, '/api/v1') },
      json: { tokens: locals.tokens.map(tokenJson) },
    };
  });

  router.post('/account/tokens', async (req, res) => {
    const form = checkForm(createTokenInput, req.body);
    if (!form.ok) {
      const locals = await tokensPage(res);
      return res.status(400).render('account/tokens', { title: 'API tokens', ...locals, errors: form.errors, values: form.values, apiBase: absolute(config.baseUrl, '/api/v1') });
    }
    const { token, record } = await createApiToken(db, actionContext(req, res, config), form.data);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).render('account/token-created', { title: 'Your new API token', token, record: tokenJson(record), apiBase: absolute(config.baseUrl, '/api/v1') });
  });

  router.post('/account/tokens/:id/revoke', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    await revokeApiToken(db, actionContext(req, res, config), id);
    res.redirect(303, '/account/tokens');
  });

  return router;
}

/** `/api/v1/manage/tokens`: list, create and revoke API tokens with a token (or a session + X-CSRF-Token). */
export function accountApiRouter(deps: AuthRouteDeps): Router {
  const { db, config } = deps;
  const router = Router();
  router.use('/api/v1/manage', requireSignedIn);
  const json = express.json({ limit: '16kb' });

  router.get('/api/v1/manage/tokens', async (req, res) => {
    const actor = currentActor(res);
    const userId = req.query.user === undefined ? actor.userId ?? -1 : parseInput(idParam, req.query.user, 'query');
    const tokens = await listApiTokens(db, actor, userId);
    res.json({ tokens: tokens.map(tokenJson) });
  });

  router.post('/api/v1/manage/tokens', json, async (req, res) => {
    const input = parseInput(createTokenInput, req.body ?? {}, 'body');
    const { token, record } = await createApiToken(db, actionContext(req, res, config), input);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ token, ...tokenJson(record), note: 'This is the only time the token is shown. Send it as "Authorization: Bearer <token>".' });
  });

  router.delete('/api/v1/manage/tokens/:id', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    const record = await revokeApiToken(db, actionContext(req, res, config), id);
    res.json(tokenJson(record));
  });

  return router;
}
