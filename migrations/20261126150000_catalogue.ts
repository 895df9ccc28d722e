import type { Knex } from 'knex';

/**
 * The catalogue. Private side: `datasets` (working metadata), `dataset_themes`, `dataset_keywords`,
 * `sources` (raw uploads, one private table each) and `releases` (every release record in any
 * workflow state). Public side: `pub_*` tables hold the published snapshot of a dataset's metadata
 * and its published releases; public routes read only these, the reference tables (publishers,
 * themes, licences) and release data tables.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('licences', (t) => {
    t.string('id', 64).primary();
    t.string('title', 200).notNullable();
    t.string('url', 500).notNullable();
    t.boolean('is_open').notNullable().defaultTo(true);
  });
  await knex.schema.createTable('publishers', (t) => {
    t.increments('id').primary();
    t.string('slug', 100).notNullable().unique();
    t.string('name', 200).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.string('kind', 40).notNullable().defaultTo('council_department');
    t.string('homepage_url', 500);
    t.string('email', 320);
    t.string('created_at', 32).notNullable();
  });
  await knex.schema.createTable('themes', (t) => {
    t.increments('id').primary();
    t.string('slug', 100).notNullable().unique();
    t.string('title', 200).notNullable();
    t.text('description').notNullable().defaultTo('');
  });
  await knex.schema.createTable('datasets', (t) => {
    t.increments('id').primary();
    t.string('slug', 100).notNullable().unique();
    t.string('title', 200).notNullable();
    t.string('summary', 500).notNullable().defaultTo('');
    t.text('description').notNullable().defaultTo('');
    t.integer('publisher_id').notNullable().references('id').inTable('publishers');
    t.string('licence_id', 64).notNullable().references('id').inTable('licences');
    t.string('update_frequency', 40).notNullable().defaultTo('irregular');
    t.string('temporal_start', 32);
    t.string('temporal_end', 32);
    t.string('spatial_coverage', 200);
    t.string('contact_name', 200);
    t.string('contact_email', 320);
    t.string('sensitivity_level', 32).notNullable().defaultTo('public');
    t.string('state', 32).notNullable().defaultTo('draft');
    t.boolean('list_metadata_only').notNullable().defaultTo(false);
    t.text('access_request').notNullable().defaultTo('');
    t.string('created_at', 32).notNullable();
    t.string('modified_at', 32).notNullable();
    t.index(['publisher_id']);
  });
  await knex.schema.createTable('dataset_themes', (t) => {
    t.integer('dataset_id').notNullable().references('id').inTable('datasets').onDelete('CASCADE');
    t.integer('theme_id').notNullable().references('id').inTable('themes');
    t.primary(['dataset_id', 'theme_id']);
  });
  await knex.schema.createTable('dataset_keywords', (t) => {
    t.integer('dataset_id').notNullable().references('id').inTable('datasets').onDelete('CASCADE');
    t.string('keyword', 100).notNullable();
    t.primary(['dataset_id', 'keyword']);
  });
  await knex.schema.createTable('sources', (t) => {
    t.increments('id').primary();
    t.integer('dataset_id').notNullable().references('id').inTable('datasets');
    t.integer('version').notNullable();
    t.string('table_name', 64).notNullable().unique();
    t.string('filename', 300).notNullable().defaultTo('');
    t.integer('row_count').notNullable().defaultTo(0);
    t.text('columns_json').notNullable();
    t.string('created_by', 64).notNullable().defaultTo('system');
    t.string('created_at', 32).notNullable();
    t.unique(['dataset_id', 'version']);
  });
  await knex.schema.createTable('releases', (t) => {
    t.increments('id').primary();
    t.integer('dataset_id').notNullable().references('id').inTable('datasets');
    t.integer('version');
    t.string('state', 32).notNullable();
    t.integer('source_id').references('id').inTable('sources');
    t.text('policy_json');
    t.string('table_name', 64);
    t.integer('row_count');
    t.text('columns_json');
    t.string('checksum', 64);
    t.integer('byte_size');
    t.text('statement').notNullable().defaultTo('');
    t.text('risk_json');
    t.text('notes').notNullable().defaultTo('');
    t.text('withdrawn_reason');
    t.string('created_by', 64).notNullable().defaultTo('system');
    t.string('created_at', 32).notNullable();
    t.string('published_at', 32);
    t.index(['dataset_id', 'state']);
    t.unique(['dataset_id', 'version']);
  });

  // Public side.
  await knex.schema.createTable('pub_datasets', (t) => {
    t.integer('id').primary().references('id').inTable('datasets');
    t.string('slug', 100).notNullable().unique();
    t.string('title', 200).notNullable();
    t.string('summary', 500).notNullable();
    t.text('description').notNullable();
    t.integer('publisher_id').notNullable().references('id').inTable('publishers');
    t.string('licence_id', 64).notNullable().references('id').inTable('licences');
    t.string('update_frequency', 40).notNullable();
    t.string('temporal_start', 32);
    t.string('temporal_end', 32);
    t.string('spatial_coverage', 200);
    t.string('contact_name', 200);
    t.string('contact_email', 320);
    t.string('sensitivity_level', 32).notNullable();
    t.boolean('metadata_only').notNullable().defaultTo(false);
    t.text('access_request').notNullable().defaultTo('');
    t.integer('latest_release_id');
    t.integer('download_count').notNullable().defaultTo(0);
    t.string('created_at', 32).notNullable();
    t.string('modified_at', 32).notNullable();
    t.string('published_at', 32).notNullable();
    t.index(['modified_at']);
    t.index(['title']);
    t.index(['download_count']);
    t.index(['publisher_id']);
    t.index(['licence_id']);
    t.index(['sensitivity_level']);
  });
  await knex.schema.createTable('pub_dataset_themes', (t) => {
    t.integer('dataset_id').notNullable().references('id').inTable('pub_datasets').onDelete('CASCADE');
    t.integer('theme_id').notNullable().references('id').inTable('themes');
    t.primary(['dataset_id', 'theme_id']);
    t.index(['theme_id']);
  });
  await knex.schema.createTable('pub_dataset_keywords', (t) => {
    t.integer('dataset_id').notNullable().references('id').inTable('pub_datasets').onDelete('CASCADE');
    t.string('keyword', 100).notNullable();
    t.primary(['dataset_id', 'keyword']);
    t.index(['keyword']);
  });
  await knex.schema.createTable('pub_dataset_formats', (t) => {
    t.integer('dataset_id').notNullable().references('id').inTable('pub_datasets').onDelete('CASCADE');
    t.string('format', 20).notNullable();
    t.primary(['dataset_id', 'format']);
    t.index(['format']);
  });
  await knex.schema.createTable('pub_releases', (t) => {
    t.integer('id').primary().references('id').inTable('releases');
    t.integer('dataset_id').notNullable().references('id').inTable('pub_datasets').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.string('status', 32).notNullable();
    t.string('table_name', 64).notNullable();
    t.integer('row_count').notNullable();
    t.text('columns_json').notNullable();
    t.string('checksum', 64).notNullable();
    t.integer('byte_size').notNullable();
    t.text('statement').notNullable().defaultTo('');
    t.text('protection_json');
    t.text('notes').notNullable().defaultTo('');
    t.text('withdrawn_reason');
    t.string('published_at', 32).notNullable();
    t.integer('download_count').notNullable().defaultTo(0);
    t.unique(['dataset_id', 'version']);
  });

  // Audit chain: append-only, hash-linked (src/audit).
  await knex.schema.createTable('audit_log', (t) => {
    t.bigInteger('seq').primary();
    t.string('at', 32).notNullable();
    t.string('actor', 100).notNullable();
    t.string('action', 64).notNullable();
    t.string('object_type', 40);
    t.string('object_id', 100);
    t.string('outcome', 16).notNullable();
    t.string('request_id', 64);
    t.string('client', 128);
    t.text('details').notNullable();
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable();
    t.index(['action']);
    t.index(['actor']);
    t.index(['object_type', 'object_id']);
    t.index(['at']);
  });

  if (knex.client.config.client === 'pg') {
    await knex.schema.alterTable('pub_datasets', (t) => {
      t.specificType('search_vector', 'tsvector');
    });
    await knex.raw('CREATE INDEX pub_datasets_search_idx ON pub_datasets USING GIN (search_vector)');
    await knex.raw(`
      CREATE OR REPLACE FUNCTION plaza_audit_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END;
      $$ LANGUAGE plpgsql`);
    await knex.raw(
      'CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION plaza_audit_append_only()',
    );
    await knex.raw('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log EXECUTE FUNCTION plaza_audit_append_only()');
  } else {
    await knex.raw(
      "CREATE VIRTUAL TABLE pub_datasets_fts USING fts5(title, summary, description, keywords, publisher, themes, tokenize = 'porter unicode61 remove_diacritics 2')",
    );
    await knex.raw(
      "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    );
    await knex.raw(
      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  // Data tables are created at run time for each source and release; they go with the catalogue.
  const dataTables = [
    ...(await knex('sources').select('table_name')),
    ...(await knex('releases').whereNotNull('table_name').select('table_name')),
  ].map((r: { table_name: string }) => r.table_name);
  for (const name of dataTables) await knex.schema.dropTableIfExists(name);
  if (pg) {
    await knex.raw('DROP TABLE IF EXISTS audit_log');
    await knex.raw('DROP FUNCTION IF EXISTS plaza_audit_append_only()');
  } else {
    await knex.raw('DROP TABLE IF EXISTS pub_datasets_fts');
    await knex.schema.dropTableIfExists('audit_log');
  }
  for (const table of [
    'pub_releases',
    'pub_dataset_formats',
    'pub_dataset_keywords',
    'pub_dataset_themes',
    'pub_datasets',
    'releases',
    'sources',
    'dataset_keywords',
    'dataset_themes',
    'datasets',
    'themes',
    'publishers',
    'licences',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
