import { Router } from 'express';
import { accessForm, createUserForm, idParam, usersQuery } from '../../auth/auth.schemas';
import { roles } from '../../auth/actor';
import { listApiTokens, revokeApiToken } from '../../auth/token.service';
import { publisherNames, type User } from '../../auth/user.repository';
import { createUser, disableUser, enableUser, getUserFor, issuePasswordLink, listUsersFor, updateUserAccess } from '../../auth/user.service';
import { withQuery } from '../urls';
import { page } from '../page';
import { absolute } from '../urls';
import { parseInput } from '../validate';
import { actionContext, requireSignedIn } from '../middleware/auth.middleware';
import { checkForm, fieldErrorsOf } from '../middleware/auth-forms';
import { tokenJson } from './account.routes';
import type { AuthRouteDeps } from './auth.routes';

/** Accounts per page in the admin list. */
export const usersPerPage = 50;

function userJson(u: User) {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    role: u.role,
    disabled: u.disabled,
    passwordSet: u.hasPassword,
    publisherIds: u.publisherIds,
    createdBy: u.createdBy,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
  };
}

/** Admin pages: list, create, disable/enable and re-scope accounts; revoke anyone's tokens. */
export function adminRouter(deps: AuthRouteDeps): Router {
  const { db, config } = deps;
  const router = Router();
  router.use('/admin', requireSignedIn);

  page(router, '/admin/users', async (req, res) => {
    const q = parseInput(usersQuery, req.query);
    const ctx = actionContext(req, res, config);
    const { users, total } = await listUsersFor(db, ctx, { role: q.role, page: q.page, perPage: usersPerPage });
    const publishers = await publisherNames(db);
    const pages = Math.max(1, Math.ceil(total / usersPerPage));
    return {
      view: 'admin/users',
      title: 'Users',
      locals: { users, total, q, pages, roles, publishers, hrefFor: (n: number) => withQuery('/admin/users', { role: q.role, page: n }) },
      json: { total, page: q.page, pages, users: users.map(userJson) },
    };
  });

  const renderNew = async (res: Parameters<Parameters<Router['get']>[1]>[1], status: number, errors: unknown[], values: Record<string, unknown>) => {
    res.status(status).render('admin/user-new', { title: 'Create an account', roles, publishers: await publisherNames(db), errors, values });
  };

  router.get('/admin/users/new', async (req, res) => {
    await listUsersFor(db, actionContext(req, res, config), { page: 1, perPage: 1 });
    await renderNew(res, 200, [], { role: 'steward', publishers: [] });
  });

  router.post('/admin/users', async (req, res) => {
    const ctx = actionContext(req, res, config);
    await listUsersFor(db, ctx, { page: 1, perPage: 1 });
    const form = checkForm(createUserForm, req.body);
    if (!form.ok) return renderNew(res, 400, form.errors, form.values);
    try {
      const { user, linkPath } = await createUser(db, ctx, { ...form.data, publisherIds: form.data.publishers });
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).render('admin/user-created', { title: 'Account created', user, link: absolute(config.baseUrl, linkPath) });
    } catch (err) {
      const errors = fieldErrorsOf(err);
      if (!errors) throw err;
      await renderNew(res, 400, errors, { ...form.data });
    }
  });

  page(router, '/admin/users/:id', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    const ctx = actionContext(req, res, config);
    const user = await getUserFor(db, ctx, id);
    const tokens = await listApiTokens(db, ctx.actor, id);
    const publishers = await publisherNames(db);
    return {
      view: 'admin/user',
      title: user.email,
      locals: { user, tokens: tokens.map(tokenJson), publishers, roles, errors: [], self: ctx.actor.userId === user.id },
      json: { ...userJson(user), tokens: tokens.map(tokenJson) },
    };
  });

  router.post('/admin/users/:id/access', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    const ctx = actionContext(req, res, config);
    const user = await getUserFor(db, ctx, id);
    const form = checkForm(accessForm, req.body);
    try {
      if (!form.ok) throw form;
      await updateUserAccess(db, ctx, id, { role: form.data.role, publisherIds: form.data.publishers });
      res.redirect(303, `/admin/users/${id}`);
    } catch (err) {
      const errors = 'errors' in (err as object) ? (err as { errors: unknown[] }).errors : fieldErrorsOf(err);
      if (!errors) throw err;
      const tokens = await listApiTokens(db, ctx.actor, id);
      res.status(400).render('admin/user', { title: user.email, user, tokens: tokens.map(tokenJson), publishers: await publisherNames(db), roles, errors, self: ctx.actor.userId === user.id });
    }
  });

  router.post('/admin/users/:id/disable', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    await disableUser(db, actionContext(req, res, config), id);
    res.redirect(303, `/admin/users/${id}`);
  });

  router.post('/admin/users/:id/enable', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    await enableUser(db, actionContext(req, res, config), id);
    res.redirect(303, `/admin/users/${id}`);
  });

  router.post('/admin/users/:id/password-link', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    const ctx = actionContext(req, res, config);
    const user = await getUserFor(db, ctx, id);
    const linkPath = await issuePasswordLink(db, ctx, id);
    res.setHeader('Cache-Control', 'no-store');
    res.render('admin/user-created', { title: 'New password link', user, link: absolute(config.baseUrl, linkPath), reissued: true });
  });

  router.post('/admin/users/:id/tokens/:tokenId/revoke', async (req, res) => {
    const id = parseInput(idParam, req.params.id, 'path');
    const tokenId = parseInput(idParam, req.params.tokenId, 'path');
    const ctx = actionContext(req, res, config);
    await getUserFor(db, ctx, id);
    await revokeApiToken(db, ctx, tokenId);
    res.redirect(303, `/admin/users/${id}`);
  });

  return router;
}
