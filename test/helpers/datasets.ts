import type { NewDataset } from '../../src/catalogue/dataset.repository';

/** A complete new-dataset record with plain defaults, for tests and benches: pass only what matters. */
export function datasetInput(fields: Pick<NewDataset, 'slug' | 'publisherId'> & Partial<NewDataset>): NewDataset {
  return {
    title: fields.slug,
    summary: '',
    description: '',
    licenceId: 'OGL-UK-3.0',
    updateFrequency: 'irregular',
    temporalStart: null,
    temporalEnd: null,
    spatialCoverage: null,
    contactName: null,
    contactEmail: null,
    sensitivityLevel: 'public',
    listMetadataOnly: false,
    accessRequest: '',
    themeIds: [],
    keywords: [],
    ...fields,
  };
}
