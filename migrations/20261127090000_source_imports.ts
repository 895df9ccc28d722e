import type { Knex } from 'knex';

/**
 * CSV import (issue 5): what each source version was imported from and how it was classified.
 * `mode` says whether the version replaced or appended to the one before; `format_json` the
 * detected encoding and delimiter; `schema_json` the Frictionless Table Schema with each field's
 * role; `detection_json` the personal-data findings and suggested level with reasons;
 * `warnings_json` what the importer fixed up. A purged version keeps its row (and so its audit
 * trail and any release's reference) but loses its data table.
 */
const added = [
  'mode',
  'format_json',
  'byte_size',
  'sha256',
  'schema_json',
  'detection_json',
  'warnings_json',
  'classification_status',
  'classified_by',
  'classified_at',
  'purged_at',
  'purged_by',
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sources', (t) => {
    t.string('mode', 16).notNullable().defaultTo('replace');
    t.text('format_json');
    t.bigInteger('byte_size');
    t.string('sha256', 64);
    t.text('schema_json');
    t.text('detection_json');
    t.text('warnings_json');
    t.string('classification_status', 16).notNullable().defaultTo('suggested');
    t.string('classified_by', 100);
    t.string('classified_at', 32);
    t.string('purged_at', 32);
    t.string('purged_by', 100);
  });
}

export async function down(knex: Knex): Promise<void> {
  // ALTER TABLE … DROP COLUMN directly: knex's SQLite emulation would rebuild `sources`, which
  // releases of the workflow reference.
  for (const c of added) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['sources', c]);
}
