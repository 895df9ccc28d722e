import type { SensitivityLevel } from '../catalogue/table-schema';
import type { DbOrTrx } from '../db/knex';

/** Writes of a dataset's classification that belong to the import/classification workflow. */

/** Sets a dataset's sensitivity level (the caller audits the change in the same transaction). */
export async function setDatasetSensitivityLevel(db: DbOrTrx, datasetId: number, level: SensitivityLevel, now = new Date().toISOString()): Promise<void> {
  await db('datasets').where({ id: datasetId }).update({ sensitivity_level: level, modified_at: now });
}
