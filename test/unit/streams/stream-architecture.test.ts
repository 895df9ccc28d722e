import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fromRoot } from '../../../src/paths';

/**
 * The public live pages of streams never reach a private repository, and read devices and
 * readings only through live.repository.ts, where every such query is limited to public streams.
 */

const importPattern = /(?:import|export)\s[^'"]*?from\s+'([^']+)'/g;
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of fs.readFileSync(file, 'utf8').matchAll(importPattern)) {
    if (!m[1].startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), m[1]);
    const target = [base + '.ts', path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    if (target) closure(target, seen);
  }
  return seen;
}

test('the public stream pages reach no private repository', () => {
  const reach = [...closure(fromRoot('src/http/routes/streams-public.routes.ts'))].map((f) => path.relative(fromRoot(), f));
  for (const p of [
    'src/catalogue/dataset.repository.ts',
    'src/ingest/source.repository.ts',
    'src/publishing/release.repository.ts',
    'src/publishing/publication.repository.ts',
    'src/streams/stream.repository.ts',
    'src/streams/reading.repository.ts',
  ]) {
    assert.ok(!reach.includes(p), `streams-public.routes.ts reaches ${p}`);
  }
  assert.ok(reach.includes('src/streams/live.repository.ts'));
});

test('every query of live.repository.ts on devices or readings is limited to public streams', () => {
  const text = fs.readFileSync(fromRoot('src/streams/live.repository.ts'), 'utf8');
  const queries = text.split(/\bdb\(/).slice(1);
  const touching = queries.filter((q) => /^'stream_(devices|readings)/.test(q));
  assert.ok(touching.length >= 2);
  for (const q of touching) assert.match(q.slice(0, 400), /'s\.level': 'public'/);
  assert.doesNotMatch(text, /from\s+'\.\/(stream|reading)\.repository'/);
});
