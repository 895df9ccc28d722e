import type { Knex } from 'knex';

/**
 * The release workflow (issue 6). `release_policies` holds every saved version of a dataset's
 * release policy (the privacy engine's policy JSON plus what kind of output it makes). A release
 * in the workflow (draft → in_review → approved → published) records which source version and
 * policy version it was built from, who submitted and approved it, the hash the approval is bound
 * to, the last preview (report, statement, gate verdict, first rows) and any admin overrides.
 */
const added = [
  'policy_version',
  'source_version',
  'submitted_by',
  'submitted_at',
  'approved_by',
  'approved_at',
  'approval_hash',
  'rejected_reason',
  'preview_json',
  'gate_json',
  'overrides_json',
  'updated_at',
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('release_policies', (t) => {
    t.increments('id').primary();
    t.integer('dataset_id').notNullable().references('id').inTable('datasets');
    t.integer('version').notNullable();
    t.text('policy_json').notNullable();
    t.text('settings_json').notNullable().defaultTo('{}');
    t.text('note').notNullable().defaultTo('');
    t.string('created_by', 100).notNullable();
    t.string('created_at', 32).notNullable();
    t.unique(['dataset_id', 'version']);
  });
  await knex.schema.alterTable('releases', (t) => {
    t.integer('policy_version');
    t.integer('source_version');
    t.string('submitted_by', 100);
    t.string('submitted_at', 32);
    t.string('approved_by', 100);
    t.string('approved_at', 32);
    t.string('approval_hash', 64);
    t.text('rejected_reason');
    t.text('preview_json');
    t.text('gate_json');
    t.text('overrides_json');
    t.string('updated_at', 32);
  });
}

export async function down(knex: Knex): Promise<void> {
  // ALTER TABLE … DROP COLUMN directly (SQLite ≥ 3.35 and PostgreSQL): knex's SQLite emulation
  // would rebuild `releases`, which published releases reference.
  for (const c of added) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['releases', c]);
  await knex.schema.dropTable('release_policies');
}
