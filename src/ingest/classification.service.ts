import { appendAudit } from '../audit/audit.repository';
import { lockDataset, type DatasetRecord } from '../catalogue/dataset.repository';
import type { ColumnRole, ColumnSchema, ColumnType, SensitivityLevel } from '../catalogue/table-schema';
import type { Db } from '../db/knex';
import { widenColumnToText } from '../db/raw-source';
import { ConflictError, ValidationError } from '../errors';
import { setDatasetSensitivityLevel } from './classification.repository';
import { toTableSchema } from './frictionless';
import type { Detection } from './pii-detect';
import { datasetSource } from './source.service';
import { getSourceVersion, saveSourceClassification, type SourceRecord } from './source.repository';

/**
 * Classification: the steward confirms or edits what detection suggested — each column's role
 * (and type, which after an import can only be widened to text) and the dataset's level. Every
 * change is audited as `classification.updated` with the before and after, in the same
 * transaction as the change.
 */

/** One column as the classification page shows it. */
export interface ClassifiedColumn {
  index: number;
  name: string;
  type: ColumnType;
  inferredType: ColumnType;
  role: ColumnRole;
  suggestedRole: ColumnRole | null;
  roleReason: string | null;
  detections: Detection[];
}

/** The classification of a dataset's source version. */
export interface Classification {
  dataset: { slug: string; title: string; level: SensitivityLevel; publisherId: number };
  source: { id: number; version: number; rows: number; filename: string; createdAt: string; purged: boolean };
  status: 'suggested' | 'confirmed';
  classifiedBy: string | null;
  classifiedAt: string | null;
  suggestedLevel: SensitivityLevel | null;
  levelReasons: string[];
  columns: ClassifiedColumn[];
}

/** Builds the classification view of a source version. */
export function classificationOf(dataset: DatasetRecord, source: SourceRecord): Classification {
  return {
    dataset: { slug: dataset.slug, title: dataset.title, level: dataset.sensitivityLevel, publisherId: dataset.publisherId },
    source: { id: source.id, version: source.version, rows: source.rowCount, filename: source.filename, createdAt: source.createdAt, purged: source.purgedAt !== null },
    status: source.classificationStatus,
    classifiedBy: source.classifiedBy,
    classifiedAt: source.classifiedAt,
    suggestedLevel: source.detection?.suggestedLevel ?? null,
    levelReasons: source.detection?.levelReasons ?? [],
    columns: source.columns.map((c, index) => {
      const d = source.detection?.columns[index];
      const field = source.schema?.fields[index];
      return {
        index,
        name: c.name,
        type: c.type,
        inferredType: field?.['plaza:inferred'] ?? c.type,
        role: c.role ?? d?.suggestedRole ?? 'other',
        suggestedRole: d?.suggestedRole ?? null,
        roleReason: d?.roleReason ?? null,
        detections: d?.detections ?? [],
      };
    }),
  };
}

/** The classification of a dataset's newest (or a given) source version. */
export async function getClassification(db: Db, slug: string, version: number | 'latest' = 'latest'): Promise<Classification> {
  const { dataset, source } = await datasetSource(db, slug, version);
  return classificationOf(dataset, source);
}

/** A steward's decision: the level and every column's role (and optionally a widened type). */
export interface ClassificationChange {
  level: SensitivityLevel;
  columns: Array<{ name: string; role: ColumnRole; type?: ColumnType }>;
  reason?: string;
}

const snapshot = (level: SensitivityLevel, columns: ColumnSchema[]) => ({
  level,
  columns: columns.map((c) => ({ name: c.name, type: c.type, role: c.role ?? null })),
});

/** Applies a classification to a source version and its dataset, audited with before and after. */
export async function updateClassification(
  db: Db,
  p: { datasetSlug: string; version?: number | 'latest'; change: ClassificationChange; actor: string; requestId?: string; client?: string },
): Promise<Classification> {
  return db.transaction(async (trx) => {
    const { dataset, source } = await datasetSource(trx, p.datasetSlug, p.version ?? 'latest');
    await lockDataset(trx, dataset.id);
    if (source.purgedAt) throw new ConflictError(`Version ${source.version} was purged; there is nothing left to classify`);
    const given = p.change.columns;
    if (given.length !== source.columns.length || given.some((g, i) => g.name !== source.columns[i].name)) {
      throw new ValidationError(`Give a role for each of the ${source.columns.length} columns, in order: ${source.columns.map((c) => `"${c.name}"`).join(', ')}`);
    }
    const before = snapshot(dataset.sensitivityLevel, source.columns);
    let columns = source.columns.map((c) => ({ ...c }));
    for (let i = 0; i < given.length; i++) {
      const want = given[i].type ?? columns[i].type;
      if (want !== columns[i].type) {
        if (want !== 'string') {
          throw new ValidationError(`Column "${columns[i].name}": after import a type can only be changed to text; re-import the file with the type set to change it to ${want}`);
        }
        await widenColumnToText(trx, source.tableName, columns, i);
        columns = columns.map((c, k) => (k === i ? { ...c, type: 'string' as const } : c));
      }
      columns[i].role = given[i].role;
    }
    const after = snapshot(p.change.level, columns);
    const changed = after.columns
      .map((c, i) => ({ name: c.name, before: before.columns[i], after: c }))
      .filter((x) => x.before.role !== x.after.role || x.before.type !== x.after.type)
      .map((x) => x.name);
    const at = new Date().toISOString();
    const inferred = source.schema?.fields.map((f, i) => f['plaza:inferred'] ?? source.columns[i].type);
    await saveSourceClassification(trx, source.id, { columns, schema: toTableSchema(columns, inferred), by: p.actor, at });
    if (p.change.level !== dataset.sensitivityLevel) await setDatasetSensitivityLevel(trx, dataset.id, p.change.level, at);
    await appendAudit(trx, {
      actor: p.actor,
      action: 'classification.updated',
      objectType: 'dataset',
      objectId: dataset.id,
      requestId: p.requestId,
      client: p.client,
      details: {
        dataset: dataset.slug,
        sourceVersion: source.version,
        before,
        after,
        changedColumns: changed,
        levelChanged: before.level !== after.level,
        suggestedLevel: source.detection?.suggestedLevel ?? null,
        reason: p.change.reason ?? '',
      },
    });
    const updated = (await getSourceVersion(trx, dataset.id, source.version))!;
    return classificationOf({ ...dataset, sensitivityLevel: p.change.level }, updated);
  });
}
