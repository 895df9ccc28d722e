import type { DbOrTrx } from '../db/knex';
import type { Licence, Publisher, Theme } from './catalogue.types';

/** Publishers, themes and the licence register: reference data that is public by nature. */

const publisherFromRow = (r: Record<string, unknown>): Publisher => ({
  id: Number(r.id),
  slug: String(r.slug),
  name: String(r.name),
  description: String(r.description ?? ''),
  kind: String(r.kind),
  homepageUrl: (r.homepage_url as string | null) ?? null,
  email: (r.email as string | null) ?? null,
});

const themeFromRow = (r: Record<string, unknown>): Theme => ({
  id: Number(r.id),
  slug: String(r.slug),
  title: String(r.title),
  description: String(r.description ?? ''),
});

const licenceFromRow = (r: Record<string, unknown>): Licence => ({
  id: String(r.id),
  title: String(r.title),
  url: String(r.url),
  isOpen: r.is_open === true || r.is_open === 1,
});

/** Input for a new publisher. */
export interface NewPublisher {
  slug: string;
  name: string;
  description?: string;
  kind?: string;
  homepageUrl?: string | null;
  email?: string | null;
}

/** Creates a publisher and returns it. */
export async function createPublisher(db: DbOrTrx, p: NewPublisher): Promise<Publisher> {
  const [row] = await db('publishers')
    .insert({
      slug: p.slug,
      name: p.name,
      description: p.description ?? '',
      kind: p.kind ?? 'council_department',
      homepage_url: p.homepageUrl ?? null,
      email: p.email ?? null,
      created_at: new Date().toISOString(),
    })
    .returning('*');
  return publisherFromRow(row);
}

/** Creates a theme and returns it. */
export async function createTheme(db: DbOrTrx, t: { slug: string; title: string; description?: string }): Promise<Theme> {
  const [row] = await db('themes')
    .insert({ slug: t.slug, title: t.title, description: t.description ?? '' })
    .returning('*');
  return themeFromRow(row);
}

/** Adds or updates a licence in the register. */
export async function upsertLicence(db: DbOrTrx, l: Licence): Promise<void> {
  await db('licences')
    .insert({ id: l.id, title: l.title, url: l.url, is_open: l.isOpen })
    .onConflict('id')
    .merge();
}

/** Every publisher with the number of datasets it has in the public catalogue. */
export async function listPublishersWithCounts(db: DbOrTrx): Promise<Array<Publisher & { datasetCount: number }>> {
  const rows = await db('publishers as p')
    .leftJoin('pub_datasets as d', 'd.publisher_id', 'p.id')
    .groupBy('p.id')
    .select('p.*')
    .count({ n: 'd.id' })
    .orderBy('p.name');
  return rows.map((r: Record<string, unknown>) => ({ ...publisherFromRow(r), datasetCount: Number(r.n) }));
}

/** One publisher by slug. */
export async function getPublisherBySlug(db: DbOrTrx, slug: string): Promise<Publisher | undefined> {
  const row = await db('publishers').where({ slug }).first();
  return row ? publisherFromRow(row) : undefined;
}

/** Every theme with the number of public datasets filed under it. */
export async function listThemesWithCounts(db: DbOrTrx): Promise<Array<Theme & { datasetCount: number }>> {
  const rows = await db('themes as t')
    .leftJoin('pub_dataset_themes as x', 'x.theme_id', 't.id')
    .groupBy('t.id')
    .select('t.*')
    .count({ n: 'x.dataset_id' })
    .orderBy('t.title');
  return rows.map((r: Record<string, unknown>) => ({ ...themeFromRow(r), datasetCount: Number(r.n) }));
}

/** One theme by slug. */
export async function getThemeBySlug(db: DbOrTrx, slug: string): Promise<Theme | undefined> {
  const row = await db('themes').where({ slug }).first();
  return row ? themeFromRow(row) : undefined;
}

/** Themes by slug, for resolving a dataset's themes. */
export async function getThemesBySlugs(db: DbOrTrx, slugs: string[]): Promise<Theme[]> {
  if (slugs.length === 0) return [];
  const rows = await db('themes').whereIn('slug', slugs);
  return rows.map(themeFromRow);
}

/** The licence register. */
export async function listLicences(db: DbOrTrx): Promise<Licence[]> {
  const rows = await db('licences').orderBy('title');
  return rows.map(licenceFromRow);
}

/** One licence by id. */
export async function getLicence(db: DbOrTrx, id: string): Promise<Licence | undefined> {
  const row = await db('licences').where({ id }).first();
  return row ? licenceFromRow(row) : undefined;
}
