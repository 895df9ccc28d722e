import { appendAudit } from '../audit/audit.repository';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Role } from './actor';
import type { ActionContext } from './auth-context';
import { hashPassword } from './password';
import { authorize } from './policy';
import { randomSecret, secretHash } from './secrets';
import { deleteUserSessions } from './session.repository';
import { revokeUserTokens } from './token.repository';
import {
  consumePasswordLinks,
  countActiveAdmins,
  emailTaken,
  findPasswordLink,
  getUserById,
  insertPasswordLink,
  insertUser,
  listUsers,
  publisherNames,
  setUserPublishers,
  updateUser,
  type User,
} from './user.repository';

/** How long a password-set link works. */
export const passwordLinkHours = 72;

/** Path of a password-set link (the URL builder of the auth pages uses it too). */
export const passwordLinkPath = (token: string) => `/account/set-password/${token}`;

const audit = (ctx: ActionContext) => ({ actor: ctx.actor.id, requestId: ctx.requestId, client: ctx.client });

async function checkPublishers(db: Db, role: Role, publisherIds: number[]): Promise<number[]> {
  if (role !== 'steward') return [];
  if (!publisherIds.length) throw new ValidationError('Choose at least one publisher for a steward', { problems: [{ parameter: 'publishers', problem: 'Choose at least one publisher' }] });
  const known = new Set((await publisherNames(db)).map((p) => p.id));
  if (publisherIds.some((p) => !known.has(p))) throw new ValidationError('Unknown publisher', { problems: [{ parameter: 'publishers', problem: 'Unknown publisher' }] });
  return [...new Set(publisherIds)];
}

/**
 * A researcher registers themselves. The answer is the same whether or not the email is already
 * in use (the caller shows "check you can sign in"), so registration cannot enumerate accounts.
 */
export async function registerResearcher(db: Db, config: Config, ctx: ActionContext, input: { email: string; displayName: string; password: string }): Promise<void> {
  const passwordHash = await hashPassword(input.password, config.auth.argon2);
  await db.transaction(async (trx) => {
    if (await emailTaken(trx, input.email)) {
      await appendAudit(trx, { ...audit(ctx), action: 'user.registered', outcome: 'failure', details: { reason: 'email already registered' } });
      return;
    }
    const id = await insertUser(trx, { email: input.email, displayName: input.displayName, role: 'researcher', passwordHash, createdBy: 'self', publisherIds: [] });
    await appendAudit(trx, { ...audit(ctx), action: 'user.registered', objectType: 'user', objectId: id, details: { role: 'researcher' } });
  });
}

async function newPasswordLink(trx: Db | Parameters<Parameters<Db['transaction']>[0]>[0], userId: number, createdBy: string): Promise<string> {
  const token = randomSecret(32);
  const expiresAt = new Date(Date.now() + passwordLinkHours * 3600_000).toISOString();
  await insertPasswordLink(trx, { userId, tokenHash: secretHash(token), createdBy, expiresAt });
  return token;
}

/** An admin (or the CLI) creates an account; returns it with a one-time password-set link path. */
export async function createUser(
  db: Db,
  ctx: ActionContext,
  input: { email: string; displayName: string; role: Role; publisherIds: number[] },
): Promise<{ user: User; linkPath: string }> {
  authorize(ctx.actor, 'user:create', { type: 'system' });
  const publisherIds = await checkPublishers(db, input.role, input.publisherIds);
  const { id, token } = await db.transaction(async (trx) => {
    if (await emailTaken(trx, input.email)) throw new ConflictError('An account with this email address already exists', { problems: [{ parameter: 'email', problem: 'An account with this email address already exists' }] });
    const userId = await insertUser(trx, { email: input.email, displayName: input.displayName, role: input.role, passwordHash: null, createdBy: ctx.actor.id, publisherIds });
    const link = await newPasswordLink(trx, userId, ctx.actor.id);
    await appendAudit(trx, { ...audit(ctx), action: 'user.created', objectType: 'user', objectId: userId, details: { role: input.role, publishers: publisherIds } });
    return { id: userId, token: link };
  });
  return { user: (await getUserById(db, id))!, linkPath: passwordLinkPath(token) };
}

/** An admin issues a fresh password-set link (a lost link, a forgotten password). */
export async function issuePasswordLink(db: Db, ctx: ActionContext, userId: number): Promise<string> {
  authorize(ctx.actor, 'user:update', { type: 'user', id: userId });
  const user = await getUserById(db, userId);
  if (!user) throw new NotFoundError();
  const token = await db.transaction(async (trx) => {
    const t = await newPasswordLink(trx, userId, ctx.actor.id);
    await appendAudit(trx, { ...audit(ctx), action: 'user.updated', objectType: 'user', objectId: userId, details: { passwordLinkIssued: true } });
    return t;
  });
  return passwordLinkPath(token);
}

/** True when a password-set link is still usable (the page shows the form or "expired"). */
export async function passwordLinkValid(db: Db, token: string): Promise<boolean> {
  return (await findPasswordLink(db, secretHash(token), new Date().toISOString())) !== undefined;
}

/** Sets a password through a one-time link; ends the account's existing sessions. */
export async function setPasswordWithLink(db: Db, config: Config, ctx: ActionContext, token: string, password: string): Promise<number> {
  const passwordHash = await hashPassword(password, config.auth.argon2);
  return db.transaction(async (trx) => {
    const now = new Date().toISOString();
    const link = await findPasswordLink(trx, secretHash(token), now);
    if (!link) throw new NotFoundError('This link has expired or has already been used');
    await updateUser(trx, link.userId, { passwordHash }, now);
    await consumePasswordLinks(trx, link.userId, now);
    await deleteUserSessions(trx, link.userId);
    await appendAudit(trx, { ...audit(ctx), action: 'user.password_set', objectType: 'user', objectId: link.userId });
    return link.userId;
  });
}

/** A page of accounts for the admin pages. */
export async function listUsersFor(db: Db, ctx: ActionContext, q: { role?: Role; page: number; perPage: number }): Promise<{ users: User[]; total: number }> {
  authorize(ctx.actor, 'user:list', { type: 'system' });
  return listUsers(db, { role: q.role, offset: (q.page - 1) * q.perPage, limit: q.perPage });
}

/** One account, if the actor may see it. */
export async function getUserFor(db: Db, ctx: ActionContext, id: number): Promise<User> {
  authorize(ctx.actor, 'user:read', { type: 'user', id });
  const user = await getUserById(db, id);
  if (!user) throw new NotFoundError();
  return user;
}

/** Disables an account and, in the same transaction, ends its sessions and revokes its tokens. */
export async function disableUser(db: Db, ctx: ActionContext, id: number): Promise<void> {
  authorize(ctx.actor, 'user:disable', { type: 'user', id });
  if (ctx.actor.userId === id) throw new ConflictError('You cannot disable your own account');
  await db.transaction(async (trx) => {
    const user = await getUserById(trx, id);
    if (!user) throw new NotFoundError();
    if (user.disabled) return;
    const now = new Date().toISOString();
    await updateUser(trx, id, { disabled: true }, now);
    const sessions = await deleteUserSessions(trx, id);
    const tokens = await revokeUserTokens(trx, id, ctx.actor.id, now);
    await appendAudit(trx, { ...audit(ctx), action: 'user.disabled', objectType: 'user', objectId: id, details: { sessionsEnded: sessions, tokensRevoked: tokens } });
  });
}

/** Re-enables an account (its old tokens stay revoked). */
export async function enableUser(db: Db, ctx: ActionContext, id: number): Promise<void> {
  authorize(ctx.actor, 'user:disable', { type: 'user', id });
  await db.transaction(async (trx) => {
    const user = await getUserById(trx, id);
    if (!user) throw new NotFoundError();
    if (!user.disabled) return;
    await updateUser(trx, id, { disabled: false });
    await appendAudit(trx, { ...audit(ctx), action: 'user.enabled', objectType: 'user', objectId: id });
  });
}

/** Changes an account's role and the publishers it is scoped to ("re-scope"). */
export async function updateUserAccess(db: Db, ctx: ActionContext, id: number, input: { role: Role; publisherIds: number[] }): Promise<void> {
  authorize(ctx.actor, 'user:update', { type: 'user', id });
  const publisherIds = await checkPublishers(db, input.role, input.publisherIds);
  await db.transaction(async (trx) => {
    const user = await getUserById(trx, id);
    if (!user) throw new NotFoundError();
    if (ctx.actor.userId === id && input.role !== user.role) throw new ConflictError('You cannot change your own role');
    if (user.role === 'admin' && input.role !== 'admin' && !user.disabled && (await countActiveAdmins(trx)) <= 1) {
      throw new ConflictError('The last admin cannot be given another role');
    }
    await updateUser(trx, id, { role: input.role });
    await setUserPublishers(trx, id, publisherIds);
    // A change of role or scope applies to new requests at once: sessions and tokens read the account on every request.
    await appendAudit(trx, {
      ...audit(ctx),
      action: 'user.updated',
      objectType: 'user',
      objectId: id,
      details: { role: { from: user.role, to: input.role }, publishers: { from: user.publisherIds, to: publisherIds } },
    });
  });
}
