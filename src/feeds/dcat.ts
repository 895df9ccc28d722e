import type { PublicDataset, PublicRelease } from '../catalogue/catalogue.types';
import { absolute, urls } from '../http/urls';
import { Graph, iri, text, typed, type Term } from './rdf';

/**
 * DCAT-AP 3 descriptions of the public catalogue, for harvesters (data.gov.uk, data.europa.eu).
 * Every distribution carries access and download URLs, its EU file type, licence, issued and
 * modified dates; the canonical CSV also its byte size and SPDX SHA-256 checksum. Protected
 * releases state how they were protected (dct:provenance) and that they derive from unpublished
 * source records (prov:wasDerivedFrom) — without naming anything on the private side. Terms from
 * EU vocabularies are typed in the graph because harvesters validate offline.
 */

const eu = 'http://publications.europa.eu/resource/authority/';

const frequencies: Record<string, string> = {
  continuous: 'CONT',
  hourly: 'HOURLY',
  daily: 'DAILY',
  weekly: 'WEEKLY',
  monthly: 'MONTHLY',
  quarterly: 'QUARTERLY',
  annual: 'ANNUAL',
  irregular: 'IRREG',
  never: 'NEVER',
};

/** Plaza themes mapped to the EU data-theme vocabulary (unknown themes get none). */
const euThemes: Record<string, [string, string]> = {
  environment: ['ENVI', 'Environment'],
  transport: ['TRAN', 'Transport'],
  'council-spending': ['GOVE', 'Government and public sector'],
  energy: ['ENER', 'Energy'],
  'waste-and-recycling': ['ENVI', 'Environment'],
  'health-and-social-care': ['HEAL', 'Health'],
  housing: ['SOCI', 'Population and society'],
  community: ['SOCI', 'Population and society'],
};

/** File types of the download formats: EU file-type code, IANA media type (if registered). */
const formats = {
  csv: { code: 'CSV', media: 'text/csv', title: 'CSV' },
  json: { code: 'JSON', media: 'application/json', title: 'JSON' },
  ndjson: { code: 'JSON', media: undefined, title: 'NDJSON (newline-delimited JSON)' },
} as const;

/** Licence types (ADMS vocabulary) of the register's licences. */
const licenceTypes: Record<string, string> = {
  'CC0-1.0': 'PublicDomain',
  'ODbL-1.0': 'ViralEffect-ShareAlike',
  'other-closed': 'RestrictedAccess',
};

/** Who runs the portal: the catalogue's publisher. */
export interface PortalInfo {
  baseUrl: string;
  name: string;
}

/** Paging of a catalogue document. */
export interface CataloguePage {
  page: number;
  perPage: number;
  total: number;
  /** The document's own URL builder for a page (for hydra links). */
  pageUrl: (page: number) => string;
}

const dateTime = (iso: string) => typed(new Date(iso).toISOString(), 'xsd:dateTime');

function concept(g: Graph, id: string, label: string): Term {
  const t = iri(id);
  g.add(t, 'a', iri('skos:Concept')).add(t, 'skos:prefLabel', text(label, 'en'));
  return t;
}

function portalAgent(g: Graph, portal: PortalInfo): Term {
  const agent = iri(absolute(portal.baseUrl, '/#publisher'));
  g.add(agent, 'a', iri('foaf:Agent')).add(agent, 'foaf:name', text(portal.name, 'en'));
  g.add(agent, 'dct:type', concept(g, 'http://purl.org/adms/publishertype/LocalAuthority', 'Local Authority'));
  return agent;
}

/** Adds one dataset, its publisher, contact point and the current release's distributions. */
export function addDataset(g: Graph, portal: PortalInfo, d: PublicDataset): Term {
  const base = portal.baseUrl;
  const ds = iri(absolute(base, urls.dataset(d.slug)));
  g.add(ds, 'a', iri('dcat:Dataset'));
  g.add(ds, 'dct:identifier', text(absolute(base, urls.dataset(d.slug))));
  g.add(ds, 'dct:title', text(d.title, 'en'));
  g.add(ds, 'dct:description', text(d.description || d.summary || d.title, 'en'));
  g.add(ds, 'dct:issued', dateTime(d.publishedAt));
  g.add(ds, 'dct:modified', dateTime(d.modifiedAt));
  const landing = iri(absolute(base, urls.dataset(d.slug)));
  g.add(ds, 'dcat:landingPage', landing);
  g.add(landing, 'a', iri('foaf:Document'));

  const publisher = iri(absolute(base, urls.publisher(d.publisher.slug)));
  g.add(publisher, 'a', iri('foaf:Agent')).add(publisher, 'foaf:name', text(d.publisher.name, 'en'));
  g.add(publisher, 'dct:type', concept(g, 'http://purl.org/adms/publishertype/LocalAuthority', 'Local Authority'));
  g.add(ds, 'dct:publisher', publisher);

  if (d.contactEmail || d.contactName) {
    const contact = g.bnode();
    g.add(contact, 'a', iri('vcard:Kind'));
    g.add(contact, 'a', iri('vcard:Organization'));
    g.add(contact, 'vcard:fn', text(d.contactName ?? d.publisher.name));
    if (d.contactEmail) g.add(contact, 'vcard:hasEmail', iri('mailto:' + d.contactEmail));
    g.add(ds, 'dcat:contactPoint', contact);
  }
  for (const k of d.keywords) g.add(ds, 'dcat:keyword', text(k, 'en'));
  for (const t of d.themes) {
    const local = concept(g, absolute(base, urls.theme(t.slug)), t.title);
    g.add(local, 'skos:inScheme', iri(absolute(base, urls.themes())));
    g.add(ds, 'dcat:theme', local);
    const mapped = euThemes[t.slug];
    if (mapped) g.add(ds, 'dcat:theme', concept(g, `${eu}data-theme/${mapped[0]}`, mapped[1]));
  }
  const freq = frequencies[d.updateFrequency];
  if (freq) {
    const f = iri(`${eu}frequency/${freq}`);
    g.add(f, 'a', iri('dct:Frequency'));
    g.add(ds, 'dct:accrualPeriodicity', f);
  }
  if (d.spatialCoverage) {
    const place = g.bnode();
    g.add(place, 'a', iri('dct:Location')).add(place, 'skos:prefLabel', text(d.spatialCoverage, 'en'));
    g.add(ds, 'dct:spatial', place);
  }
  if (d.temporalStart || d.temporalEnd) {
    const period = g.bnode();
    g.add(period, 'a', iri('dct:PeriodOfTime'));
    if (d.temporalStart) g.add(period, 'dcat:startDate', dateLiteral(d.temporalStart));
    if (d.temporalEnd) g.add(period, 'dcat:endDate', dateLiteral(d.temporalEnd));
    g.add(ds, 'dct:temporal', period);
  }
  const access = d.metadataOnly || d.sensitivityLevel === 'confidential' ? 'NON_PUBLIC' : 'PUBLIC';
  const rights = iri(`${eu}access-right/${access}`);
  g.add(rights, 'a', iri('dct:RightsStatement'));
  g.add(ds, 'dct:accessRights', rights);
  const language = iri(`${eu}language/ENG`);
  g.add(language, 'a', iri('dct:LinguisticSystem'));
  g.add(ds, 'dct:language', language);

  const current = d.releases.find((r) => r.status === 'published');
  if (current) {
    g.add(ds, 'dcat:version', text(String(current.version)));
    if (current.notes) g.add(ds, 'adms:versionNotes', text(current.notes, 'en'));
    if (d.sensitivityLevel !== 'public') {
      const provenance = g.bnode();
      g.add(provenance, 'a', iri('dct:ProvenanceStatement'));
      g.add(provenance, 'rdfs:label', text(current.statement || 'This data was protected before it was published.', 'en'));
      g.add(ds, 'dct:provenance', provenance);
      const source = iri(absolute(base, urls.release(d.slug, current.version)) + '#source');
      g.add(source, 'a', iri('prov:Entity'));
      g.add(source, 'rdfs:label', text(`Unpublished source records held by ${d.publisher.name}`, 'en'));
      g.add(ds, 'prov:wasDerivedFrom', source);
    }
    for (const format of ['csv', 'json', 'ndjson'] as const) {
      g.add(ds, 'dcat:distribution', addDistribution(g, portal, d, current, format));
    }
  }
  return ds;
}

function dateLiteral(value: string): Term {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? typed(value, 'xsd:date') : dateTime(value);
}

function addDistribution(g: Graph, portal: PortalInfo, d: PublicDataset, r: PublicRelease, format: keyof typeof formats): Term {
  const base = portal.baseUrl;
  const f = formats[format];
  const dist = iri(absolute(base, urls.release(d.slug, r.version)) + '#' + format);
  g.add(dist, 'a', iri('dcat:Distribution'));
  g.add(dist, 'dct:title', text(`${d.title}, version ${r.version} (${f.title})`, 'en'));
  g.add(dist, 'dct:description', text(`Version ${r.version}: ${r.rowCount} rows.${format === 'csv' ? ' Text cells that start with =, +, -, @ or a control character carry a leading apostrophe.' : ''}`, 'en'));
  g.add(dist, 'dcat:accessURL', iri(absolute(base, urls.release(d.slug, r.version))));
  g.add(dist, 'dcat:downloadURL', iri(absolute(base, urls.download(d.slug, r.version, format))));
  const fileType = iri(`${eu}file-type/${f.code}`);
  g.add(fileType, 'a', iri('dct:MediaTypeOrExtent'));
  g.add(dist, 'dct:format', fileType);
  if (f.media) {
    const media = iri(`https://www.iana.org/assignments/media-types/${f.media}`);
    g.add(media, 'a', iri('dct:MediaType'));
    g.add(dist, 'dcat:mediaType', media);
  }
  const licence = iri(d.licence.url);
  g.add(licence, 'a', iri('dct:LicenseDocument'));
  g.add(licence, 'rdfs:label', text(d.licence.title, 'en'));
  g.add(licence, 'dct:type', concept(g, `http://purl.org/adms/licencetype/${licenceTypes[d.licence.id] ?? 'Attribution'}`, licenceTypes[d.licence.id] ?? 'Attribution'));
  g.add(dist, 'dct:license', licence);
  g.add(dist, 'dct:issued', dateTime(r.publishedAt));
  g.add(dist, 'dct:modified', dateTime(r.publishedAt));
  g.add(dist, 'dcatap:availability', concept(g, 'http://data.europa.eu/r5r/availability/stable', 'stable'));
  const conformsTo = iri(absolute(base, urls.datapackage(d.slug, r.version)));
  g.add(conformsTo, 'a', iri('dct:Standard'));
  g.add(dist, 'dct:conformsTo', conformsTo);
  if (format === 'csv') {
    g.add(dist, 'dcat:byteSize', typed(String(r.byteSize), 'xsd:nonNegativeInteger'));
    const checksum = g.bnode();
    g.add(checksum, 'a', iri('spdx:Checksum'));
    const algorithm = iri('spdx:checksumAlgorithm_sha256');
    g.add(algorithm, 'a', iri('spdx:ChecksumAlgorithm'));
    g.add(checksum, 'spdx:algorithm', algorithm);
    g.add(checksum, 'spdx:checksumValue', typed(r.checksum, 'xsd:hexBinary'));
    g.add(dist, 'spdx:checksum', checksum);
  }
  return dist;
}

/** The catalogue (one page of its datasets) as a DCAT-AP graph. */
export function catalogueGraph(portal: PortalInfo, datasets: PublicDataset[], paging: CataloguePage): Graph {
  const g = new Graph();
  const base = portal.baseUrl;
  const cat = iri(absolute(base, urls.catalog()));
  g.add(cat, 'a', iri('dcat:Catalog'));
  g.add(cat, 'dct:title', text(portal.name, 'en'));
  g.add(cat, 'dct:description', text(`Open data published by ${portal.name}. Every dataset says how it was protected.`, 'en'));
  g.add(cat, 'dct:publisher', portalAgent(g, portal));
  const homepage = iri(absolute(base, urls.home()));
  g.add(homepage, 'a', iri('foaf:Document'));
  g.add(cat, 'foaf:homepage', homepage);
  const language = iri(`${eu}language/ENG`);
  g.add(language, 'a', iri('dct:LinguisticSystem'));
  g.add(cat, 'dct:language', language);
  const licence = iri('https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/');
  g.add(licence, 'a', iri('dct:LicenseDocument'));
  g.add(licence, 'dct:type', concept(g, 'http://purl.org/adms/licencetype/Attribution', 'Attribution'));
  g.add(cat, 'dct:license', licence);
  const spatial = iri(`${eu}country/GBR`);
  g.add(spatial, 'a', iri('dct:Location'));
  g.add(cat, 'dct:spatial', spatial);
  const scheme = iri(absolute(base, urls.themes()));
  g.add(scheme, 'a', iri('skos:ConceptScheme')).add(scheme, 'dct:title', text(`${portal.name} themes`, 'en'));
  g.add(cat, 'dcat:themeTaxonomy', scheme);
  const times = datasets.map((d) => d.modifiedAt).sort();
  if (times.length) {
    g.add(cat, 'dct:issued', dateTime(datasets.map((d) => d.publishedAt).sort()[0]));
    g.add(cat, 'dct:modified', dateTime(times[times.length - 1]));
  }
  const service = iri(absolute(base, urls.apiV1()));
  g.add(service, 'a', iri('dcat:DataService'));
  g.add(service, 'dct:title', text(`${portal.name} API`, 'en'));
  const endpoint = iri(absolute(base, urls.apiV1()));
  const description = iri(absolute(base, urls.openapi()));
  g.add(endpoint, 'a', iri('rdfs:Resource'));
  g.add(description, 'a', iri('rdfs:Resource'));
  g.add(service, 'dcat:endpointURL', endpoint);
  g.add(service, 'dcat:endpointDescription', description);
  g.add(service, 'dct:publisher', portalAgent(g, portal));
  const openapi = iri('https://spec.openapis.org/oas/v3.1.0');
  g.add(openapi, 'a', iri('dct:Standard'));
  g.add(service, 'dct:conformsTo', openapi);
  g.add(service, 'dcat:keyword', text('open data API', 'en'));
  g.add(cat, 'dcat:service', service);
  for (const d of datasets) {
    const ds = addDataset(g, portal, d);
    g.add(cat, 'dcat:dataset', ds);
    g.add(service, 'dcat:servesDataset', ds);
  }
  const pages = Math.max(1, Math.ceil(paging.total / paging.perPage));
  if (pages > 1) {
    const view = iri(absolute(base, paging.pageUrl(paging.page)));
    g.add(view, 'a', iri('hydra:PartialCollectionView'));
    g.add(view, 'hydra:totalItems', typed(String(paging.total), 'xsd:integer'));
    g.add(view, 'hydra:first', iri(absolute(base, paging.pageUrl(1))));
    g.add(view, 'hydra:last', iri(absolute(base, paging.pageUrl(pages))));
    if (paging.page > 1) g.add(view, 'hydra:previous', iri(absolute(base, paging.pageUrl(paging.page - 1))));
    if (paging.page < pages) g.add(view, 'hydra:next', iri(absolute(base, paging.pageUrl(paging.page + 1))));
  }
  return g;
}

/** One dataset as a DCAT-AP graph (`/datasets/:slug.ttl`). */
export function datasetGraph(portal: PortalInfo, d: PublicDataset): Graph {
  const g = new Graph();
  addDataset(g, portal, d);
  return g;
}
