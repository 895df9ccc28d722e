import path from 'node:path';
import express, { Router } from 'express';
import { fromRoot } from '../../paths';

/** Where govuk-frontend's precompiled CSS, JS and assets live. */
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist', 'govuk');

/**
 * Static files from our own origin (no CDN): govuk-frontend's stylesheet, JS module, fonts and
 * images, and Plaza's own CSS and JS under /public.
 */
export function assetsRouter(): Router {
  const router = Router();
  const long = { maxAge: '7d', index: false as const, fallthrough: true };
  router.use('/assets', express.static(path.join(govukDist, 'assets'), long));
  router.get('/stylesheets/govuk-frontend.min.css', (_req, res) => {
    res.sendFile(path.join(govukDist, 'govuk-frontend.min.css'), { maxAge: '1d' });
  });
  router.get('/javascripts/govuk-frontend.min.js', (_req, res) => {
    res.sendFile(path.join(govukDist, 'govuk-frontend.min.js'), { maxAge: '1d' });
  });
  router.use('/public', express.static(fromRoot('public'), { maxAge: '1h', index: false }));
  router.get('/favicon.ico', (_req, res) => {
    res.sendFile(path.join(govukDist, 'assets', 'images', 'favicon.ico'), { maxAge: '7d' });
  });
  router.get('/robots.txt', (_req, res) => {
    res.type('text/plain').send('User-agent: *\nDisallow: /manage/\nDisallow: /api/v1/manage/\n');
  });
  return router;
}
