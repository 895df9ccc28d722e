import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { insertDataset, getDatasetById } from '../src/catalogue/dataset.repository';
import { createPublisher, createTheme } from '../src/catalogue/reference.repository';
import { createDb, type Db } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrate';
import { publishRelease } from '../src/publishing/publish.service';
import { writePublicSnapshot } from '../src/publishing/publication.repository';
import { Rng } from '../seeds/lib/rng';
import { load, printTable, startBenchServer } from './lib/bench-util';

/**
 * bench:catalogue — 10,000 datasets with a realistic vocabulary; autocannon (10 connections, 20 s)
 * against the search page with facets for a term in ~1% of datasets, the same search as JSON, and
 * a dataset page, each compared with a bare Express route in the same server process; on SQLite
 * and PostgreSQL. Options: BENCH_DURATION (s), BENCH_DATASETS, BENCH_PG (URL, '' to skip).
 */

const total = Number(process.env.BENCH_DATASETS ?? 10_000);
const duration = Number(process.env.BENCH_DURATION ?? 20);
const pgUrl = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const rareTerm = 'allotment';

const topics = ['air quality', 'parking', 'traffic', 'recycling', 'street lighting', 'spending', 'planning applications', 'library visits', 'school places', 'road works', 'noise complaints', 'fly-tipping', 'bus punctuality', 'housing stock', 'council tax', 'footfall', 'cycle counts', 'tree planting', 'flood risk', 'energy use'];
const places = ['Abbey', 'Castle', 'Riverside', 'Northgate', 'Southfields', 'Eastbrook', 'Westmoor', 'Hillcrest', 'Market', 'Parkside', 'Station', 'Meadowbank', 'town centre', 'borough'];
const periods = ['2019', '2020', '2021', '2022', '2023', '2024', '2025', '2026', 'monthly', 'weekly', 'daily', 'hourly'];
const words = ['counts', 'records', 'measurements', 'locations', 'summary', 'register', 'statistics', 'survey', 'inspections', 'applications', 'requests', 'performance', 'volumes', 'readings'];

export async function seedBench(db: Db): Promise<string> {
  const rng = new Rng(42);
  const publishers: Array<{ id: number }> = [];
  for (let i = 0; i < 25; i++) publishers.push(await createPublisher(db, { slug: `publisher-${i}`, name: `${rng.pick(places)} ${rng.pick(['Department', 'Service', 'Partnership', 'Trust'])} ${i}` }));
  const themes: Array<{ id: number }> = [];
  for (let i = 0; i < 15; i++) themes.push(await createTheme(db, { slug: `theme-${i}`, title: `${topics[i]} theme`.replace(/^./, (c) => c.toUpperCase()) }));
  const licences = ['OGL-UK-3.0', 'CC-BY-4.0', 'CC0-1.0', 'ODbL-1.0'];
  let pageSlug = '';
  const batch = 500;
  for (let start = 0; start < total; start += batch) {
    await db.transaction(async (trx) => {
      for (let i = start; i < Math.min(total, start + batch); i++) {
        const topic = rng.pick(topics);
        const rare = i % 100 === 7;
        const title = `${topic.replace(/^./, (c) => c.toUpperCase())} ${rng.pick(words)}: ${rng.pick(places)} ${rng.pick(periods)}${rare ? ` ${rareTerm}s` : ''}`;
        const description = Array.from({ length: 40 }, () => rng.pick([...words, ...places, ...topics, 'the', 'and', 'of', 'for', 'data', 'council'])).join(' ') + (rare ? ` Includes ${rareTerm} sites.` : '');
        const id = await insertDataset(trx, {
          slug: `dataset-${i}`,
          title,
          summary: `${title} published by the council.`,
          description,
          publisherId: rng.pick(publishers).id,
          licenceId: rng.pick(licences),
          updateFrequency: rng.pick(['daily', 'monthly', 'annual']),
          temporalStart: null,
          temporalEnd: null,
          spatialCoverage: 'Anytown',
          contactName: null,
          contactEmail: null,
          sensitivityLevel: 'public',
          listMetadataOnly: false,
          accessRequest: '',
          themeIds: [rng.pick(themes).id, rng.pick(themes).id].filter((v, k, a) => a.indexOf(v) === k),
          keywords: [topic, rng.pick(words), rng.pick(places).toLowerCase()],
        });
        const record = (await getDatasetById(trx, id))!;
        await writePublicSnapshot(trx, record, {
          latestReleaseId: null,
          metadataOnly: false,
          formats: ['CSV', 'JSON', 'NDJSON'],
          publishedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        });
        if (i === 1234) pageSlug = record.slug;
      }
    });
  }
  const page = (await db('datasets').where({ slug: pageSlug }).first('id')) as { id: number };
  const rows = Array.from({ length: 200 }, (_, i) => [`S${i}`, i, rng.next() * 100, `2026-10-${String((i % 28) + 1).padStart(2, '0')}`]);
  await publishRelease(db, {
    datasetId: page.id,
    columns: [
      { name: 'site', type: 'string' },
      { name: 'count', type: 'integer' },
      { name: 'value', type: 'number' },
      { name: 'day', type: 'date' },
    ],
    batches: [rows],
    actor: 'system',
  });
  return pageSlug;
}

async function benchOne(label: string, url: string, schema?: string) {
  const db = await createDb(url, { schema });
  await migrateLatest(db);
  const t0 = Date.now();
  const slug = await seedBench(db);
  const matches = Number((await db('pub_datasets').where('title', 'like', `%${rareTerm}%`).count({ n: '*' }))[0].n);
  console.log(`\n[${label}] seeded ${total} datasets in ${((Date.now() - t0) / 1000).toFixed(1)} s; "${rareTerm}" is in ${matches} titles`);
  await db.destroy();

  await measure(label, url, schema, slug, true);
  await measure(label, url, schema, slug, false);
}

async function measure(label: string, url: string, schema: string | undefined, slug: string, cached: boolean) {
  const server = await startBenchServer('bench/catalogue-server.ts', {
    BENCH_DATABASE_URL: url,
    BENCH_PG_SCHEMA: schema ?? '',
    PLAZA_SEARCH_CACHE: cached ? '500' : '0',
  });
  const base = `http://127.0.0.1:${server.port}`;
  const opts = { connections: 10, duration };
  const title = `[${label}, search cache ${cached ? 'on' : 'off'}]`;
  try {
    // Warm up caches and the JIT.
    await load('warm-up', `${base}/datasets?q=${rareTerm}`, { connections: 4, duration: 2 });
    const bare = await load('bare Express route', `${base}/__bare`, opts);
    const results = [
      await load(`search page with facets (/datasets?q=${rareTerm})`, `${base}/datasets?q=${rareTerm}`, opts),
      await load(`search JSON (/datasets.json?q=${rareTerm})`, `${base}/datasets.json?q=${rareTerm}`, opts),
      ...(cached
        ? [
            await load('dataset page', `${base}/datasets/${slug}`, opts),
            await load('browse all (/datasets, no query, facets over all)', `${base}/datasets`, opts),
          ]
        : []),
    ];
    const rss = ((await (await fetch(`${base}/__rss`)).json()) as { rss: number }).rss;
    printTable(`${title} ${total} datasets, 10 connections, ${duration} s each`, bare, results);
    console.log(`${title} server RSS after the run: ${(rss / 1024 / 1024).toFixed(0)} MB`);
    console.log(
      `${title} targets: search page ≥ 0.10 of bare → ${(results[0].reqPerSec / bare.reqPerSec).toFixed(3)}; JSON ≥ 0.20 → ${(results[1].reqPerSec / bare.reqPerSec).toFixed(3)}; p99 < 50 ms → ${results[0].p99} / ${results[1].p99} ms; RSS < 150 MB → ${(rss / 1024 / 1024).toFixed(0)} MB`,
    );
  } finally {
    await server.stop();
  }
}

async function main() {
  console.log(`bench:catalogue on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-bench-'));
  await benchOne('SQLite', 'sqlite:' + path.join(dir, 'bench.db'));
  if (pgUrl) {
    const schema = 'bench_' + crypto.randomBytes(4).toString('hex');
    try {
      await benchOne('PostgreSQL', pgUrl, schema);
    } finally {
      const db = await createDb(pgUrl);
      await db.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.destroy();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
