/**
 * What the demo city seeds, in one place: tests compare against these figures instead of
 * repeating literals, so a change to the seed changes one line here.
 */

/** Open datasets seeded with a first release. */
const openDatasets = 13;
/** Restricted datasets the seed publishes as protected releases or description-only entries. */
const protectedEntries = 0;
/** Sensor streams listed in the catalogue. */
const streamEntries = 0;

export const demoCatalogue = {
  /** Entries in the public catalogue (published releases and description-only listings). */
  publicDatasets: openDatasets + protectedEntries + streamEntries,
  /** Private sources of restricted datasets. */
  privateSources: 4,
} as const;
