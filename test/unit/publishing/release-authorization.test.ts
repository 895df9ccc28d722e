import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anonymousActor, systemActor, type Actor } from '../../../src/auth/actor';
import { can } from '../../../src/auth/policy';

/** Roles × actions of the source and release workflow in the one policy function (issues 5 and 6). */
const dataset = { type: 'dataset' as const, publisherId: 7 };
const actors: Record<string, Actor> = {
  anonymous: anonymousActor,
  researcher: { kind: 'user', id: 'user:1', userId: 1, role: 'researcher' },
  stewardOwn: { kind: 'user', id: 'user:2', userId: 2, role: 'steward', publisherIds: [7] },
  stewardOther: { kind: 'user', id: 'user:3', userId: 3, role: 'steward', publisherIds: [8] },
  stewardReadToken: { kind: 'token', id: 'token:1', userId: 2, role: 'steward', publisherIds: [7], scopes: ['read'] },
  stewardManageToken: { kind: 'token', id: 'token:2', userId: 2, role: 'steward', publisherIds: [7], scopes: ['manage'] },
  admin: { kind: 'user', id: 'user:4', userId: 4, role: 'admin' },
  system: systemActor,
};
const expected: Record<string, Record<string, boolean>> = {
  'dataset:create': { anonymous: false, researcher: false, stewardOwn: true, stewardOther: false, stewardReadToken: false, stewardManageToken: true, admin: true, system: true },
  'source:manage': { anonymous: false, researcher: false, stewardOwn: true, stewardOther: false, stewardReadToken: false, stewardManageToken: true, admin: true, system: true },
  'source:purge': { anonymous: false, researcher: false, stewardOwn: false, stewardOther: false, stewardReadToken: false, stewardManageToken: false, admin: true, system: true },
  'release:manage': { anonymous: false, researcher: false, stewardOwn: true, stewardOther: false, stewardReadToken: false, stewardManageToken: true, admin: true, system: true },
  'release:approve': { anonymous: false, researcher: false, stewardOwn: true, stewardOther: false, stewardReadToken: false, stewardManageToken: true, admin: true, system: true },
  'release:override': { anonymous: false, researcher: false, stewardOwn: false, stewardOther: false, stewardReadToken: false, stewardManageToken: false, admin: true, system: true },
};

test('who may create datasets, import, classify and purge sources, run the workflow, approve and override', () => {
  for (const [action, row] of Object.entries(expected)) {
    for (const [who, allowed] of Object.entries(row)) {
      assert.equal(can(actors[who], action as Parameters<typeof can>[1], dataset), allowed, `${who} ${action}`);
    }
  }
});
