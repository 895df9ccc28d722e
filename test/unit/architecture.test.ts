import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fromRoot } from '../../src/paths';

/** Structural rules from docs/architecture.md, checked on the source tree. */

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const importPattern = /(?:import|export)\s[^'"]*?from\s+'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g;

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(importPattern)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base + '.ts', path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}

/** Every local module reachable from a file. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const spec of importsOf(file)) {
    const target = resolveLocal(file, spec);
    if (target) closure(target, seen);
  }
  return seen;
}

const src = fromRoot('src');
const rel = (p: string) => path.relative(fromRoot(), p);

/** Modules that read or write the private side. */
const privateModules = [
  'src/catalogue/dataset.repository.ts',
  'src/ingest/source.repository.ts',
  'src/publishing/release.repository.ts',
  'src/publishing/publication.repository.ts',
];

/** Entry points of the public side: everything anonymous users can reach. */
const publicEntryPoints = [
  'src/http/routes/public-pages.routes.ts',
  'src/catalogue/public-catalogue.repository.ts',
  ...walk(fromRoot('src/feeds')).map(rel),
  ...walk(fromRoot('src/downloads')).map(rel),
].filter((f) => fs.existsSync(fromRoot(f)));

describe('architecture', () => {
  test('public code paths never reach private repositories', () => {
    assert.ok(publicEntryPoints.length >= 2);
    for (const entry of publicEntryPoints) {
      const reach = [...closure(fromRoot(entry))].map(rel);
      for (const p of privateModules) assert.ok(!reach.includes(p), `${entry} reaches ${p}`);
    }
  });

  test('public SQL names no private table', () => {
    const privateTables = /\b(from|join|into|update)\s+[`"']?(datasets|dataset_themes|dataset_keywords|sources|releases|raw_\d+)\b|\(\s*'(datasets|sources|releases|dataset_themes|dataset_keywords)'\s*\)/i;
    for (const entry of publicEntryPoints) {
      const text = fs.readFileSync(fromRoot(entry), 'utf8');
      assert.doesNotMatch(text, privateTables, entry);
    }
    const search = fs.readFileSync(fromRoot('src/db/catalogue-search.ts'), 'utf8');
    assert.doesNotMatch(search, privateTables);
  });

  test('only repositories and src/db import knex', () => {
    for (const file of walk(src)) {
      const r = rel(file);
      if (r.startsWith('src/db/') || r.endsWith('.repository.ts')) continue;
      const knexImports = importsOf(file).filter((s) => s === 'knex' || s.startsWith('knex/'));
      const typeOnly = fs.readFileSync(file, 'utf8').match(/import type [^;]+ from 'knex'/g) ?? [];
      assert.ok(knexImports.length <= typeOnly.length, `${r} imports knex`);
    }
  });

  test('source files stay small', () => {
    for (const file of walk(src)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n').length;
      assert.ok(lines <= 600, `${rel(file)} has ${lines} lines`);
    }
  });
});
