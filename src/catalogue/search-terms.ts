/** Most words of a query that are searched; the rest are ignored. */
export const maxSearchTerms = 12;

/**
 * Splits a free-text query into plain search words (letters and digits only). Everything else —
 * quotes, operators, `%`, `_`, SQL or FTS syntax — is a separator, so user input never reaches a
 * query language.
 */
export function searchTerms(q: string): string[] {
  const words = q.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words.map((w) => w.slice(0, 40)))];
  return unique.slice(0, maxSearchTerms);
}
