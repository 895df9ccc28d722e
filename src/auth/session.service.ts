import { appendAudit } from '../audit/audit.repository';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Actor } from './actor';
import type { ActionContext } from './auth-context';
import { verifyPassword } from './password';
import { randomSecret, secretHash } from './secrets';
import { deleteSession, findSession, insertSession, touchSession } from './session.repository';
import { getUserCredentials, updateUser } from './user.repository';

/** How often a session's idle expiry is pushed forward (not on every request). */
const touchEveryMs = 60_000;

/** The scopes a signed-in session carries (everything the role allows). */
export const sessionScopes = ['read', 'manage'];

/**
 * Checks an email and password. Unknown emails, wrong passwords, disabled accounts and accounts
 * without a password all fail the same way after the same argon2 work, and each failure is
 * audited. On success the old session (if any) is destroyed and a new session id issued, so a
 * session id planted before sign-in (fixation) is worthless.
 */
export async function signIn(
  db: Db,
  config: Config,
  ctx: ActionContext & { userClient: string | null },
  input: { email: string; password: string; previousSessionId?: string },
): Promise<{ sessionId: string; userId: number } | undefined> {
  const found = await getUserCredentials(db, input.email);
  const passwordOk = await verifyPassword(found?.passwordHash, input.password, config.auth.argon2);
  if (input.previousSessionId) await deleteSession(db, secretHash(input.previousSessionId));
  if (!found || !passwordOk || found.user.disabled) {
    await appendAudit(db, {
      actor: ctx.actor.id,
      requestId: ctx.requestId,
      client: ctx.client,
      action: 'auth.login_failed',
      outcome: 'failure',
      objectType: found ? 'user' : null,
      objectId: found ? found.user.id : null,
    });
    return undefined;
  }
  const sessionId = randomSecret(32);
  const now = new Date();
  const nowIso = now.toISOString();
  await db.transaction(async (trx) => {
    await insertSession(trx, { idHash: secretHash(sessionId), userId: found.user.id, expiresAt: idleExpiry(config, now, now), client: ctx.userClient }, nowIso);
    await updateUser(trx, found.user.id, { lastLoginAt: nowIso });
    await appendAudit(trx, {
      actor: `user:${found.user.id}`,
      requestId: ctx.requestId,
      client: ctx.userClient,
      action: 'auth.login',
      objectType: 'user',
      objectId: found.user.id,
    });
  });
  return { sessionId, userId: found.user.id };
}

function idleExpiry(config: Config, createdAt: Date, now: Date): string {
  const idle = now.getTime() + config.auth.sessionIdleMinutes * 60_000;
  const absolute = createdAt.getTime() + config.auth.sessionMaxHours * 3600_000;
  return new Date(Math.min(idle, absolute)).toISOString();
}

/** Ends a session on the server and audits it. */
export async function signOut(db: Db, ctx: ActionContext, sessionId: string): Promise<void> {
  await db.transaction(async (trx) => {
    await deleteSession(trx, secretHash(sessionId));
    if (ctx.actor.kind === 'user') {
      await appendAudit(trx, { actor: ctx.actor.id, requestId: ctx.requestId, client: ctx.client, action: 'auth.logout', objectType: 'user', objectId: ctx.actor.userId });
    }
  });
}

/** The actor behind a session cookie, or undefined when the session is unknown, expired or its account disabled. */
export async function resolveSession(db: Db, config: Config, sessionId: string): Promise<Actor | undefined> {
  const now = new Date();
  const s = await findSession(db, secretHash(sessionId), now.toISOString());
  if (!s || s.disabled) return undefined;
  if (now.getTime() - Date.parse(s.lastSeenAt) > touchEveryMs) {
    await touchSession(db, s.idHash, now.toISOString(), idleExpiry(config, new Date(s.createdAt), now));
  }
  return {
    kind: 'user',
    id: `user:${s.userId}`,
    userId: s.userId,
    role: s.role,
    publisherIds: s.role === 'steward' ? s.publisherIds : [],
    scopes: sessionScopes,
    email: s.email,
    displayName: s.displayName,
  };
}
