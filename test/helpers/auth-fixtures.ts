import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { systemActor, type Actor, type Role } from '../../src/auth/actor';
import { systemContext } from '../../src/auth/auth-context';
import type { TokenScope } from '../../src/auth/policy';
import { createApiToken } from '../../src/auth/token.service';
import { createUser, setPasswordWithLink } from '../../src/auth/user.service';
import type { Config } from '../../src/config';
import type { Db } from '../../src/db/knex';
import { closeApp } from '../../src/http/middleware/auth-stack';
import { createTestApp, type TestApp } from './test-app';

/** A password long enough for the policy. */
export const goodPassword = 'correct horse battery staple';

/** A temp folder for the audit key and checkpoint file of one test file. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-auth-test-'));
}

/** A test app whose audit key and checkpoints live in a temp folder; `close` also closes Redis. */
export async function createAuthTestApp(options: { demo?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<TestApp & { dataDir: string }> {
  const dataDir = tempDataDir();
  const t = await createTestApp({ demo: options.demo ?? false, env: { PLAZA_DATA_DIR: dataDir, ...options.env } });
  return {
    ...t,
    dataDir,
    close: async () => {
      await closeApp(t.app);
      await t.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an account through the service (as the CLI does) and sets its password through the link. */
export async function makeUser(
  db: Db,
  config: Config,
  u: { email: string; role: Role; publisherIds?: number[]; password?: string },
): Promise<{ id: number; email: string; password: string }> {
  const { user, linkPath } = await createUser(db, systemContext(systemActor), { email: u.email, displayName: u.email.split('@')[0], role: u.role, publisherIds: u.publisherIds ?? [] });
  const password = u.password ?? goodPassword;
  await setPasswordWithLink(db, config, systemContext(systemActor), linkPath.split('/').pop()!, password);
  return { id: user.id, email: user.email, password };
}

/** The hidden CSRF input's value in a page. */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in page');
  return m[1];
}

/** A cookie-keeping client signed in as the given account. */
export async function signedInAgent(app: Express, email: string, password: string): Promise<TestAgent> {
  const agent = request.agent(app);
  const form = await agent.get('/sign-in');
  const res = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email, password });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return agent;
}

/** Posts a form with a fresh CSRF token taken from `formPage`. */
export async function postForm(agent: TestAgent, formPage: string, action: string, fields: Record<string, string | string[]>) {
  const page = await agent.get(formPage);
  return agent.post(action).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

/** An API token for a user (as if they created it themselves). */
export async function tokenFor(db: Db, user: { id: number }, scopes: TokenScope[] = ['read', 'manage'], days = 30): Promise<string> {
  const actor: Actor = { kind: 'user', id: `user:${user.id}`, userId: user.id, role: 'admin', scopes: ['read', 'manage'] };
  const { token } = await createApiToken(db, { actor, requestId: null, client: null }, { name: 'test', scopes, expiresInDays: days });
  return token;
}

/** Publisher ids by slug (the demo city's). */
export async function publisherIdsBySlug(db: Db): Promise<Map<string, number>> {
  const rows = (await db('publishers').select('id', 'slug')) as Array<{ id: number; slug: string }>;
  return new Map(rows.map((r) => [r.slug, Number(r.id)]));
}
