import { NotFoundError } from '../errors';
import type { Actor } from './actor';

/**
 * The one authorization policy. Every route and service asks `can(actor, action, resource)` (or
 * `authorize`, which throws); nothing else decides who may do what. A refusal is reported as
 * "not found", so callers cannot tell a resource they may not see from one that does not exist.
 */

/** Everything the policy rules on. Read actions need a token's `read` (or `manage`) scope; the rest need `manage`. */
export const readActions = [
  'dataset:list_private',
  'dataset:read_private',
  'audit:read',
  'audit:export',
  'audit:checkpoints',
  'user:list',
  'user:read',
  'token:list',
  'account:read',
  'stream:read',
] as const;
export const writeActions = [
  'user:create',
  'user:update',
  'user:disable',
  'audit:checkpoint',
  'audit:verify',
  'token:create',
  'token:revoke',
  'account:update',
  'dataset:create',
  'source:manage',
  'source:purge',
  'release:manage',
  'release:approve',
  'release:override',
  'stream:manage',
  'stream:approve',
] as const;
export type Action = (typeof readActions)[number] | (typeof writeActions)[number];

/** What an action is about. `publishers` is a collection scoped to the actor's publishers. */
export type Resource =
  | { type: 'dataset'; publisherId: number }
  | { type: 'user'; id: number }
  | { type: 'token'; userId: number }
  | { type: 'publishers' }
  | { type: 'system' };

const readSet = new Set<string>(readActions);

/** The scopes a token may carry. */
export const tokenScopes = ['read', 'manage'] as const;
export type TokenScope = (typeof tokenScopes)[number];

function scopeAllows(actor: Actor, action: Action): boolean {
  if (actor.kind !== 'token') return true;
  const scopes = actor.scopes ?? [];
  if (scopes.includes('manage')) return true;
  return readSet.has(action) && scopes.includes('read');
}

function ownsUser(actor: Actor, userId: number): boolean {
  return actor.userId !== undefined && actor.userId === userId;
}

/** True when the actor may perform the action on the resource. */
export function can(actor: Actor, action: Action, resource: Resource): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind === 'anonymous' || actor.userId === undefined || !actor.role) return false;
  if (!scopeAllows(actor, action)) return false;
  if (actor.role === 'admin') return true;

  switch (action) {
    case 'account:read':
    case 'account:update':
      return resource.type === 'user' && ownsUser(actor, resource.id);
    case 'token:list':
    case 'token:create':
    case 'token:revoke':
      return resource.type === 'token' && ownsUser(actor, resource.userId);
    case 'dataset:list_private':
    case 'audit:read':
    case 'audit:export':
    case 'audit:verify':
      // A steward sees their own publishers' share of these collections.
      return actor.role === 'steward' && resource.type === 'publishers';
    // Stewards of a dataset's publisher read its private side; import and classify its sources;
    // define its streams, register devices and approve stream policies; create datasets for their
    // publishers; and take releases through
    // the workflow (edit the policy, preview, submit, approve another steward's submission, publish,
    // withdraw). Four eyes is the workflow's rule, not the policy's.
    case 'stream:read':
    case 'stream:manage':
    case 'stream:approve':
    case 'dataset:read_private':
    case 'dataset:create':
    case 'source:manage':
    case 'release:manage':
    case 'release:approve':
      return actor.role === 'steward' && resource.type === 'dataset' && (actor.publisherIds ?? []).includes(resource.publisherId);
    default:
      // user:*, audit:checkpoint(s), source:purge, release:override: admins only.
      return false;
  }
}

/** Throws NotFoundError (same as a missing resource) unless the actor may do it. */
export function authorize(actor: Actor, action: Action, resource: Resource, message = 'Page not found'): void {
  if (!can(actor, action, resource)) throw new NotFoundError(message);
}

/** Which publishers' private data the actor sees: all of it (admins, system) or a list. */
export function publisherScope(actor: Actor): { all: true } | { all: false; publisherIds: number[] } {
  if (can(actor, 'dataset:read_private', { type: 'dataset', publisherId: -1 })) return { all: true };
  return { all: false, publisherIds: actor.publisherIds ?? [] };
}
