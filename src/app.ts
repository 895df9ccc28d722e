import crypto from 'node:crypto';
import compression from 'compression';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from './config';
import type { Db } from './db/knex';
import { formatBytes, formatDate, formatDateTime, formatNumber, frequencyLabels, levelLabels } from './http/format';
import { renderMarkdown } from './http/markdown';
import { mountAccounts } from './http/middleware/auth-stack';
import { errorHandler, notFoundHandler } from './http/middleware/error-handler';
import { parseQueryString, requestLimits } from './http/middleware/request-limits';
import { assetsRouter } from './http/routes/assets.routes';
import { classificationRouter } from './http/routes/classification.routes';
import { policyEditorRouter } from './http/routes/policy-editor.routes';
import { apiRouter } from './http/routes/api.routes';
import { ckanRouter } from './http/routes/ckan.routes';
import { downloadsRouter } from './http/routes/downloads.routes';
import { importRouter, uploadIntake } from './http/routes/import.routes';
import { feedsRouter } from './http/routes/feeds.routes';
import { publicPagesRouter } from './http/routes/public-pages.routes';
import { configureSearchCache } from './catalogue/public-catalogue.repository';
import { sourcesRouter } from './http/routes/sources.routes';
import { streamsIngestRouter } from './http/routes/streams-ingest.routes';
import { streamsManageRouter } from './http/routes/streams-manage.routes';
import { streamsPublicRouter } from './http/routes/streams-public.routes';
import { StreamIngest } from './streams/ingest.service';
import { urls, withQuery } from './http/urls';
import { releaseWorkflowRouter } from './http/routes/release-workflow.routes';
import type { Logger } from './logger';
import { fromRoot } from './paths';

/** Everything the app needs from outside; tests pass their own. */
export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
}

const requestIdPattern = /^[A-Za-z0-9._-]{8,64}$/;

/** Builds the Express application (no listen): config → middleware → routes → error handler. */
export function createApp(deps: AppDeps): Express {
  const { config, db, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', parseQueryString);
  app.set('view engine', 'ejs');
  app.set('views', fromRoot('views'));
  app.set('view cache', config.env !== 'development');
  app.locals.urls = urls;
  app.locals.withQuery = withQuery;
  app.locals.h = { formatDate, formatDateTime, formatNumber, formatBytes, levelLabels, frequencyLabels, renderMarkdown };
  app.locals.serviceName = 'Anytown Open Data';

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    }),
  );
  app.use(requestLimits);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          ...(config.baseUrl.startsWith('https:') ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: config.baseUrl.startsWith('https:'),
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(compression());
  app.use((req, res, next) => {
    res.locals.requestId = String(req.id);
    res.locals.currentPath = req.path;
    next();
  });
  app.use(assetsRouter());
  // Sensor ingest: devices authenticate with their own signed credentials (no session, no per-IP limit for people).
  const streamIngest = new StreamIngest(db, config.secret, config.streams, logger);
  app.locals.streamIngest = streamIngest;
  // One search cache per database, shared by the pages, /api/v1 and CKAN (PLAZA_SEARCH_CACHE).
  configureSearchCache(db, config.searchCacheSize);
  app.use(streamsIngestRouter({ ingest: streamIngest, config: config.streams }));
  app.use(uploadIntake());
  mountAccounts(app, { db, config });
  app.use(importRouter({ db, config }), sourcesRouter({ db, config }), classificationRouter({ db, config }), policyEditorRouter({ db, config }));
  app.use(releaseWorkflowRouter({ db, config }));
  app.use(streamsManageRouter({ db, config, ingest: streamIngest }), streamsPublicRouter({ db, baseUrl: config.baseUrl }));
  app.use(downloadsRouter({ db, config, logger }));
  app.use(feedsRouter({ db, baseUrl: config.baseUrl }));
  app.use(apiRouter({ db, baseUrl: config.baseUrl }));
  app.use(ckanRouter({ db, baseUrl: config.baseUrl }));
  app.use(publicPagesRouter({ db, baseUrl: config.baseUrl }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
