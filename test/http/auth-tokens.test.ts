import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { secretHash } from '../../src/auth/secrets';
import { createAuthTestApp, makeUser, postForm, signedInAgent, tokenFor } from '../helpers/auth-fixtures';

type App = Awaited<ReturnType<typeof createAuthTestApp>>;

describe('API tokens', () => {
  let t: App;
  let admin: { id: number; email: string; password: string };
  let alice: { id: number; email: string; password: string };
  let bob: { id: number; email: string; password: string };

  before(async () => {
    t = await createAuthTestApp({ env: { LOGIN_MAX_PER_ACCOUNT: '1000', LOGIN_MAX_PER_IP: '1000' } });
    admin = await makeUser(t.db, t.config, { email: 'admin@example.gov.uk', role: 'admin' });
    alice = await makeUser(t.db, t.config, { email: 'alice@example.org', role: 'researcher' });
    bob = await makeUser(t.db, t.config, { email: 'bob@example.org', role: 'researcher' });
  });
  after(() => t.close());

  it('creates prefixed 256-bit tokens, shows them once and stores only a hash', async () => {
    const agent = await signedInAgent(t.app, alice.email, alice.password);
    const res = await postForm(agent, '/account/tokens', '/account/tokens', { name: 'laptop', scopes: ['read', 'manage'], expiresInDays: '30' });
    assert.equal(res.status, 201);
    const token = /value="(plz_[A-Za-z0-9_-]+)"/.exec(res.text)![1];
    assert.match(token, /^plz_[A-Za-z0-9_-]{43}$/);
    assert.ok(Buffer.from(token.slice(4), 'base64url').length >= 16);
    const row = (await t.db('api_tokens').where({ name: 'laptop' }).first()) as Record<string, unknown>;
    assert.equal(row.token_hash, secretHash(token));
    assert.ok(!JSON.stringify(row).includes(token.slice(4)));
    const list = await agent.get('/account/tokens');
    assert.ok(!list.text.includes(token), 'the list never shows the token again');
    const api = await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${token}`);
    assert.equal(api.status, 200);
    assert.ok(!JSON.stringify(api.body).includes(token));
    assert.equal(api.body.tokens[0].name, 'laptop');
    assert.deepEqual(api.body.tokens[0].scopes, ['manage', 'read']);
  });

  it('manages tokens over the API with a bearer token: create, list, revoke', async () => {
    const bearer = await tokenFor(t.db, bob, ['read', 'manage']);
    const created = await request(t.app).post('/api/v1/manage/tokens').set('Authorization', `Bearer ${bearer}`).send({ name: 'ci', scopes: ['read'], expiresInDays: 7 });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^plz_/);
    assert.equal(created.headers['cache-control'], 'no-store');
    const worked = await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${created.body.token}`);
    assert.equal(worked.status, 200);
    const revoked = await request(t.app).delete(`/api/v1/manage/tokens/${created.body.id}`).set('Authorization', `Bearer ${bearer}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    const after = await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${created.body.token}`);
    assert.equal(after.status, 401);
    assert.match(after.headers['www-authenticate'], /invalid_token/);
    assert.ok(await t.db('audit_log').where({ action: 'token.revoked', object_id: String(created.body.id) }).first());
  });

  it('a read token cannot create or revoke tokens, nor mint broader scopes', async () => {
    const read = await tokenFor(t.db, bob, ['read']);
    const res = await request(t.app).post('/api/v1/manage/tokens').set('Authorization', `Bearer ${read}`).send({ name: 'x', scopes: ['read'] });
    assert.equal(res.status, 404);
    const manageOnly = await tokenFor(t.db, bob, ['manage']);
    const fine = await request(t.app).post('/api/v1/manage/tokens').set('Authorization', `Bearer ${manageOnly}`).send({ name: 'x', scopes: ['manage'] });
    assert.equal(fine.status, 201);
  });

  it('refuses expired and revoked tokens with 401', async () => {
    const token = await tokenFor(t.db, alice, ['read'], 1);
    await t.db('api_tokens').where({ token_hash: secretHash(token) }).update({ expires_at: new Date(Date.now() - 1000).toISOString() });
    const expired = await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${token}`);
    assert.equal(expired.status, 401);
    const bogus = await request(t.app).get('/datasets.json').set('Authorization', 'Bearer plz_' + crypto.randomBytes(32).toString('base64url'));
    assert.equal(bogus.status, 401, 'a bad plz_ token is refused even on public routes');
  });

  it('refuses tokens in URLs with a 400 that says why', async () => {
    const token = await tokenFor(t.db, alice, ['read']);
    for (const url of [`/api/v1/manage/tokens?token=${token}`, `/datasets.json?access_token=${token}`, `/datasets?api_key=x`, `/?API_KEY=x`]) {
      const res = await request(t.app).get(url);
      assert.equal(res.status, 400, url);
      assert.match(JSON.stringify(res.body ?? '') + res.text, /Authorization/);
    }
  });

  it('lists and revokes only your own tokens; others answer exactly like missing ones (404)', async () => {
    const aliceToken = await tokenFor(t.db, alice, ['read', 'manage']);
    const bobToken = await tokenFor(t.db, bob, ['read', 'manage']);
    const bobTokenId = ((await t.db('api_tokens').where({ token_hash: secretHash(bobToken) }).first('id')) as { id: number }).id;
    const other = await request(t.app).delete(`/api/v1/manage/tokens/${bobTokenId}`).set('Authorization', `Bearer ${aliceToken}`);
    const missing = await request(t.app).delete('/api/v1/manage/tokens/999999').set('Authorization', `Bearer ${aliceToken}`);
    assert.equal(other.status, 404);
    assert.equal(missing.status, 404);
    assert.deepEqual({ ...other.body, requestId: '' }, { ...missing.body, requestId: '' });
    const listOther = await request(t.app).get(`/api/v1/manage/tokens?user=${bob.id}`).set('Authorization', `Bearer ${aliceToken}`);
    assert.equal(listOther.status, 404);
    // Admins can list and revoke anyone's.
    const adminToken = await tokenFor(t.db, admin, ['read', 'manage']);
    const adminList = await request(t.app).get(`/api/v1/manage/tokens?user=${bob.id}`).set('Authorization', `Bearer ${adminToken}`);
    assert.equal(adminList.status, 200);
    assert.ok(adminList.body.tokens.some((x: { id: number }) => x.id === Number(bobTokenId)));
    const adminRevoke = await request(t.app).delete(`/api/v1/manage/tokens/${bobTokenId}`).set('Authorization', `Bearer ${adminToken}`);
    assert.equal(adminRevoke.status, 200);
    assert.equal((await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${bobToken}`)).status, 401);
  });

  it('ignores mass assignment: the body cannot choose the owner, id or state of a token', async () => {
    const aliceToken = await tokenFor(t.db, alice, ['read', 'manage']);
    for (const extra of [{ userId: bob.id }, { user_id: bob.id }, { id: 1 }, { revokedAt: null, owner: bob.id }, { role: 'admin' }]) {
      const res = await request(t.app).post('/api/v1/manage/tokens').set('Authorization', `Bearer ${aliceToken}`).send({ name: 'mass', scopes: ['read'], ...extra });
      assert.equal(res.status, 400, JSON.stringify(extra));
    }
    assert.equal(await t.db('api_tokens').where({ name: 'mass' }).first(), undefined);
    const agent = await signedInAgent(t.app, alice.email, alice.password);
    const viaForm = await postForm(agent, '/account/tokens', '/account/tokens', { name: 'mass2', scopes: 'read', expiresInDays: '3', userId: String(bob.id) });
    assert.equal(viaForm.status, 400);
    const adminAgent = await signedInAgent(t.app, admin.email, admin.password);
    const createWithId = await postForm(adminAgent, '/admin/users/new', '/admin/users', { email: 'x@example.org', displayName: 'X', role: 'researcher', id: '1' });
    assert.equal(createWithId.status, 400);
    assert.equal(await t.db('users').where({ email: 'x@example.org' }).first(), undefined);
  });

  it('a session can use the token API with the X-CSRF-Token header', async () => {
    const agent = await signedInAgent(t.app, alice.email, alice.password);
    const page = await agent.get('/account/tokens');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const res = await agent.post('/api/v1/manage/tokens').set('X-CSRF-Token', csrf).send({ name: 'from-session', scopes: ['read'] });
    assert.equal(res.status, 201);
    assert.equal((await request(t.app).get('/api/v1/manage/tokens')).status, 401);
  });
});

describe('rate limits', () => {
  it('limits anonymous clients per IP, users and tokens separately, with 429 and Retry-After', async () => {
    const t = await createAuthTestApp({ env: { RATE_LIMIT_ANONYMOUS: '3', RATE_LIMIT_TOKEN: '5' } });
    try {
      const user = await makeUser(t.db, t.config, { email: 'r@example.org', role: 'researcher' });
      const t1 = await tokenFor(t.db, user, ['read']);
      const t2 = await tokenFor(t.db, user, ['read']);
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await request(t.app).get('/datasets.json')).status);
      assert.deepEqual(codes, [200, 200, 200, 429]);
      const limited = await request(t.app).get('/datasets.json');
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal(limited.body.error.code, 'rate_limited');
      // Tokens have their own budget, one per token.
      for (let i = 0; i < 5; i++) assert.equal((await request(t.app).get('/datasets.json').set('Authorization', `Bearer ${t1}`)).status, 200);
      assert.equal((await request(t.app).get('/datasets.json').set('Authorization', `Bearer ${t1}`)).status, 429);
      assert.equal((await request(t.app).get('/datasets.json').set('Authorization', `Bearer ${t2}`)).status, 200);
    } finally {
      await t.close();
    }
  });

  it('shares counts between app instances through Redis when REDIS_URL is set', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: `plaza-test-${crypto.randomBytes(4).toString('hex')}:`, RATE_LIMIT_ANONYMOUS: '4' };
    const a = await createAuthTestApp({ env });
    const b = await createAuthTestApp({ env });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await request(a.app).get('/datasets.json')).status);
        statuses.push((await request(b.app).get('/datasets.json')).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('throttles failed sign-ins per account and per IP with the same answer for unknown emails', async () => {
    const t = await createAuthTestApp({ env: { LOGIN_MAX_PER_ACCOUNT: '3', LOGIN_MAX_PER_IP: '8' } });
    try {
      const user = await makeUser(t.db, t.config, { email: 'r@example.org', role: 'researcher' });
      const attempt = async (email: string, password: string) => {
        const agent = request.agent(t.app);
        return postForm(agent, '/sign-in', '/sign-in', { email, password });
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 4; i++) known.push((await attempt(user.email, 'wrong password!!')).status);
      for (let i = 0; i < 4; i++) unknown.push((await attempt('ghost@example.org', 'wrong password!!')).status);
      assert.deepEqual(known, [401, 401, 401, 429]);
      assert.deepEqual(unknown, known, 'unknown emails are throttled exactly like real ones');
      // The right password is refused too while the account is throttled.
      const locked = await attempt(user.email, user.password);
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers['retry-after']) > 0);
      // Per IP: the 8 failures above (6 counted + refusals) exhaust this address for every account.
      const other = await attempt('someone-else@example.org', 'x');
      assert.equal(other.status, 429);
    } finally {
      await t.close();
    }
  });
});
