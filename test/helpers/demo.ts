/**
 * What the demo city seeds, in one place: tests compare against these figures instead of
 * repeating literals, so a change to the seed changes one line here.
 */

/** Open datasets seeded with a first release. */
const openDatasets = 13;
/** Restricted datasets the seed publishes as protected releases (housing benefit, smart meters, social care). */
const protectedReleases = 3;
/** Confidential datasets listed as a description only (the community safety register). */
const descriptionOnly = 1;
/** Sensor streams listed in the catalogue: the rollups of 3 streams and the raw readings of the 2 public ones. */
const streamEntries = 5;

export const demoCatalogue = {
  /** Entries in the public catalogue (published releases and description-only listings). */
  publicDatasets: openDatasets + protectedReleases + descriptionOnly + streamEntries,
  /** Entries with downloadable data (every entry but the description-only ones). */
  datasetsWithData: openDatasets + protectedReleases + streamEntries,
  /** The restricted datasets published only as protected releases. */
  protectedSlugs: ['household-smart-meter-readings', 'housing-benefit-claims', 'adult-social-care-service-users'],
  /** The confidential dataset listed as a description only. */
  descriptionOnlySlug: 'community-safety-case-register',
  /** Catalogue entries of the sensor streams: air quality (environment) and car parks (transport), each rollups + raw readings; household energy, rollups only. */
  streams: {
    airQuality: ['air-quality-live', 'air-quality-live-readings'],
    carParks: ['car-park-occupancy-live', 'car-park-occupancy-live-readings'],
    energy: ['household-energy-live'],
  },
  /** What a search for "air quality" finds: the two open air-quality datasets and the air-quality stream's entries. */
  airQualitySearch: ['air-quality-hourly', 'air-quality-sensor-sites', 'air-quality-live', 'air-quality-live-readings'],
  /** Private sources of restricted datasets. */
  privateSources: 4,
} as const;
