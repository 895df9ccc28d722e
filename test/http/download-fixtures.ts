import { insertDataset } from '../../src/catalogue/dataset.repository';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import type { Db } from '../../src/db/knex';
import { publishRelease, type PublishedRelease } from '../../src/publishing/publish.service';
import { datasetInput } from '../helpers/datasets';

/** Publishes an extra public dataset with the given rows (for download, API and feed tests). */
export async function publishTestDataset(
  db: Db,
  slug: string,
  columns: ColumnSchema[],
  batches: Iterable<CellValue[][]> | AsyncIterable<CellValue[][]>,
  extra: { statement?: string; protection?: Record<string, unknown> | null; level?: 'public' | 'personal' | 'special_category' } = {},
): Promise<PublishedRelease> {
  const publisher = (await db('publishers').orderBy('id').first('id')) as { id: number };
  const datasetId = await insertDataset(
    db,
    datasetInput({
      slug,
      title: `Test ${slug}`,
      summary: 'A dataset made by a test.',
      description: 'Rows made by a test.',
      publisherId: publisher.id,
      sensitivityLevel: extra.level ?? 'public',
      keywords: ['test'],
    }),
  );
  return publishRelease(db, { datasetId, columns, batches, actor: 'system', statement: extra.statement, protection: extra.protection });
}
