import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { csrfFrom } from '../helpers/auth-fixtures';
import { hostilePages, reflectedPages, seedHostileCatalogue, shortPayload, type HostileCatalogue } from '../helpers/hostile';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * Hostile input at the HTTP level (both databases): the HTML the server sends for a dataset whose
 * every field carries an XSS payload contains no markup the payloads tried to inject, and EJS
 * render options can never be supplied by the request (the browser suite, xss.e2e.ts, renders the
 * same pages in chromium). Extends the basic render-options check in security.test.ts.
 */

let t: TestApp;
let hostile: HostileCatalogue;
before(async () => {
  t = await createTestApp();
  hostile = await seedHostileCatalogue(t.db);
});
after(() => t.close());

const decode = (s: string) =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16))).replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** Every real tag in an HTML document with its parsed attributes (escaped text has no `<`). */
function tags(html: string): Array<{ name: string; attrs: Array<[string, string]>; raw: string }> {
  const out: Array<{ name: string; attrs: Array<[string, string]>; raw: string }> = [];
  const body = html.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of body.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g)) {
    const attrs: Array<[string, string]> = [];
    for (const a of m[2].matchAll(/([^\s"'>/=]+)(?:\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) attrs.push([a[1].toLowerCase(), decode(a[3] ?? a[4] ?? a[5] ?? '')]);
    out.push({ name: m[1].toLowerCase(), attrs, raw: m[0].slice(0, 160) });
  }
  return out;
}

/** Markup in a page that could run script: event handlers, foreign scripts, script URLs, embeds. */
function injected(html: string): string[] {
  const problems: string[] = [];
  for (const tag of tags(html)) {
    if (tag.name === 'script' && !tag.attrs.some(([k, v]) => k === 'src' && v === '/public/app.js')) problems.push(tag.raw);
    if (['iframe', 'object', 'embed', 'base', 'svg', 'img', 'style', 'math', 'details', 'input', 'textarea'].includes(tag.name)) {
      // Our own markup uses some of these: svg icons are aria-hidden, inputs belong to forms.
      const ours = (tag.name === 'svg' && tag.attrs.some(([k, v]) => k === 'aria-hidden' && v === 'true')) || (tag.name === 'input' && tag.attrs.some(([k]) => k === 'class' || k === 'type'));
      if (!ours) problems.push(tag.raw);
    }
    for (const [k, v] of tag.attrs) {
      if (k.startsWith('on') || k === 'style' || k === 'srcdoc') problems.push(`${k} in ${tag.raw}`);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(k) && !/^(https?:|mailto:|\/|#|\?|$)/i.test(v.trim())) problems.push(`${k}=${v} in ${tag.raw}`);
      if (tag.name === 'meta' && k === 'http-equiv') problems.push(tag.raw);
    }
  }
  return problems;
}

describe('stored hostile input', () => {
  test('the markup checker itself flags what it should', () => {
    assert.equal(injected('<p>&lt;img src=x onerror=&#34;a&#34;&gt;</p><script type="module" src="/public/app.js"></script>').length, 0);
    assert.equal(injected('<img src=x onerror="a">').length, 3);
    assert.equal(injected('<a class="govuk-link" href="javascript:a" rel="license">x</a>').length, 1);
    assert.equal(injected('<a href=" JavaScript:a">x</a><script>x</script>').length, 2);
    assert.equal(injected('<div title="x" onmouseover=\'a\'>').length, 1);
  });

  test('every public page showing the hostile dataset sends it as text only', async () => {
    for (const url of hostilePages(hostile)) {
      const res = await request(t.app).get(url).expect(200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.deepEqual(injected(res.text), [], `${url} carries injected markup`);
    }
  });

  test('the payloads are escaped, not dropped', async () => {
    const res = await request(t.app).get(`/datasets/${hostile.datasetSlug}`).expect(200);
    assert.ok(res.text.includes('&lt;script&gt;window.__xss=105&lt;/script&gt;'), 'title escaped');
    assert.ok(res.text.includes('&lt;script&gt;window.__xss=110&lt;/script&gt;'), 'column name escaped');
    assert.ok(res.text.includes('{{constructor.constructor('), 'template syntax passes through as text');
    assert.ok(res.text.includes('&lt;%= 7*7 %&gt;') || res.text.includes('&lt;%= 7*7 %>'), 'EJS syntax in data is not evaluated');
    assert.doesNotMatch(res.text, /\b49\b.*\b49\b/, 'no template evaluated 7*7');
    const escapedShort = shortPayload.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
    assert.ok(res.text.includes(escapedShort), 'short payload escaped');
  });

  test('Markdown in the description keeps safe links and drops script URLs', async () => {
    const res = await request(t.app).get(`/datasets/${hostile.datasetSlug}`).expect(200);
    assert.match(res.text, /<a href="https:\/\/example\.org" rel="nofollow noopener" class="govuk-link">safe link<\/a>/);
    assert.doesNotMatch(res.text, /href="(javascript|vbscript|data):/i);
  });

  test('publisher and licence links with script URLs are not rendered as links', async () => {
    const pub = await request(t.app).get(`/publishers/${hostile.publisherSlug}`).expect(200);
    assert.doesNotMatch(pub.text, /javascript:window\.__xss=102/);
    const ds = await request(t.app).get(`/datasets/${hostile.datasetSlug}`).expect(200);
    assert.doesNotMatch(ds.text, /href="javascript:/i);
  });

  test('the JSON twins carry the payloads verbatim as JSON strings, never as HTML', async () => {
    const res = await request(t.app).get(`/datasets/${hostile.datasetSlug}.json`).expect(200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.match(JSON.stringify(res.body), /<script>window\.__xss=105<\/script>/);
  });
});

describe('reflected hostile input', () => {
  test('query text, bad parameters, unknown paths and `next` are escaped', async () => {
    for (const url of reflectedPages()) {
      const res = await request(t.app).get(url);
      assert.ok(res.status < 500, `${url}: ${res.status}`);
      assert.deepEqual(injected(res.text), [], `${url} reflects injected markup`);
    }
  });
});

describe('EJS render options never come from the request', () => {
  const g = globalThis as { __ejsPwned?: unknown };
  const normalise = (html: string) =>
    html
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'REQ')
      .replace(/name="_csrf" value="[^"]*"/g, 'CSRF')
      .replace(/(href|action)="[^"]*"/g, '$1=""');
  const attacks = [
    'settings[view options][outputFunctionName]=x;globalThis.__ejsPwned=1;//',
    'settings[view options][client]=1&settings[view options][escapeFunction]=(()=>{globalThis.__ejsPwned=2})()',
    'settings[view options][localsName]=x;globalThis.__ejsPwned=3;//',
    'settings[view options][destructuredLocals][]=x=globalThis.__ejsPwned=4',
    'settings[view options][delimiter]=x&settings[view options][openDelimiter]=[&settings[view options][closeDelimiter]=]',
    'settings[view options][strict]=1&settings[view options][_with]=0',
    'settings[view options][debug]=1&settings[view options][compileDebug]=1',
    'settings[views]=/etc&settings[view engine]=txt&cache=0&filename=/etc/passwd&root=/',
    'outputFunctionName=x;globalThis.__ejsPwned=5;//&escapeFunction=x&client=1&async=1',
    '__proto__[outputFunctionName]=x;globalThis.__ejsPwned=6;//&constructor[prototype][client]=1',
  ];

  for (const path of ['/about/privacy', '/datasets?q=air', '/publishers', '/no-such-page', '/sign-in', '/api']) {
    test(`${path}: every known EJS option in the query leaves the page unchanged`, async () => {
      const baseline = await request(t.app).get(path);
      for (const attack of attacks) {
        const sep = path.includes('?') ? '&' : '?';
        const res = await request(t.app).get(path + sep + attack);
        assert.equal(res.status, baseline.status, `${attack}: status`);
        assert.equal(g.__ejsPwned, undefined, `${attack}: code ran on the server`);
        if (!path.startsWith('/datasets')) assert.equal(normalise(res.text), normalise(baseline.text), `${attack}: page changed`);
        else assert.equal(injected(res.text).length, 0);
      }
    });
  }

  test('a form body carrying EJS options (register) has no effect', async () => {
    const agent = request.agent(t.app);
    const form = await agent.get('/register').expect(200);
    const res = await agent
      .post('/register')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrfFrom(form.text))}&displayName=&email=&password=&confirm=` +
          '&settings[view options][outputFunctionName]=x;globalThis.__ejsPwned=7;//&settings[view options][client]=1&outputFunctionName=x;globalThis.__ejsPwned=8;//',
      );
    assert.equal(res.status, 400);
    assert.match(res.text, /There is a problem/);
    assert.equal(g.__ejsPwned, undefined);
    assert.ok(!Object.prototype.hasOwnProperty.call(Object.prototype, 'outputFunctionName'), 'no prototype pollution');
  });

  test('no prototype pollution from the query string', async () => {
    await request(t.app).get('/datasets?__proto__[client]=1&constructor[prototype][outputFunctionName]=x').expect(200);
    assert.equal(({} as Record<string, unknown>).client, undefined);
    assert.equal(({} as Record<string, unknown>).outputFunctionName, undefined);
  });
});
