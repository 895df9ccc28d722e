import { appendAudit } from '../audit/audit.repository';
import type { Db } from '../db/knex';
import { NotFoundError, ValidationError } from '../errors';
import type { Actor } from './actor';
import type { ActionContext } from './auth-context';
import { authorize, type TokenScope } from './policy';
import { randomSecret, secretHash } from './secrets';
import { findActiveToken, getToken, insertToken, listTokens, revokeToken, touchToken, type ApiToken } from './token.repository';

/** Every API token starts with this, so leaked tokens are easy to recognise (and to scan for). */
export const tokenPrefix = 'plz_';
/** Shape of a token: the prefix and 43 base64url characters (256 random bits). */
export const tokenPattern = /^plz_[A-Za-z0-9_-]{43}$/;
/** Longest and default token lifetimes, in days. */
export const maxTokenDays = 365;
export const defaultTokenDays = 90;

/** Creates a token for the acting user (never another: the owner comes from the session, not the body). Shown once. */
export async function createApiToken(
  db: Db,
  ctx: ActionContext,
  input: { name: string; scopes: TokenScope[]; expiresInDays: number },
): Promise<{ token: string; record: ApiToken }> {
  const userId = ctx.actor.userId;
  if (userId === undefined) throw new NotFoundError();
  authorize(ctx.actor, 'token:create', { type: 'token', userId });
  if (ctx.actor.kind === 'token' && input.scopes.some((s) => !(ctx.actor.scopes ?? []).includes(s))) {
    throw new ValidationError('A token cannot create a token with scopes it does not have itself', { problems: [{ parameter: 'scopes', problem: 'exceeds the scopes of the token used' }] });
  }
  const token = tokenPrefix + randomSecret(32);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString();
  const scopes = [...new Set(input.scopes)].sort();
  const id = await db.transaction(async (trx) => {
    const tokenId = await insertToken(trx, { userId, name: input.name, tokenHash: secretHash(token), prefix: token.slice(0, 10), scopes, createdBy: ctx.actor.id, expiresAt }, now.toISOString());
    await appendAudit(trx, {
      actor: ctx.actor.id,
      requestId: ctx.requestId,
      client: ctx.client,
      action: 'token.created',
      objectType: 'token',
      objectId: tokenId,
      details: { owner: userId, name: input.name, scopes, expiresAt },
    });
    return tokenId;
  });
  return { token, record: (await getToken(db, id))! };
}

/** A user's tokens, for the user themselves or an admin. */
export async function listApiTokens(db: Db, actor: Actor, userId: number): Promise<ApiToken[]> {
  authorize(actor, 'token:list', { type: 'token', userId });
  return listTokens(db, userId);
}

/** Revokes a token; unknown tokens and other people's tokens are both "not found". */
export async function revokeApiToken(db: Db, ctx: ActionContext, tokenId: number): Promise<ApiToken> {
  return db.transaction(async (trx) => {
    const token = await getToken(trx, tokenId);
    if (!token) throw new NotFoundError('Token not found');
    authorize(ctx.actor, 'token:revoke', { type: 'token', userId: token.userId }, 'Token not found');
    if (!token.revokedAt) {
      await revokeToken(trx, tokenId, ctx.actor.id, new Date().toISOString());
      await appendAudit(trx, { actor: ctx.actor.id, requestId: ctx.requestId, client: ctx.client, action: 'token.revoked', objectType: 'token', objectId: tokenId, details: { owner: token.userId } });
    }
    return (await getToken(trx, tokenId))!;
  });
}

/** The actor behind a bearer token, or undefined when it is malformed, unknown, expired, revoked or its owner disabled. */
export async function resolveBearer(db: Db, token: string): Promise<Actor | undefined> {
  if (!tokenPattern.test(token)) return undefined;
  const now = new Date();
  const t = await findActiveToken(db, secretHash(token), now.toISOString());
  if (!t || t.disabled) return undefined;
  if (!t.lastUsedAt || now.getTime() - Date.parse(t.lastUsedAt) > 60_000) await touchToken(db, t.id, now.toISOString());
  return {
    kind: 'token',
    id: `token:${t.id}`,
    userId: t.userId,
    role: t.role,
    publisherIds: t.role === 'steward' ? t.publisherIds : [],
    scopes: t.scopes,
    email: t.email,
    displayName: t.displayName,
    tokenId: t.id,
  };
}
