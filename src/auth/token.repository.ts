import type { DbOrTrx } from '../db/knex';
import type { Role } from './actor';

/** An API token's record (never the token itself, which is shown once and stored hashed). */
export interface ApiToken {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A usable token with its owner, as the auth middleware needs it. */
export interface TokenWithUser extends ApiToken {
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  publisherIds: number[];
}

function fromRow(r: Record<string, unknown>): ApiToken {
  return {
    id: Number(r.id),
    userId: Number(r.user_id),
    name: String(r.name),
    prefix: String(r.token_prefix),
    scopes: String(r.scopes).split(' ').filter(Boolean),
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
    expiresAt: String(r.expires_at),
    revokedAt: (r.revoked_at as string | null) ?? null,
    lastUsedAt: (r.last_used_at as string | null) ?? null,
  };
}

/** Stores a token by its hash; returns the id. */
export async function insertToken(
  db: DbOrTrx,
  t: { userId: number; name: string; tokenHash: string; prefix: string; scopes: string[]; createdBy: string; expiresAt: string },
  now: string,
): Promise<number> {
  const [row] = await db('api_tokens')
    .insert({
      user_id: t.userId,
      name: t.name,
      token_hash: t.tokenHash,
      token_prefix: t.prefix,
      scopes: t.scopes.join(' '),
      created_by: t.createdBy,
      created_at: now,
      expires_at: t.expiresAt,
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/** A token by id. */
export async function getToken(db: DbOrTrx, id: number): Promise<ApiToken | undefined> {
  const row = (await db('api_tokens').where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

/** A user's tokens, newest first. */
export async function listTokens(db: DbOrTrx, userId: number): Promise<ApiToken[]> {
  const rows = (await db('api_tokens').where({ user_id: userId }).orderBy('id', 'desc')) as Record<string, unknown>[];
  return rows.map(fromRow);
}

/** A token by hash with its owner, if it is neither revoked nor expired. */
export async function findActiveToken(db: DbOrTrx, tokenHash: string, now: string): Promise<TokenWithUser | undefined> {
  const row = (await db('api_tokens as t')
    .join('users as u', 'u.id', 't.user_id')
    .where('t.token_hash', tokenHash)
    .whereNull('t.revoked_at')
    .where('t.expires_at', '>', now)
    .first('t.*', 'u.email', 'u.display_name', 'u.role', 'u.disabled')) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const publisherIds = ((await db('user_publishers').where({ user_id: Number(row.user_id) }).pluck('publisher_id')) as number[]).map(Number);
  return {
    ...fromRow(row),
    email: String(row.email),
    displayName: String(row.display_name ?? ''),
    role: row.role as Role,
    disabled: row.disabled === true || row.disabled === 1,
    publisherIds,
  };
}

/** Records that a token was used (at most once a minute per token, by the caller's choice). */
export async function touchToken(db: DbOrTrx, id: number, now: string): Promise<void> {
  await db('api_tokens').where({ id }).update({ last_used_at: now });
}

/** Revokes one token. */
export async function revokeToken(db: DbOrTrx, id: number, by: string, now: string): Promise<void> {
  await db('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now, revoked_by: by });
}

/** Revokes every live token of a user (disabling); returns how many. */
export async function revokeUserTokens(db: DbOrTrx, userId: number, by: string, now: string): Promise<number> {
  return db('api_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now, revoked_by: by });
}
