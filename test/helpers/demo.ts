/**
 * What the demo city seeds, in one place: tests compare against these figures instead of
 * repeating literals, so a change to the seed changes one line here.
 */
export const demoCatalogue = {
  /** Entries in the public catalogue (published releases and description-only listings). */
  publicDatasets: 13,
  /** Private sources of restricted datasets. */
  privateSources: 4,
} as const;
