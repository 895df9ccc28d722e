import type { DbOrTrx } from '../db/knex';
import type { Role } from './actor';

/** An account as the application sees it (never the password hash). */
export interface User {
  id: number;
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  hasPassword: boolean;
  publisherIds: number[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

/** Columns a new account is created with (the service decides role and creator). */
export interface NewUser {
  email: string;
  displayName: string;
  role: Role;
  passwordHash: string | null;
  createdBy: string;
  publisherIds: number[];
}

function fromRow(r: Record<string, unknown>, publisherIds: number[]): User {
  return {
    id: Number(r.id),
    email: String(r.email),
    displayName: String(r.display_name ?? ''),
    role: r.role as Role,
    disabled: r.disabled === true || r.disabled === 1,
    hasPassword: r.password_hash !== null && r.password_hash !== undefined,
    publisherIds,
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    lastLoginAt: (r.last_login_at as string | null) ?? null,
  };
}

/** Emails are compared case-insensitively: stored lower-cased and trimmed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function publishersOf(db: DbOrTrx, userIds: number[]): Promise<Map<number, number[]>> {
  const map = new Map<number, number[]>();
  if (!userIds.length) return map;
  const rows = (await db('user_publishers').whereIn('user_id', userIds).orderBy('publisher_id')) as Array<{ user_id: number; publisher_id: number }>;
  for (const r of rows) map.set(Number(r.user_id), [...(map.get(Number(r.user_id)) ?? []), Number(r.publisher_id)]);
  return map;
}

/** Creates an account; returns its id. */
export async function insertUser(db: DbOrTrx, u: NewUser, now = new Date().toISOString()): Promise<number> {
  const [row] = await db('users')
    .insert({
      email: normaliseEmail(u.email),
      display_name: u.displayName,
      role: u.role,
      password_hash: u.passwordHash,
      disabled: false,
      created_by: u.createdBy,
      created_at: now,
      updated_at: now,
    })
    .returning('id');
  const id = Number(typeof row === 'object' ? row.id : row);
  await setUserPublishers(db, id, u.publisherIds);
  return id;
}

/** Replaces the publishers a user is scoped to. */
export async function setUserPublishers(db: DbOrTrx, userId: number, publisherIds: number[]): Promise<void> {
  await db('user_publishers').where({ user_id: userId }).delete();
  const unique = [...new Set(publisherIds)];
  if (unique.length) await db('user_publishers').insert(unique.map((p) => ({ user_id: userId, publisher_id: p })));
}

/** An account by id. */
export async function getUserById(db: DbOrTrx, id: number): Promise<User | undefined> {
  const row = (await db('users').where({ id }).first()) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return fromRow(row, (await publishersOf(db, [id])).get(id) ?? []);
}

/** An account and its password hash by email, for signing in. */
export async function getUserCredentials(db: DbOrTrx, email: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = (await db('users').where({ email: normaliseEmail(email) }).first()) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const id = Number(row.id);
  return { user: fromRow(row, (await publishersOf(db, [id])).get(id) ?? []), passwordHash: (row.password_hash as string | null) ?? null };
}

/** True when an account uses this email. */
export async function emailTaken(db: DbOrTrx, email: string): Promise<boolean> {
  return (await db('users').where({ email: normaliseEmail(email) }).first('id')) !== undefined;
}

/** A page of accounts, ordered by email, optionally filtered by role. */
export async function listUsers(db: DbOrTrx, q: { role?: Role; offset: number; limit: number }): Promise<{ users: User[]; total: number }> {
  const base = () => {
    const b = db('users');
    if (q.role) b.where({ role: q.role });
    return b;
  };
  const rows = (await base().orderBy('email').offset(q.offset).limit(q.limit)) as Record<string, unknown>[];
  const total = Number(((await base().count({ n: '*' }).first()) as { n: number | string }).n);
  const pubs = await publishersOf(db, rows.map((r) => Number(r.id)));
  return { users: rows.map((r) => fromRow(r, pubs.get(Number(r.id)) ?? [])), total };
}

/** Updates an account's role, name or disabled flag. */
export async function updateUser(
  db: DbOrTrx,
  id: number,
  patch: { role?: Role; displayName?: string; disabled?: boolean; passwordHash?: string; lastLoginAt?: string },
  now = new Date().toISOString(),
): Promise<void> {
  const row: Record<string, unknown> = {};
  if (patch.role !== undefined) row.role = patch.role;
  if (patch.displayName !== undefined) row.display_name = patch.displayName;
  if (patch.disabled !== undefined) row.disabled = patch.disabled;
  if (patch.passwordHash !== undefined) row.password_hash = patch.passwordHash;
  if (patch.lastLoginAt !== undefined) row.last_login_at = patch.lastLoginAt;
  else row.updated_at = now;
  await db('users').where({ id }).update(row);
}

/** Number of enabled admins (the last one cannot be disabled or demoted). */
export async function countActiveAdmins(db: DbOrTrx): Promise<number> {
  const row = (await db('users').where({ role: 'admin', disabled: false }).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** Stores a one-time password-set link (hashed). */
export async function insertPasswordLink(db: DbOrTrx, l: { userId: number; tokenHash: string; createdBy: string; expiresAt: string }): Promise<void> {
  await db('password_links').insert({
    user_id: l.userId,
    token_hash: l.tokenHash,
    created_by: l.createdBy,
    created_at: new Date().toISOString(),
    expires_at: l.expiresAt,
  });
}

/** An unused, unexpired password link by its hash. */
export async function findPasswordLink(db: DbOrTrx, tokenHash: string, now: string): Promise<{ id: number; userId: number } | undefined> {
  const row = (await db('password_links').where({ token_hash: tokenHash }).whereNull('used_at').where('expires_at', '>', now).first()) as
    | { id: number; user_id: number }
    | undefined;
  return row ? { id: Number(row.id), userId: Number(row.user_id) } : undefined;
}

/** Marks every outstanding password link of a user used (a link works once). */
export async function consumePasswordLinks(db: DbOrTrx, userId: number, now: string): Promise<void> {
  await db('password_links').where({ user_id: userId }).whereNull('used_at').update({ used_at: now });
}

/** Publishers by id, for showing a steward's scope. */
export async function publisherNames(db: DbOrTrx): Promise<Array<{ id: number; slug: string; name: string }>> {
  const rows = (await db('publishers').orderBy('name').select('id', 'slug', 'name')) as Array<{ id: number; slug: string; name: string }>;
  return rows.map((r) => ({ id: Number(r.id), slug: r.slug, name: r.name }));
}
