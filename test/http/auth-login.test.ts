import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { systemActor } from '../../src/auth/actor';
import { systemContext } from '../../src/auth/auth-context';
import { secretHash } from '../../src/auth/secrets';
import { createUser } from '../../src/auth/user.service';
import { createAuthTestApp, csrfFrom, goodPassword, makeUser, postForm, signedInAgent, tokenFor } from '../helpers/auth-fixtures';

type App = Awaited<ReturnType<typeof createAuthTestApp>>;

function sessionCookie(res: request.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return raw?.find((c) => /^(__Host-)?plaza_session=[^;]/.test(c));
}

describe('sign in, sessions and CSRF', () => {
  let t: App;
  let admin: { id: number; email: string; password: string };
  let steward: { id: number; email: string; password: string };

  before(async () => {
    // Throttling has its own test file; here many sign-ins come from one address.
    t = await createAuthTestApp({ env: { LOGIN_MAX_PER_ACCOUNT: '1000', LOGIN_MAX_PER_IP: '1000' } });
    admin = await makeUser(t.db, t.config, { email: 'admin@example.gov.uk', role: 'admin' });
    steward = await makeUser(t.db, t.config, { email: 'steward@example.gov.uk', role: 'researcher' });
  });
  after(() => t.close());

  it('stores argon2id hashes, never passwords', async () => {
    const row = (await t.db('users').where({ id: admin.id }).first('password_hash')) as { password_hash: string };
    assert.match(row.password_hash, /^\$argon2id\$/);
    assert.ok(!row.password_hash.includes(goodPassword));
  });

  it('signs in with a new session id, HttpOnly SameSite=Lax cookie, and a server-side session', async () => {
    const agent = request.agent(t.app);
    const form = await agent.get('/sign-in');
    assert.equal(form.status, 200);
    const res = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: 'ADMIN@example.gov.uk ', password: admin.password });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/account');
    const cookie = sessionCookie(res)!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const id = /plaza_session=([^;]+)/.exec(cookie)![1];
    assert.ok(await t.db('sessions').where({ id_hash: secretHash(id) }).first(), 'session stored by hash');
    assert.equal(await t.db('sessions').where({ id_hash: id }).first(), undefined, 'raw id not stored');
    const account = await agent.get('/account.json');
    assert.equal(account.status, 200);
    assert.equal(account.body.email, 'admin@example.gov.uk');
  });

  it('regenerates the session id at sign-in (a planted session id is worthless)', async () => {
    const planted = 'A'.repeat(43);
    const form = await request(t.app).get('/sign-in').set('Cookie', `plaza_session=${planted}`);
    const csrfCookie = (form.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const res = await request(t.app)
      .post('/sign-in')
      .set('Cookie', `plaza_session=${planted}; ${csrfCookie}`)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), email: admin.email, password: admin.password });
    assert.equal(res.status, 303);
    const issued = /plaza_session=([^;]+)/.exec(sessionCookie(res)!)![1];
    assert.notEqual(issued, planted);
    const withPlanted = await request(t.app).get('/account.json').set('Cookie', `plaza_session=${planted}`);
    assert.equal(withPlanted.status, 401);
  });

  it('sets __Host- prefixed Secure cookies when served over HTTPS', async () => {
    const https = await createAuthTestApp({ env: { BASE_URL: 'https://data.example.gov.uk' } });
    try {
      await makeUser(https.db, https.config, { email: 'a@example.gov.uk', role: 'admin' });
      const form = await request(https.app).get('/sign-in');
      const csrfCookie = (form.headers['set-cookie'] as unknown as string[])[0];
      assert.match(csrfCookie, /^__Host-plaza_csrf=.*Secure/);
      const res = await request(https.app)
        .post('/sign-in')
        .set('Cookie', csrfCookie.split(';')[0])
        .type('form')
        .send({ _csrf: csrfFrom(form.text), email: 'a@example.gov.uk', password: goodPassword });
      assert.equal(res.status, 303);
      const cookie = sessionCookie(res)!;
      assert.match(cookie, /^__Host-plaza_session=/);
      assert.match(cookie, /Secure/);
      assert.match(cookie, /Path=\//);
      assert.doesNotMatch(cookie, /Domain=/i);
    } finally {
      await https.close();
    }
  });

  it('sign-out destroys the session on the server', async () => {
    const agent = await signedInAgent(t.app, admin.email, admin.password);
    const before = Number(((await t.db('sessions').where({ user_id: admin.id }).count({ n: '*' }).first()) as { n: number }).n);
    const res = await postForm(agent, '/sign-out', '/sign-out', {});
    assert.equal(res.status, 303);
    const afterCount = Number(((await t.db('sessions').where({ user_id: admin.id }).count({ n: '*' }).first()) as { n: number }).n);
    assert.equal(afterCount, before - 1);
    assert.equal((await agent.get('/account.json')).status, 401);
    const audit = await t.db('audit_log').where({ action: 'auth.logout', actor: `user:${admin.id}` }).first();
    assert.ok(audit);
  });

  it('refuses state-changing forms without a CSRF token or with a wrong one (403)', async () => {
    const agent = await signedInAgent(t.app, admin.email, admin.password);
    const missing = await agent.post('/account/tokens').type('form').send({ name: 'x', scopes: 'read', expiresInDays: '5' });
    assert.equal(missing.status, 403);
    const wrong = await agent.post('/account/tokens').type('form').send({ _csrf: 'abc.def', name: 'x', scopes: 'read', expiresInDays: '5' });
    assert.equal(wrong.status, 403);
    const apiNoHeader = await agent.post('/api/v1/manage/tokens').send({ name: 'x', scopes: ['read'] });
    assert.equal(apiNoHeader.status, 403);
    const signInNoToken = await request(t.app).post('/sign-in').type('form').send({ email: admin.email, password: admin.password });
    assert.equal(signInNoToken.status, 403);
    // Another session's token does not work either.
    const other = await signedInAgent(t.app, steward.email, steward.password);
    const otherToken = csrfFrom((await other.get('/account/tokens')).text);
    const crossed = await agent.post('/account/tokens').type('form').send({ _csrf: otherToken, name: 'x', scopes: 'read', expiresInDays: '5' });
    assert.equal(crossed.status, 403);
    assert.equal(await t.db('api_tokens').where({ name: 'x' }).first(), undefined);
    const ok = await postForm(agent, '/account/tokens', '/account/tokens', { name: 'x', scopes: 'read', expiresInDays: '5' });
    assert.equal(ok.status, 201);
  });

  it('does not reveal which emails have accounts (same status and body, similar timing)', async () => {
    const attempt = async (email: string) => {
      const agent = request.agent(t.app);
      const form = await agent.get('/sign-in');
      const started = process.hrtime.bigint();
      const res = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email, password: 'wrong password 123' });
      return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const known = await attempt(admin.email);
    const unknown = await attempt('nobody@example.gov.uk');
    assert.equal(known.res.status, 401);
    assert.equal(unknown.res.status, 401);
    const strip = (html: string) => html.replace(/name="_csrf" value="[^"]+"/, '').replace(/value="[^"]*@example.gov.uk"/, '').replace(/<span class="plaza-monospace">[^<]*<\/span>/, '');
    assert.equal(strip(known.res.text), strip(unknown.res.text));
    // Both paths run argon2 once; timings within a generous factor on a shared CI machine.
    const times: number[][] = [[], []];
    for (let i = 0; i < 5; i++) {
      times[0].push((await attempt(admin.email)).ms);
      times[1].push((await attempt('nobody@example.gov.uk')).ms);
    }
    // Both paths run one argon2 verification; the rest (one audit append) is the same too.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2];
    const diff = Math.abs(median(times[0]) - median(times[1]));
    assert.ok(diff < 25, `median sign-in times differ by ${diff} ms (${median(times[0])} vs ${median(times[1])})`);
    assert.ok(await t.db('audit_log').where({ action: 'auth.login_failed', object_id: String(admin.id) }).first());
  });

  it('disabling a user ends their sessions and tokens at once', async () => {
    const victim = await makeUser(t.db, t.config, { email: 'leaver@example.gov.uk', role: 'researcher' });
    const agent = await signedInAgent(t.app, victim.email, victim.password);
    const token = await tokenFor(t.db, victim);
    assert.equal((await agent.get('/account.json')).status, 200);
    assert.equal((await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${token}`)).status, 200);
    const adminAgent = await signedInAgent(t.app, admin.email, admin.password);
    const res = await postForm(adminAgent, `/admin/users/${victim.id}`, `/admin/users/${victim.id}/disable`, {});
    assert.equal(res.status, 303);
    assert.equal((await agent.get('/account.json')).status, 401);
    assert.equal((await request(t.app).get('/api/v1/manage/tokens').set('Authorization', `Bearer ${token}`)).status, 401);
    assert.equal(Number(((await t.db('sessions').where({ user_id: victim.id }).count({ n: '*' }).first()) as { n: number }).n), 0);
    // A disabled account cannot sign in, with the same answer as a wrong password.
    const form = await request.agent(t.app).get('/sign-in');
    const again = request.agent(t.app);
    const f = await again.get('/sign-in');
    const signIn = await again.post('/sign-in').type('form').send({ _csrf: csrfFrom(f.text), email: victim.email, password: victim.password });
    assert.equal(signIn.status, 401);
    assert.ok(form.status === 200);
    const entry = (await t.db('audit_log').where({ action: 'user.disabled', object_id: String(victim.id) }).first()) as { details: string };
    assert.deepEqual(JSON.parse(entry.details), { sessionsEnded: 1, tokensRevoked: 1 });
  });

  it('lets researchers register without revealing existing emails, and ignores role fields (mass assignment)', async () => {
    const register = async (fields: Record<string, string>) => postForm(request.agent(t.app), '/register', '/register', fields);
    const fresh = await register({ email: 'new@example.org', displayName: 'New', password: goodPassword, confirm: goodPassword });
    const dup = await register({ email: admin.email, displayName: 'Dup', password: goodPassword, confirm: goodPassword });
    assert.equal(fresh.status, 200);
    assert.equal(dup.status, 200);
    const norm = (s: string) => s.replace(/<span class="plaza-monospace">[^<]*<\/span>/, '');
    assert.equal(norm(fresh.text), norm(dup.text));
    const created = (await t.db('users').where({ email: 'new@example.org' }).first()) as { role: string };
    assert.equal(created.role, 'researcher');
    const sneaky = await register({ email: 'sneaky@example.org', displayName: 'S', password: goodPassword, confirm: goodPassword, role: 'admin' });
    assert.equal(sneaky.status, 400);
    assert.equal(await t.db('users').where({ email: 'sneaky@example.org' }).first(), undefined);
    const short = await register({ email: 'short@example.org', displayName: 'S', password: 'elevenchars', confirm: 'elevenchars' });
    assert.equal(short.status, 400);
    assert.match(short.text, /12 characters or more/);
    assert.match(short.text, /href="#password"/);
  });

  it('password links work once', async () => {
    const { linkPath } = await createUser(t.db, systemContext(systemActor), { email: 'link@example.gov.uk', displayName: 'L', role: 'admin', publisherIds: [] });
    const agent = request.agent(t.app);
    const page = await agent.get(linkPath);
    assert.equal(page.status, 200);
    const set = await agent.post(linkPath).type('form').send({ _csrf: csrfFrom(page.text), password: goodPassword, confirm: goodPassword });
    assert.equal(set.status, 200);
    assert.equal((await agent.get(linkPath)).status, 404);
    await signedInAgent(t.app, 'link@example.gov.uk', goodPassword);
  });
});
