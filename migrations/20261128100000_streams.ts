import type { Knex } from 'knex';

/**
 * Live sensor streams (issue 8). `streams` defines a stream: its reading schema (measures with units
 * and valid ranges), its rollup policy (versioned; a personal stream's policy needs a standing
 * approval by a second steward, voided by any change), the catalogue datasets its releases go to,
 * and the scheduler's watermark `closed_until` (epoch ms: every interval before it is closed and
 * released; written in the same transaction as the releases). `stream_devices` is the device
 * registry (credential salt and hash, never the key itself). `stream_batches` makes ingest
 * idempotent: one row per (device, sequence number) with the batch's digest. `stream_readings`
 * holds the raw readings (private).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('streams', (t) => {
    t.increments('id').primary();
    t.string('slug', 100).notNullable().unique();
    t.integer('dataset_id').notNullable().unique().references('id').inTable('datasets');
    t.integer('readings_dataset_id').unique().references('id').inTable('datasets');
    t.string('level', 32).notNullable();
    t.text('measures_json').notNullable();
    t.text('rollup_json').notNullable();
    t.integer('policy_version').notNullable().defaultTo(1);
    t.string('policy_by', 100).notNullable();
    t.string('policy_at', 32).notNullable();
    t.string('approved_by', 100);
    t.string('approved_at', 32);
    t.integer('approved_policy_version');
    t.bigInteger('closed_until').notNullable();
    t.text('blocked_reason');
    t.string('created_by', 100).notNullable();
    t.string('created_at', 32).notNullable();
  });
  await knex.schema.createTable('stream_devices', (t) => {
    t.increments('id').primary();
    t.integer('stream_id').notNullable().references('id').inTable('streams');
    t.string('device_key', 64).notNullable().unique();
    t.string('label', 200).notNullable().defaultTo('');
    t.double('lat');
    t.double('lon');
    t.string('ward', 100);
    t.string('key_salt', 64).notNullable();
    t.string('key_hash', 64).notNullable();
    t.string('created_by', 100).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('revoked_at', 32);
    t.string('revoked_by', 100);
    t.index(['stream_id']);
  });
  await knex.schema.createTable('stream_batches', (t) => {
    t.increments('id').primary();
    t.integer('device_id').notNullable().references('id').inTable('stream_devices');
    t.bigInteger('seq').notNullable();
    t.string('digest', 64).notNullable();
    t.integer('readings').notNullable();
    t.bigInteger('received_at').notNullable();
    t.unique(['device_id', 'seq']);
  });
  await knex.schema.createTable('stream_readings', (t) => {
    t.bigIncrements('id').primary();
    t.integer('stream_id').notNullable();
    t.integer('device_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.bigInteger('at').notNullable();
    t.text('values_json').notNullable();
    t.index(['stream_id', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('stream_readings');
  await knex.schema.dropTableIfExists('stream_batches');
  await knex.schema.dropTableIfExists('stream_devices');
  await knex.schema.dropTableIfExists('streams');
}
