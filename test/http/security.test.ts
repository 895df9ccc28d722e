import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../src/http/middleware/error-handler';
import { createTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

describe('security baseline', () => {
  test('strict Content-Security-Policy without inline script or style, and other helmet headers', async () => {
    const res = await request(t.app).get('/').expect(200);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.doesNotMatch(res.text, /\sstyle="/, 'no inline style attributes');
    assert.doesNotMatch(res.text, /\son[a-z]+="/, 'no inline event handlers');
  });

  test('responses are compressed when the client accepts gzip', async () => {
    const res = await request(t.app).get('/datasets/air-quality-hourly').set('Accept-Encoding', 'gzip').expect(200);
    assert.equal(res.headers['content-encoding'], 'gzip');
  });

  test('an unexpected error shows no stack trace, SQL or path — only a reference', async () => {
    const app = express();
    app.set('view engine', 'ejs');
    app.set('views', path.resolve(__dirname, '../../views'));
    Object.assign(app.locals, t.app.locals);
    app.use((req, res, next) => {
      (req as unknown as { id: string }).id = 'req-123';
      res.locals.currentPath = req.path;
      next();
    });
    app.get('/boom', () => {
      throw new Error('SELECT * FROM secret_table WHERE x = 1 at /work/main/src/secret.ts:12');
    });
    app.get('/api/boom', () => {
      throw new Error('SELECT * FROM secret_table at /work/main/src/secret.ts:12');
    });
    app.use(errorHandler);
    const html = await request(app).get('/boom').expect(500);
    assert.doesNotMatch(html.text, /secret_table|\/work\/main|at [A-Za-z]+ \(/);
    assert.match(html.text, /Sorry, there is a problem with the service/);
    assert.match(html.text, /req-123/);
    const json = await request(app).get('/api/boom').expect(500);
    assert.deepEqual(json.body, { error: { code: 'internal_error', message: 'Sorry, something went wrong on our side' }, status: 500, requestId: 'req-123' });
  });

  test('EJS render options never come from the request', async () => {
    const res = await request(t.app).get('/datasets?settings[view options][client]=1&settings[view options][escapeFunction]=1;process.exit()').expect(200);
    assert.match(res.text, /<h1 class="govuk-heading-xl">Datasets<\/h1>/);
    const res2 = await request(t.app).get('/?settings[view options][outputFunctionName]=x;process.exit(1);//').expect(200);
    assert.match(res2.text, /Find open data/);
  });

  test('a client-supplied request id is echoed only when it is well-formed', async () => {
    const good = await request(t.app).get('/').set('X-Request-Id', 'abc12345-trace').expect(200);
    assert.equal(good.headers['x-request-id'], 'abc12345-trace');
    const bad = await request(t.app).get('/').set('X-Request-Id', '<script>alert(1)</script>').expect(200);
    assert.match(String(bad.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('robots.txt keeps crawlers out of management pages', async () => {
    const res = await request(t.app).get('/robots.txt').expect(200);
    assert.match(res.text, /Disallow: \/manage\//);
  });
});
