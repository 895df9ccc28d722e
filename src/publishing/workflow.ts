import crypto from 'node:crypto';
import { canonicalJson } from '../audit/audit-hash';

/**
 * The release workflow as one transition table (DESIGN.md §3):
 * draft → in_review → approved → published → superseded | withdrawn; in_review → draft on
 * rejection with a reason. Every state change in the code goes through `nextState`.
 */

export const releaseStates = ['draft', 'in_review', 'approved', 'published', 'superseded', 'withdrawn'] as const;
export type ReleaseState = (typeof releaseStates)[number];

/** Actions that move a release between states. */
export const releaseActions = ['submit', 'reject', 'approve', 'revise', 'publish', 'supersede', 'withdraw'] as const;
export type ReleaseAction = (typeof releaseActions)[number];

interface Transition {
  from: readonly ReleaseState[];
  to: ReleaseState;
  /** The action must carry a written reason (shown to the submitter, or to the public). */
  needsReason: boolean;
}

/** The transition table. */
export const transitions: Readonly<Record<ReleaseAction, Transition>> = {
  submit: { from: ['draft'], to: 'in_review', needsReason: false },
  reject: { from: ['in_review'], to: 'draft', needsReason: true },
  approve: { from: ['in_review'], to: 'approved', needsReason: false },
  /** A change to the policy or source after submission sends the release back to draft. */
  revise: { from: ['in_review', 'approved'], to: 'draft', needsReason: false },
  publish: { from: ['approved'], to: 'published', needsReason: false },
  supersede: { from: ['published'], to: 'superseded', needsReason: false },
  withdraw: { from: ['published', 'superseded'], to: 'withdrawn', needsReason: true },
};

/** Why a transition was refused. */
export class TransitionError extends Error {
  constructor(
    readonly state: ReleaseState,
    readonly action: ReleaseAction,
    message: string,
  ) {
    super(message);
    this.name = 'TransitionError';
  }
}

/** The state after an action, or a TransitionError that says why the action is not possible. */
export function nextState(state: ReleaseState, action: ReleaseAction, reason?: string): ReleaseState {
  const t = transitions[action];
  if (!t.from.includes(state)) {
    throw new TransitionError(state, action, `A release that is ${state.replace('_', ' ')} cannot be ${pastTense[action]}`);
  }
  if (t.needsReason && !(reason && reason.trim().length >= 10)) {
    throw new TransitionError(state, action, `Give a reason (at least 10 characters) to ${action} a release`);
  }
  return t.to;
}

const pastTense: Record<ReleaseAction, string> = {
  submit: 'submitted',
  reject: 'rejected',
  approve: 'approved',
  revise: 'revised',
  publish: 'published',
  supersede: 'superseded',
  withdraw: 'withdrawn',
};

/** The actions possible from a state (for buttons and API hints). */
export function availableActions(state: ReleaseState): ReleaseAction[] {
  return releaseActions.filter((a) => transitions[a].from.includes(state));
}

/**
 * What an approval is bound to: the source version, the policy and the seed. Publishing
 * recomputes it and refuses when anything changed after approval.
 */
export function approvalHash(input: { sourceId: number; sourceVersion: number; policy: unknown; seed: string }): string {
  return crypto.createHash('sha256').update(canonicalJson(input)).digest('hex');
}
