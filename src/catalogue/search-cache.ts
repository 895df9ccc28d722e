import type { SearchQuery, SearchResult } from './catalogue.types';

/**
 * A small LRU cache of search results for one database. The public catalogue changes only when
 * something is published, which bumps the catalogue generation; entries are keyed by generation,
 * so a publish makes every older entry unreachable at once, on every app instance. A TTL bounds
 * staleness of values that change without a publish (download counts).
 */
export class SearchCache {
  private readonly entries = new Map<string, { at: number; result: SearchResult }>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The cache key of a query at a catalogue generation. */
  static key(generation: number, q: SearchQuery): string {
    return `${generation}|${q.q}|${q.sort}|${q.page}|${q.perPage}|${JSON.stringify(q.filters)}`;
  }

  /** A fresh cached result, or undefined. */
  get(key: string): SearchResult | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    if (this.now() - hit.at > this.ttlMs) return undefined;
    this.entries.set(key, hit);
    return hit.result;
  }

  /** Stores a result, evicting the least recently used entry when full. */
  set(key: string, result: SearchResult): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { at: this.now(), result });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }
}
