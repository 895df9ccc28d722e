import type { Knex } from 'knex';
import { appendAudit } from '../src/audit/audit.repository';
import { getDatasetBySlug, insertDataset, type NewDataset } from '../src/catalogue/dataset.repository';
import { createPublisher, createTheme } from '../src/catalogue/reference.repository';
import type { SensitivityLevel } from '../src/catalogue/table-schema';
import { insertRows } from '../src/db/data-table';
import type { Db } from '../src/db/knex';
import { createSource, setSourceRowCount } from '../src/ingest/source.repository';
import type { Actor } from '../src/auth/actor';
import { publishRelease } from '../src/publishing/publish.service';
import { approveRelease, previewRelease, publishApprovedRelease, saveReleasePolicy, submitRelease } from '../src/publishing/release-workflow.service';
import { publishMetadataOnly } from '../src/publishing/withdraw.service';
import { demoReleasePolicies } from './lib/demo-policies';
import * as gen from './lib/demo-data';
import { seedDemoStreams } from './lib/demo-streams';
import * as restricted from './lib/restricted-data';
import { Rng } from './lib/rng';

/**
 * The demo city "Anytown": publishers, themes, 14 public datasets with published releases, and
 * four restricted private sources (smart meters, housing benefit, social care, a confidential
 * case register) with no public release. Deterministic: the same seed gives the same city.
 */

const publishers = [
  { slug: 'environmental-health', name: 'Environmental Health', description: 'Air quality monitoring, pollution control and public health protection.', email: 'environmental.health@anytown.example.gov.uk' },
  { slug: 'transport-and-highways', name: 'Transport and Highways', description: 'Roads, parking, street lighting and public transport information.', email: 'transport@anytown.example.gov.uk' },
  { slug: 'finance', name: 'Finance', description: 'Council budgets, spending and procurement.', email: 'finance@anytown.example.gov.uk' },
  { slug: 'waste-and-recycling', name: 'Waste and Recycling', description: 'Household waste collection and recycling.', email: 'waste@anytown.example.gov.uk' },
  { slug: 'revenues-and-benefits', name: 'Revenues and Benefits', description: 'Council tax and housing benefit.', email: 'benefits@anytown.example.gov.uk' },
  { slug: 'adult-social-care', name: 'Adult Social Care', description: 'Care and support for adults.', email: 'asc@anytown.example.gov.uk' },
  { slug: 'anytown-energy-partnership', name: 'Anytown Energy Partnership', description: 'A partnership of the council, the distribution network operator and community energy groups.', kind: 'partner', email: 'hello@anytown-energy.example.org' },
  { slug: 'community-services', name: 'Community Services', description: 'Libraries, leisure and community facilities.', email: 'community@anytown.example.gov.uk' },
];

const themes = [
  { slug: 'environment', title: 'Environment', description: 'Air quality, pollution, green spaces and climate.' },
  { slug: 'transport', title: 'Transport', description: 'Roads, parking, buses, cycling and electric vehicles.' },
  { slug: 'council-spending', title: 'Council spending', description: 'Where the council spends its money.' },
  { slug: 'energy', title: 'Energy', description: 'Energy use and generation in the town.' },
  { slug: 'waste-and-recycling', title: 'Waste and recycling', description: 'Bins, recycling and waste.' },
  { slug: 'health-and-social-care', title: 'Health and social care', description: 'Care and support services and public health.' },
  { slug: 'housing', title: 'Housing', description: 'Housing, homelessness and housing benefit.' },
  { slug: 'community', title: 'Community', description: 'Libraries, leisure, facilities and wards.' },
];

interface DemoDataset {
  slug: string;
  title: string;
  summary: string;
  description: string;
  publisher: string;
  themes: string[];
  keywords: string[];
  licence?: string;
  frequency: string;
  level?: SensitivityLevel;
  temporal?: [string, string];
  metadataOnly?: boolean;
  accessRequest?: string;
  table: (rng: Rng) => gen.DemoTable;
}

const oct: [string, string] = ['2026-10-01', '2026-10-31'];

function datasets(): DemoDataset[] {
  let sites: gen.DemoTable | undefined;
  let parks: gen.DemoTable | undefined;
  return [
    {
      slug: 'air-quality-sensor-sites', title: 'Air quality sensor sites', summary: 'Where the council’s 20 air quality sensors are and what kind of site each is.',
      description: 'The locations of the low-cost air quality sensors run by Environmental Health.\n\nUse the `sensor_id` to join with the [hourly air quality readings](/datasets/air-quality-hourly).',
      publisher: 'environmental-health', themes: ['environment'], keywords: ['air quality', 'sensors', 'pollution'], frequency: 'irregular',
      table: (rng) => (sites = gen.airQualitySites(rng)),
    },
    {
      slug: 'air-quality-hourly', title: 'Hourly air quality: PM2.5, PM10 and NO2', summary: 'Hourly mean concentrations of fine particles and nitrogen dioxide from 20 sensors across the town.',
      description: 'Hourly means of **PM2.5**, **PM10** and **nitrogen dioxide (NO2)** measured by the council’s sensor network.\n\nReadings are ratified monthly. Low-cost sensors are less accurate than the national reference monitors; use them for trends and comparisons between places.\n\nThe UK annual limit for NO2 is 40 µg/m³.',
      publisher: 'environmental-health', themes: ['environment'], keywords: ['air quality', 'pollution', 'pm2.5', 'no2', 'sensors'], frequency: 'hourly', temporal: oct,
      table: (rng) => gen.airQualityHourly(rng, sites ?? gen.airQualitySites(rng)),
    },
    {
      slug: 'car-parks', title: 'Council car parks', summary: 'Locations, capacity and tariffs of council car parks.',
      description: 'Every council-run car park with its number of spaces, blue badge and electric-vehicle spaces and daytime tariff.',
      publisher: 'transport-and-highways', themes: ['transport'], keywords: ['parking', 'car parks'], frequency: 'annual',
      table: (rng) => (parks = gen.carParks(rng)),
    },
    {
      slug: 'car-park-occupancy', title: 'Car park occupancy', summary: 'Hourly counts of occupied and free spaces in each council car park.',
      description: 'Occupancy of council car parks counted every hour by barrier and ANPR systems.',
      publisher: 'transport-and-highways', themes: ['transport'], keywords: ['parking', 'car parks', 'occupancy'], frequency: 'hourly', temporal: oct,
      table: (rng) => gen.carParkOccupancy(rng, parks ?? gen.carParks(rng)),
    },
    {
      slug: 'bus-stops', title: 'Bus stops', summary: 'Every bus stop in Anytown with its location, routes and whether it has a shelter.',
      description: 'Bus stops from the national stop register (NaPTAN), with the routes that serve them.',
      publisher: 'transport-and-highways', themes: ['transport'], keywords: ['buses', 'public transport', 'naptan'], frequency: 'monthly', licence: 'OGL-UK-3.0',
      table: gen.busStops,
    },
    {
      slug: 'council-spending-over-500', title: 'Council spending over £500', summary: 'Every payment of more than £500 made by the council in 2026/27.',
      description: 'Payments to suppliers over £500, published under the Local Government Transparency Code 2015.\n\nPayments to individuals (for example care providers who are sole traders) are **redacted** to protect their privacy.',
      publisher: 'finance', themes: ['council-spending'], keywords: ['spending', 'transparency', 'payments', 'suppliers'], frequency: 'monthly', temporal: ['2026-04-01', '2026-10-31'],
      table: gen.spending,
    },
    {
      slug: 'recycling-rates-by-ward', title: 'Household recycling rates by ward', summary: 'Monthly household waste collected and the share recycled or composted, by ward.',
      description: 'Tonnages from the waste collection contract, allocated to wards by collection round.',
      publisher: 'waste-and-recycling', themes: ['waste-and-recycling', 'environment'], keywords: ['recycling', 'waste', 'wards'], frequency: 'monthly', temporal: ['2025-04-01', '2026-10-31'],
      table: gen.recycling,
    },
    {
      slug: 'street-lighting-energy', title: 'Street lighting energy use', summary: 'Monthly electricity used by street lights in each ward, and progress converting them to LED.',
      description: 'Metered and unmetered supply estimates for council street lighting.',
      publisher: 'transport-and-highways', themes: ['energy', 'transport'], keywords: ['street lighting', 'energy', 'led', 'electricity'], frequency: 'monthly', temporal: ['2025-04-01', '2026-10-31'],
      table: gen.streetLighting,
    },
    {
      slug: 'ev-charge-points', title: 'Electric vehicle charge points', summary: 'Public electric vehicle charge points: where they are, how fast and how much.',
      description: 'Charge points installed by the council and the Anytown Energy Partnership.',
      publisher: 'anytown-energy-partnership', themes: ['transport', 'energy'], keywords: ['electric vehicles', 'ev', 'charging'], frequency: 'monthly', licence: 'CC-BY-4.0',
      table: gen.chargePoints,
    },
    {
      slug: 'traffic-counts', title: 'Daily traffic counts', summary: 'Vehicles counted each day at 15 automatic traffic counters.',
      description: 'Counts from inductive loops and radar counters, both directions combined.',
      publisher: 'transport-and-highways', themes: ['transport'], keywords: ['traffic', 'roads', 'cycling'], frequency: 'daily', temporal: oct,
      table: gen.trafficCounts,
    },
    {
      slug: 'library-visits', title: 'Library visits and loans', summary: 'Monthly visits, loans and computer sessions at each library.',
      description: 'Visitor counts from door counters and loans from the library management system.',
      publisher: 'community-services', themes: ['community'], keywords: ['libraries', 'visits'], frequency: 'monthly', temporal: ['2025-04-01', '2026-10-31'],
      table: gen.libraryVisits,
    },
    {
      slug: 'wards', title: 'Electoral wards', summary: 'The 12 electoral wards with population, households and area.',
      description: 'Ward codes from the Office for National Statistics and mid-2025 population estimates.',
      publisher: 'finance', themes: ['community'], keywords: ['wards', 'population', 'boundaries'], frequency: 'annual', licence: 'OGL-UK-3.0',
      table: gen.wardTable,
    },
    {
      slug: 'public-toilets', title: 'Public toilets', summary: 'Public toilets with their accessibility facilities and opening hours.',
      description: 'Includes toilets in council buildings open to the public.',
      publisher: 'community-services', themes: ['community', 'health-and-social-care'], keywords: ['toilets', 'accessibility'], frequency: 'annual', licence: 'CC0-1.0',
      table: gen.publicToilets,
    },
  ];
}

function restrictedDatasets(): DemoDataset[] {
  return [
    {
      slug: 'household-smart-meter-readings', title: 'Household electricity use', summary: 'Electricity used by homes in the smart-meter pilot, as daily totals by postcode district.',
      description: 'Half-hourly readings from 60 homes in the Anytown Energy Partnership’s smart-meter pilot. Only daily totals over 10 or more homes are ever published.',
      publisher: 'anytown-energy-partnership', themes: ['energy'], keywords: ['smart meters', 'electricity', 'households'], frequency: 'daily', level: 'personal', temporal: ['2026-10-01', '2026-10-07'],
      table: restricted.smartMeterReadings,
    },
    {
      slug: 'housing-benefit-claims', title: 'Housing benefit claims', summary: 'Housing benefit claims by ward, age band and household type.',
      description: 'Live housing benefit claims at 31 October 2026. Published only as a protected table.',
      publisher: 'revenues-and-benefits', themes: ['housing'], keywords: ['housing benefit', 'welfare'], frequency: 'quarterly', level: 'personal',
      table: restricted.housingBenefitClaims,
    },
    {
      slug: 'adult-social-care-service-users', title: 'Adults receiving social care', summary: 'People receiving long-term adult social care, by age, condition and ward.',
      description: 'Published only as counts under the ONS 10-5 rule.',
      publisher: 'adult-social-care', themes: ['health-and-social-care'], keywords: ['social care', 'care'], frequency: 'quarterly', level: 'special_category',
      table: restricted.socialCareUsers,
    },
    {
      slug: 'community-safety-case-register', title: 'Community safety case register', summary: 'Cases handled by the community safety team.',
      description: 'Confidential casework records. Not published.',
      publisher: 'community-services', themes: ['community'], keywords: ['community safety'], frequency: 'never', level: 'confidential', licence: 'other-closed',
      accessRequest: 'Researchers with a lawful basis can apply to the Information Governance team at information.governance@anytown.example.gov.uk.',
      table: restricted.caseRegister,
    },
  ];
}

function newDataset(d: DemoDataset, publisherId: number, themeIds: number[]): NewDataset {
  return {
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    description: d.description,
    publisherId,
    licenceId: d.licence ?? 'OGL-UK-3.0',
    updateFrequency: d.frequency,
    temporalStart: d.temporal?.[0] ?? null,
    temporalEnd: d.temporal?.[1] ?? null,
    spatialCoverage: 'Anytown borough',
    contactName: 'Open data team',
    contactEmail: 'opendata@anytown.example.gov.uk',
    sensitivityLevel: d.level ?? 'public',
    listMetadataOnly: d.level === 'confidential',
    accessRequest: d.accessRequest ?? '',
    themeIds,
    keywords: d.keywords,
  };
}

/** Seeds the demo city into an empty, migrated database. */
export async function seedDemoCity(db: Db, options: { seed?: number } = {}): Promise<{ datasets: number; sources: number }> {
  const rng = new Rng(options.seed ?? 20261126);
  const publisherIds = new Map<string, number>();
  const themeIds = new Map<string, number>();
  await db.transaction(async (trx) => {
    for (const p of publishers) publisherIds.set(p.slug, (await createPublisher(trx, p)).id);
    for (const t of themes) themeIds.set(t.slug, (await createTheme(trx, t)).id);
  });
  let count = 0;
  for (const d of datasets()) {
    const table = d.table(rng);
    const id = await db.transaction((trx) =>
      insertDataset(trx, newDataset(d, publisherIds.get(d.publisher)!, d.themes.map((t) => themeIds.get(t)!))),
    );
    await publishRelease(db, { datasetId: id, columns: table.columns, batches: [table.rows], actor: 'system', notes: 'First release.' });
    count++;
  }
  let sources = 0;
  for (const d of restrictedDatasets()) {
    const table = d.table(rng);
    const roles = demoReleasePolicies[d.slug]?.roles ?? {};
    const columns = table.columns.map((c) => (roles[c.name] ? { ...c, role: roles[c.name] } : c));
    await db.transaction(async (trx) => {
      const id = await insertDataset(trx, newDataset(d, publisherIds.get(d.publisher)!, d.themes.map((t) => themeIds.get(t)!)));
      const source = await createSource(trx, { datasetId: id, columns, filename: `${d.slug}.csv`, createdBy: 'system' });
      await insertRows(trx, source.tableName, table.columns, table.rows);
      await setSourceRowCount(trx, source.id, table.rows.length);
      await appendAudit(trx, {
        actor: 'system',
        action: 'ingest.source_imported',
        objectType: 'source',
        objectId: source.id,
        details: { dataset: d.slug, version: source.version, rows: table.rows.length, columns: table.columns.length },
      });
    });
    sources++;
  }
  count += await publishProtectedReleases(db);
  const streams = await seedDemoStreams(db, options.seed ?? 20261126);
  await appendAudit(db, { actor: 'system', action: 'system.seeded', details: { seed: options.seed ?? 20261126, datasets: count, sources, streams: streams.streams } });
  return { datasets: count + streams.entries, sources };
}

/** The demo's two stewards: the second approves what the first submits. */
const demoSubmitter: Actor = { kind: 'system', id: 'system:demo-steward' };
const demoApprover: Actor = { kind: 'system', id: 'system:demo-approver' };

/**
 * Takes each restricted demo source through the release workflow — policy, preview, submit,
 * approval by a second steward, publish — and lists the confidential register as a description
 * only. Returns the number of catalogue entries it made.
 */
async function publishProtectedReleases(db: Db): Promise<number> {
  const ctx = { db, secret: 'demo-city-seed', inline: true };
  let entries = 0;
  for (const d of restrictedDatasets()) {
    const dataset = await getDatasetBySlug(db, d.slug);
    if (!dataset) continue;
    const demo = demoReleasePolicies[d.slug];
    if (demo) {
      await saveReleasePolicy(ctx, { dataset, policy: demo.policy, settings: demo.settings, note: 'Demo policy', actor: demoSubmitter });
      await previewRelease(ctx, { dataset, actor: demoSubmitter });
      await submitRelease(ctx, { dataset, actor: demoSubmitter, notes: demo.notes });
      await approveRelease(ctx, { dataset, actor: demoApprover });
      await publishApprovedRelease(ctx, { dataset, actor: demoApprover });
      entries++;
    } else if (dataset.listMetadataOnly) {
      await publishMetadataOnly(db, { datasetId: dataset.id, actor: 'system' });
      entries++;
    }
  }
  return entries;
}

/** True when the catalogue has no publishers yet (a fresh database). */
export async function isEmpty(db: Db): Promise<boolean> {
  const row = await db('publishers').first('id');
  return !row;
}

/** knex seed entry point (`knex seed:run`). */
export async function seed(knex: Knex): Promise<void> {
  if (await isEmpty(knex)) await seedDemoCity(knex);
}
