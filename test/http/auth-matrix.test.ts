import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createAuthTestApp, makeUser, postForm, publisherIdsBySlug, signedInAgent, tokenFor } from '../helpers/auth-fixtures';

/**
 * Roles × resources × routes: every way of naming a private resource (HTML page, `.json` twin,
 * API, trailing slash, percent-encoding, letter case, HEAD) answers the same for each caller:
 * allowed → 200; not allowed → 404 with the same body as a resource that does not exist;
 * anonymous → sign in (pages) or 401 (JSON/API) before anything is looked up.
 */

type App = Awaited<ReturnType<typeof createAuthTestApp>>;
type Caller = 'anonymous' | 'researcher' | 'stewardA' | 'stewardB' | 'admin' | 'tokenA';

const mine = 'household-smart-meter-readings'; // Anytown Energy Partnership (steward A)
const theirs = 'adult-social-care-service-users'; // Adult Social Care (steward B)
const missing = 'no-such-dataset';

const encodeFirst = (slug: string) => '%' + slug.charCodeAt(0).toString(16) + slug.slice(1);

/** Every spelling of a dataset's private URLs, and whether it is a machine (JSON/API) URL. */
function variants(slug: string): Array<{ url: string; machine: boolean }> {
  return [
    { url: `/manage/datasets/${slug}`, machine: false },
    { url: `/manage/datasets/${slug}/`, machine: false },
    { url: `/manage/datasets/${encodeFirst(slug)}`, machine: false },
    { url: `/MANAGE/Datasets/${slug}`, machine: false },
    { url: `/manage/datasets/${slug}.json`, machine: true },
    { url: `/manage/datasets/${encodeFirst(slug)}.json`, machine: true },
    { url: `/api/v1/manage/datasets/${slug}`, machine: true },
    { url: `/api/v1/manage/datasets/${slug}/`, machine: true },
    { url: `/api/v1/manage/datasets/${encodeFirst(slug)}`, machine: true },
  ];
}

const canSee: Record<Caller, string[]> = {
  anonymous: [],
  researcher: [],
  stewardA: [mine],
  stewardB: [theirs],
  admin: [mine, theirs],
  tokenA: [mine],
};

describe('authorization matrix', () => {
  let t: App;
  const agents = {} as Record<Caller, TestAgent>;
  let tokenA = '';

  before(async () => {
    t = await createAuthTestApp({ demo: true, env: { LOGIN_MAX_PER_ACCOUNT: '1000', LOGIN_MAX_PER_IP: '1000' } });
    const pubs = await publisherIdsBySlug(t.db);
    const users = {
      researcher: await makeUser(t.db, t.config, { email: 'researcher@example.org', role: 'researcher' }),
      stewardA: await makeUser(t.db, t.config, { email: 'a@example.gov.uk', role: 'steward', publisherIds: [pubs.get('anytown-energy-partnership')!] }),
      stewardB: await makeUser(t.db, t.config, { email: 'b@example.gov.uk', role: 'steward', publisherIds: [pubs.get('adult-social-care')!] }),
      admin: await makeUser(t.db, t.config, { email: 'admin@example.gov.uk', role: 'admin' }),
    };
    agents.anonymous = request.agent(t.app);
    for (const [k, u] of Object.entries(users)) agents[k as Caller] = await signedInAgent(t.app, u.email, u.password);
    tokenA = await tokenFor(t.db, users.stewardA, ['read']);
    agents.tokenA = request.agent(t.app).set('Authorization', `Bearer ${tokenA}`) as unknown as TestAgent;
  });
  after(() => t.close());

  const normalise = (res: request.Response) =>
    res.type.includes('json') ? JSON.stringify({ ...res.body, requestId: '' }) : res.text.replace(/<span class="plaza-monospace">[^<]*<\/span>/, '');

  for (const caller of ['anonymous', 'researcher', 'stewardA', 'stewardB', 'admin', 'tokenA'] as Caller[]) {
    it(`${caller}: private dataset URLs (GET and HEAD, every spelling)`, async () => {
      for (const slug of [mine, theirs, missing]) {
        for (const v of variants(slug)) {
          if (caller === 'tokenA' && !v.machine) continue; // tokens are for the API and JSON twins
          for (const method of ['get', 'head'] as const) {
            const res = await agents[caller][method](v.url);
            const label = `${caller} ${method.toUpperCase()} ${v.url}`;
            if (caller === 'anonymous') {
              if (v.machine) assert.equal(res.status, 401, label);
              else {
                assert.equal(res.status, 303, label);
                assert.match(res.headers.location, /^\/sign-in\?next=/, label);
              }
              continue;
            }
            const allowed = canSee[caller].includes(slug);
            assert.equal(res.status, allowed ? 200 : 404, label);
            if (method === 'get' && allowed && v.machine) assert.equal(res.body.slug, slug, label);
            if (method === 'get' && !allowed) {
              const reference = await agents[caller].get(v.url.replace(slug, missing).replace(encodeFirst(slug), missing));
              assert.equal(normalise(res), normalise(reference), `${label}: same body as a missing dataset`);
            }
          }
        }
      }
    });
  }

  it('dataset lists show each steward only their publishers, admins everything, researchers nothing', async () => {
    const slugs = async (caller: Caller, url: string) => {
      const res = await agents[caller].get(url);
      return res.status === 200 ? (res.body.datasets as Array<{ slug: string }>).map((d) => d.slug) : res.status;
    };
    for (const url of ['/manage/datasets.json', '/api/v1/manage/datasets']) {
      const a = (await slugs('stewardA', url)) as string[];
      assert.ok(a.includes(mine) && !a.includes(theirs), url);
      const b = (await slugs('stewardB', url)) as string[];
      assert.ok(b.includes(theirs) && !b.includes(mine), url);
      const all = (await slugs('admin', url)) as string[];
      assert.ok(all.includes(mine) && all.includes(theirs), url);
      assert.equal(await slugs('researcher', url), 404, url);
    }
    assert.equal((await agents.stewardA.get('/manage/datasets')).status, 200);
    assert.equal((await agents.researcher.get('/manage/datasets')).status, 404);
  });

  const adminOnly = ['/admin/users', '/admin/users/', '/admin/users.json', '/Admin/Users', '/admin/users/1', '/admin/users/1.json', '/admin/users/new', '/audit/checkpoints', '/audit/checkpoints.json', '/audit/checkpoints.jsonl', '/audit/public-key.pem'];
  const stewardsAndAdmins = ['/audit', '/audit/', '/audit.json', '/audit/export.csv', '/audit/export.json'];
  const everyone = ['/account', '/account.json', '/account/tokens', '/account/tokens.json'];

  it('admin, steward and account pages: allow or 404 per role (GET and HEAD)', async () => {
    const expect = (caller: Caller, url: string): number => {
      if (caller === 'anonymous') return /\.(json|jsonl|csv|pem)$/.test(url) ? 401 : 303;
      if (adminOnly.includes(url)) return caller === 'admin' ? 200 : 404;
      if (stewardsAndAdmins.includes(url)) return ['admin', 'stewardA', 'stewardB'].includes(caller) ? 200 : 404;
      return 200;
    };
    for (const caller of ['anonymous', 'researcher', 'stewardA', 'admin'] as Caller[]) {
      for (const url of [...adminOnly, ...stewardsAndAdmins, ...everyone]) {
        for (const method of ['get', 'head'] as const) {
          const res = await agents[caller][method](url);
          assert.equal(res.status, expect(caller, url), `${caller} ${method.toUpperCase()} ${url}`);
        }
      }
    }
  });

  it('admin actions by non-admins are 404 even with a valid CSRF token', async () => {
    const target = (await t.db('users').where({ email: 'researcher@example.org' }).first('id')) as { id: number };
    for (const caller of ['researcher', 'stewardA'] as Caller[]) {
      for (const action of ['disable', 'enable', 'password-link', 'access']) {
        const res = await postForm(agents[caller], '/account/tokens', `/admin/users/${target.id}/${action}`, { role: 'admin', publishers: '1' });
        assert.equal(res.status, 404, `${caller} ${action}`);
      }
      const create = await postForm(agents[caller], '/account/tokens', '/admin/users', { email: 'evil@example.org', displayName: 'E', role: 'admin' });
      assert.equal(create.status, 404);
    }
    assert.equal(((await t.db('users').where({ id: target.id }).first('role')) as { role: string }).role, 'researcher');
    assert.equal(await t.db('users').where({ email: 'evil@example.org' }).first(), undefined);
  });

  it('a read token cannot do what needs the manage scope', async () => {
    const res = await request(t.app).post('/api/v1/manage/tokens').set('Authorization', `Bearer ${tokenA}`).send({ name: 'n', scopes: ['read'] });
    assert.equal(res.status, 404);
  });
});
