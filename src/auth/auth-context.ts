import type { Actor } from './actor';

/** Who is acting and where from: what services need to authorize a change and audit it. */
export interface ActionContext {
  actor: Actor;
  requestId: string | null;
  /** The client address as the audit log records it (a keyed hash for anonymous clients). */
  client: string | null;
}

/** The context of work the system does on its own (CLI, scheduler). */
export function systemContext(actor: Actor): ActionContext {
  return { actor, requestId: null, client: null };
}
