import crypto from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import type { ColumnSchema } from '../../src/catalogue/table-schema';
import { physicalColumn } from '../../src/db/data-table';
import type { Db } from '../../src/db/knex';

/** A marker that must never appear in a public response. */
export const canaryPrefix = 'CANARYx';

/** Makes a unique canary value. */
export const canary = (label: string) => `${canaryPrefix}${label.replace(/[^A-Za-z0-9]/g, '')}x${crypto.randomBytes(3).toString('hex')}`;

/**
 * Plants canaries everywhere the public must not see: a canary row in every private source table
 * (every text cell a marker), the metadata of every dataset that was never published, and draft
 * edits to the working metadata of published datasets (the public sees the published snapshot).
 */
export async function plantCanaries(db: Db): Promise<string[]> {
  const planted: string[] = [];
  for (const s of await db('sources').select('table_name', 'columns_json')) {
    const columns = JSON.parse(s.columns_json) as ColumnSchema[];
    const row: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      if (c.type === 'string' || c.type === 'date' || c.type === 'datetime') {
        const v = canary(`${s.table_name}${c.name}`);
        planted.push(v);
        row[physicalColumn(i)] = v;
      } else if (c.type === 'boolean') row[physicalColumn(i)] = true;
      else row[physicalColumn(i)] = 4242424242;
    });
    await db(s.table_name).insert(row);
  }
  const published = await db('pub_datasets').pluck('id');
  for (const d of await db('datasets').select('id', 'slug')) {
    const values = { title: canary(`title${d.id}`), summary: canary(`summary${d.id}`), description: canary(`description${d.id}`), contact_email: `${canary(`email${d.id}`)}@example.org`, access_request: canary(`access${d.id}`) };
    planted.push(...Object.values(values));
    await db('datasets').where({ id: d.id }).update(values);
    const keyword = canary(`kw${d.id}`).toLowerCase();
    planted.push(keyword);
    await db('dataset_keywords').insert({ dataset_id: d.id, keyword });
    void published;
  }
  return planted;
}

/** A crawl's findings. */
export interface CrawlReport {
  visited: string[];
  leaks: Array<{ url: string; marker: string }>;
  statuses: Record<string, number>;
}

const linkPattern = /(?:href|src|action)="([^"#]+)"/g;
const sameOrigin = (baseUrl: string, u: string) => u.startsWith('/') && !u.startsWith('//') ? u : u.startsWith(baseUrl) ? u.slice(baseUrl.length) || '/' : undefined;

/**
 * Crawls every public URL reachable from the start URLs (links in HTML, absolute URLs in JSON and
 * Turtle), as the given client, and reports any response that contains a canary.
 */
export async function crawl(
  app: Express,
  baseUrl: string,
  start: string[],
  options: { max?: number; headers?: Record<string, string>; skip?: RegExp } = {},
): Promise<CrawlReport> {
  const max = options.max ?? 600;
  const queue = [...start];
  const seen = new Set<string>(queue);
  const report: CrawlReport = { visited: [], leaks: [], statuses: {} };
  const markerPattern = new RegExp(`${canaryPrefix}[A-Za-z0-9]*`, 'i');
  while (queue.length && report.visited.length < max) {
    const url = queue.shift()!;
    let req = request(app).get(url);
    for (const [k, v] of Object.entries(options.headers ?? {})) req = req.set(k, v);
    const res = await req.buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    report.visited.push(url);
    report.statuses[url] = res.status;
    const text = Buffer.isBuffer(res.body) ? res.body.toString('utf8') : String(res.text ?? '');
    const hit = markerPattern.exec(text) ?? markerPattern.exec(JSON.stringify(res.headers));
    if (hit) report.leaks.push({ url, marker: hit[0] });
    const found = new Set<string>();
    for (const m of text.matchAll(linkPattern)) found.add(m[1].replace(/&amp;/g, '&'));
    for (const m of text.matchAll(/https?:\/\/[^\s"'<>\\)]+/g)) found.add(m[0]);
    for (const raw of found) {
      const path = sameOrigin(baseUrl, raw);
      if (!path || seen.has(path)) continue;
      if (options.skip?.test(path)) continue;
      seen.add(path);
      queue.push(path);
    }
  }
  return report;
}
