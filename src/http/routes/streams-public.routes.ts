import path from 'node:path';
import { Router } from 'express';
import { findPublicRelease, previewRows } from '../../catalogue/public-catalogue.repository';
import type { Db } from '../../db/knex';
import { NotFoundError } from '../../errors';
import { getLiveStream, listLiveStreams, publicStreamDevices, publicStreamRecentReadings, type LiveStream } from '../../streams/live.repository';
import { latestPerDevice, positions, seriesOf } from '../../streams/live-view';
import { page } from '../page';
import { slugSchema } from '../schemas/query-params';
import { absolute, urls } from '../urls';

/**
 * Public live pages of sensor streams: `/streams` and `/streams/:slug` (with `.json` twins). A
 * public stream shows each device's latest reading, a chart of the last hours (uPlot, served from
 * our origin) and where the devices are; every stream links to its releases. A personal stream
 * shows only its published protected aggregates: no device, position or reading of it is read here.
 */

/** How far back the live chart looks. */
const liveWindowMs = 3 * 3600_000;
const uplotDist = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');

function downloads(baseUrl: string, s: LiveStream) {
  const d = (slug: string) => ({ page: absolute(baseUrl, urls.dataset(slug)), csv: absolute(baseUrl, urls.download(slug, 'latest', 'csv')), json: absolute(baseUrl, urls.download(slug, 'latest', 'json')) });
  return { rollups: d(s.slug), readings: s.readingsSlug ? d(s.readingsSlug) : null };
}

/** The routes. */
export function streamsPublicRouter(deps: { db: Db; baseUrl: string }): Router {
  const { db, baseUrl } = deps;
  const router = Router();
  router.get('/vendor/uplot/uPlot.iife.min.js', (_req, res) => res.sendFile(path.join(uplotDist, 'uPlot.iife.min.js'), { maxAge: '1d' }));
  router.get('/vendor/uplot/uPlot.min.css', (_req, res) => res.sendFile(path.join(uplotDist, 'uPlot.min.css'), { maxAge: '1d' }));

  page(router, '/streams', async () => {
    const streams = await listLiveStreams(db);
    return {
      view: 'streams/list',
      title: 'Live sensor streams',
      locals: { streams },
      json: { streams: streams.map((s) => ({ slug: s.slug, title: s.title, summary: s.summary, level: s.level, url: absolute(baseUrl, `/streams/${s.slug}`), downloads: downloads(baseUrl, s) })) },
    };
  });

  page(router, '/streams/:slug', async (req) => {
    const parsed = slugSchema.safeParse(req.params.slug);
    const stream = parsed.success ? await getLiveStream(db, parsed.data) : undefined;
    if (!stream) throw new NotFoundError('Stream not found');
    const latestRelease = await findPublicRelease(db, stream.slug, 'latest');
    const aggregates = latestRelease && stream.level === 'personal' ? await previewRows(db, latestRelease.release, 50) : [];
    let devices: ReturnType<typeof latestPerDevice> = [];
    let series: ReturnType<typeof seriesOf> = { times: [], values: {} };
    if (stream.level === 'public') {
      const live = await publicStreamDevices(db, stream.id);
      const readings = await publicStreamRecentReadings(db, stream.id, Date.now() - liveWindowMs);
      devices = latestPerDevice(live, readings);
      series = seriesOf(stream.measures, readings, 5 * 60_000);
    }
    const json = {
      stream: { slug: stream.slug, title: stream.title, summary: stream.summary, level: stream.level, measures: stream.measures, intervals: stream.intervals },
      devices: devices.map((d) => ({ key: d.key, label: d.label, lat: d.lat, lon: d.lon, latest: d.latest })),
      series,
      latestRelease: latestRelease ? { version: latestRelease.release.version, publishedAt: latestRelease.release.publishedAt, rows: latestRelease.release.rowCount, notes: latestRelease.release.notes, statement: latestRelease.release.statement } : null,
      downloads: downloads(baseUrl, stream),
    };
    return {
      view: 'streams/live',
      title: stream.title,
      locals: { stream, devices, series, map: positions(devices, 320, 240), latestRelease, aggregates, links: json.downloads },
      json,
    };
  });
  return router;
}
