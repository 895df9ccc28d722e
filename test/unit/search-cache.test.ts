import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { SearchQuery, SearchResult } from '../../src/catalogue/catalogue.types';
import { SearchCache } from '../../src/catalogue/search-cache';
import { searchTerms } from '../../src/catalogue/search-terms';

const query = (q: string, page = 1): SearchQuery => ({
  q,
  sort: 'relevance',
  page,
  perPage: 20,
  filters: { theme: [], publisher: [], licence: [], format: [], level: [], keyword: [] },
});
const result = (total: number): SearchResult => ({ total, results: [], facets: { theme: [], publisher: [], licence: [], format: [], level: [], keyword: [] }, searchable: true });

describe('search cache', () => {
  test('a new catalogue generation misses; the same generation hits', () => {
    const cache = new SearchCache(10);
    cache.set(SearchCache.key(1, query('air')), result(2));
    assert.equal(cache.get(SearchCache.key(1, query('air')))?.total, 2);
    assert.equal(cache.get(SearchCache.key(2, query('air'))), undefined);
    assert.equal(cache.get(SearchCache.key(1, query('air', 2))), undefined);
  });

  test('entries expire after the TTL', () => {
    let now = 0;
    const cache = new SearchCache(10, 1000, () => now);
    cache.set('k', result(1));
    now = 999;
    assert.ok(cache.get('k'));
    now = 2100;
    assert.equal(cache.get('k'), undefined);
  });

  test('never holds more than its size, and evicts the least recently used', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 100 }), (size, keys) => {
        const cache = new SearchCache(size);
        for (const k of keys) cache.set(k, result(1));
        assert.ok(cache.size <= size);
        if (keys.length) assert.ok(cache.get(keys[keys.length - 1]));
      }),
    );
    const cache = new SearchCache(2);
    cache.set('a', result(1));
    cache.set('b', result(2));
    cache.get('a');
    cache.set('c', result(3));
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('a'));
  });

  test('size 0 caches nothing', () => {
    const cache = new SearchCache(0);
    cache.set('a', result(1));
    assert.equal(cache.get('a'), undefined);
  });
});

describe('search terms', () => {
  test('only letters and digits survive, lower-cased, deduplicated, at most 12', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (q) => {
        const terms = searchTerms(q);
        assert.ok(terms.length <= 12);
        for (const t of terms) assert.match(t, /^[\p{L}\p{N}]{1,40}$/u);
        assert.equal(new Set(terms).size, terms.length);
      }),
    );
    assert.deepEqual(searchTerms("Air-Quality's %_ \"NO2\" OR *"), ['air', 'quality', 's', 'no2', 'or']);
  });
});
