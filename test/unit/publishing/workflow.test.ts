import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  approvalHash,
  availableActions,
  nextState,
  releaseActions,
  releaseStates,
  TransitionError,
  type ReleaseAction,
  type ReleaseState,
} from '../../../src/publishing/workflow';

const allowed: Record<string, ReleaseState> = {
  'draft:submit': 'in_review',
  'in_review:reject': 'draft',
  'in_review:approve': 'approved',
  'in_review:revise': 'draft',
  'approved:revise': 'draft',
  'approved:publish': 'published',
  'published:supersede': 'superseded',
  'published:withdraw': 'withdrawn',
  'superseded:withdraw': 'withdrawn',
};

describe('release workflow', () => {
  test('every state × action pair: exactly the documented transitions are allowed', () => {
    for (const state of releaseStates) {
      for (const action of releaseActions) {
        const key = `${state}:${action}`;
        if (key in allowed) assert.equal(nextState(state, action, 'a good enough reason'), allowed[key], key);
        else assert.throws(() => nextState(state, action, 'a good enough reason'), TransitionError, key);
      }
    }
  });

  test('rejection and withdrawal need a written reason', () => {
    assert.throws(() => nextState('in_review', 'reject'), /Give a reason/);
    assert.throws(() => nextState('published', 'withdraw', 'short'), /Give a reason/);
    assert.equal(nextState('published', 'withdraw', 'Error in ward totals'), 'withdrawn');
  });

  test('published, superseded and withdrawn releases can never become drafts again (immutability)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...releaseActions), { maxLength: 20 }), (actions: ReleaseAction[]) => {
        let state: ReleaseState = 'draft';
        let wasPublished = false;
        for (const a of actions) {
          try {
            state = nextState(state, a, 'a long enough reason');
          } catch {
            continue;
          }
          if (state === 'published') wasPublished = true;
          if (wasPublished) assert.ok(['published', 'superseded', 'withdrawn'].includes(state), state);
        }
        assert.ok(releaseStates.includes(state));
      }),
    );
  });

  test('available actions match the table', () => {
    assert.deepEqual(availableActions('draft'), ['submit']);
    assert.deepEqual(availableActions('in_review'), ['reject', 'approve', 'revise']);
    assert.deepEqual(availableActions('withdrawn'), []);
  });

  test('the approval hash changes when the source, policy or seed changes, and only then', () => {
    const base = { sourceId: 3, sourceVersion: 2, policy: { steps: [{ kind: 'k', k: 5 }], b: 1 }, seed: 's1' };
    assert.equal(approvalHash(base), approvalHash({ ...base, policy: { b: 1, steps: [{ k: 5, kind: 'k' }] } }), 'key order does not matter');
    assert.notEqual(approvalHash(base), approvalHash({ ...base, sourceVersion: 3 }));
    assert.notEqual(approvalHash(base), approvalHash({ ...base, seed: 's2' }));
    assert.notEqual(approvalHash(base), approvalHash({ ...base, policy: { steps: [{ kind: 'k', k: 6 }], b: 1 } }));
  });
});
