import type { PublicDataset, PublicRelease } from '../catalogue/catalogue.types';
import { absolute, urls } from '../http/urls';

/**
 * Frictionless Data Package (v1, tabular) describing one release: the canonical CSV as its
 * resource, with size, SHA-256 hash, CSV dialect and a Table Schema built from the release's
 * columns (Plaza's column types are Table Schema's types), so frictionless, pandas or R readers
 * can load it typed.
 */
export function dataPackage(baseUrl: string, d: PublicDataset, r: PublicRelease): Record<string, unknown> {
  return {
    profile: 'tabular-data-package',
    name: d.slug,
    id: absolute(baseUrl, urls.release(d.slug, r.version)),
    title: d.title,
    description: d.summary || d.description,
    version: String(r.version),
    created: r.publishedAt,
    homepage: absolute(baseUrl, urls.dataset(d.slug)),
    keywords: d.keywords,
    licenses: [{ name: d.licence.id, path: d.licence.url, title: d.licence.title }],
    contributors: [{ title: d.publisher.name, path: absolute(baseUrl, urls.publisher(d.publisher.slug)), role: 'publisher' }],
    ...(r.statement ? { plaza: { protection: r.statement } } : {}),
    resources: [
      {
        name: d.slug,
        path: absolute(baseUrl, urls.download(d.slug, r.version, 'csv')),
        profile: 'tabular-data-resource',
        title: `${d.title}, version ${r.version}`,
        description: 'Text cells that start with =, +, -, @ or a control character carry a leading apostrophe (spreadsheet formula-injection safety).',
        format: 'csv',
        mediatype: 'text/csv',
        encoding: 'utf-8',
        bytes: r.byteSize,
        hash: `sha256:${r.checksum}`,
        dialect: { delimiter: ',', lineTerminator: '\r\n', quoteChar: '"', doubleQuote: true, header: true },
        schema: {
          fields: r.columns.map((c) => ({
            name: c.name,
            type: c.type,
            ...(c.title ? { title: c.title } : {}),
            ...(c.description ? { description: c.description } : {}),
            ...(c.unit ? { unit: c.unit } : {}),
            ...(c.type === 'boolean' ? { trueValues: ['true'], falseValues: ['false'] } : {}),
          })),
          missingValues: [''],
        },
      },
    ],
  };
}
