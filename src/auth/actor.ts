import crypto from 'node:crypto';
import type { Request, Response } from 'express';

/** Roles of accounts (citizens need none). */
export const roles = ['admin', 'steward', 'researcher'] as const;
export type Role = (typeof roles)[number];

/** Who is acting: the subject of every authorization decision and audit entry. */
export interface Actor {
  kind: 'anonymous' | 'user' | 'token' | 'system';
  /** Audit form: `anonymous`, `system`, `user:<id>` or `token:<id>`. */
  id: string;
  userId?: number;
  role?: Role;
  /** Publishers a steward is scoped to. */
  publisherIds?: number[];
  /** Token scopes (`read`, `manage`); sessions have every scope their role allows. */
  scopes?: string[];
  /** The account's email and name, for pages ("Signed in as …"). */
  email?: string;
  displayName?: string;
  /** The API token used, when the request was authenticated by one. */
  tokenId?: number;
}

/**
 * The person behind an actor, as recorded for four-eyes rules (who defined, submitted, approved):
 * a steward acting through an API token is the same person as when signed in (`user:<id>`);
 * any other actor is itself.
 */
export function personOf(actor: Actor): string {
  return actor.userId !== undefined ? `user:${actor.userId}` : actor.id;
}

/** The actor for requests without credentials. */
export const anonymousActor: Actor = Object.freeze({ kind: 'anonymous', id: 'anonymous' }) as Actor;
/** The actor for the system's own work (seeds, schedulers, CLI imports). */
export const systemActor: Actor = Object.freeze({ kind: 'system', id: 'system' }) as Actor;

/** The actor the auth middleware attached to this response, or anonymous. */
export function actorOf(res: Response): Actor {
  return (res.locals.actor as Actor | undefined) ?? anonymousActor;
}

/**
 * What the audit log records as the client address: for signed-in actors the address itself, for
 * anonymous citizens only a keyed hash (HMAC-SHA-256 with the deployment secret), so downloads can
 * be correlated for abuse handling without tracking people.
 */
export function clientRef(req: Request, actor: Actor, secret: string): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  if (actor.kind !== 'anonymous') return ip;
  return 'h:' + crypto.createHmac('sha256', secret).update(ip).digest('hex').slice(0, 32);
}
