import type { DbOrTrx } from '../db/knex';
import type { Role } from './actor';

/** A live session joined with the account it belongs to. */
export interface SessionWithUser {
  idHash: string;
  userId: number;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  publisherIds: number[];
}

/** Stores a new session (by the hash of its id). */
export async function insertSession(db: DbOrTrx, s: { idHash: string; userId: number; expiresAt: string; client: string | null }, now: string): Promise<void> {
  await db('sessions').insert({ id_hash: s.idHash, user_id: s.userId, created_at: now, last_seen_at: now, expires_at: s.expiresAt, client: s.client });
}

/** A session and its user, if the session exists and has not expired. */
export async function findSession(db: DbOrTrx, idHash: string, now: string): Promise<SessionWithUser | undefined> {
  const row = (await db('sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .where('s.id_hash', idHash)
    .where('s.expires_at', '>', now)
    .first('s.id_hash', 's.user_id', 's.created_at', 's.last_seen_at', 's.expires_at', 'u.email', 'u.display_name', 'u.role', 'u.disabled')) as
    | Record<string, unknown>
    | undefined;
  if (!row) return undefined;
  const userId = Number(row.user_id);
  const publisherIds = ((await db('user_publishers').where({ user_id: userId }).pluck('publisher_id')) as number[]).map(Number);
  return {
    idHash: String(row.id_hash),
    userId,
    createdAt: String(row.created_at),
    lastSeenAt: String(row.last_seen_at),
    expiresAt: String(row.expires_at),
    email: String(row.email),
    displayName: String(row.display_name ?? ''),
    role: row.role as Role,
    disabled: row.disabled === true || row.disabled === 1,
    publisherIds,
  };
}

/** Slides a session's idle expiry forward. */
export async function touchSession(db: DbOrTrx, idHash: string, now: string, expiresAt: string): Promise<void> {
  await db('sessions').where({ id_hash: idHash }).update({ last_seen_at: now, expires_at: expiresAt });
}

/** Ends one session. */
export async function deleteSession(db: DbOrTrx, idHash: string): Promise<void> {
  await db('sessions').where({ id_hash: idHash }).delete();
}

/** Ends every session of a user (disabling, password change). */
export async function deleteUserSessions(db: DbOrTrx, userId: number): Promise<number> {
  return db('sessions').where({ user_id: userId }).delete();
}

/** Removes expired sessions. */
export async function purgeExpiredSessions(db: DbOrTrx, now: string): Promise<number> {
  return db('sessions').where('expires_at', '<=', now).delete();
}
