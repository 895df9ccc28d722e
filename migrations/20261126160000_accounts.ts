import type { Knex } from 'knex';

/**
 * Accounts (issue 3): users and their roles, the publishers a steward is scoped to, server-side
 * sessions, API tokens and one-time password-set links. Secrets (session ids, tokens, links) are
 * stored only as SHA-256 hashes. The audit chain gains `dataset_id`, so stewards can be shown the
 * entries about their own publishers' datasets (the column is covered by the entry's hash).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('email', 320).notNullable().unique();
    t.string('display_name', 200).notNullable().defaultTo('');
    t.string('role', 20).notNullable();
    t.string('password_hash', 255);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.string('created_by', 100).notNullable().defaultTo('system');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.string('last_login_at', 32);
    t.index(['role']);
  });
  await knex.schema.createTable('user_publishers', (t) => {
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.integer('publisher_id').notNullable().references('id').inTable('publishers');
    t.primary(['user_id', 'publisher_id']);
    t.index(['publisher_id']);
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('created_at', 32).notNullable();
    t.string('last_seen_at', 32).notNullable();
    t.string('expires_at', 32).notNullable();
    t.string('client', 128);
    t.index(['user_id']);
    t.index(['expires_at']);
  });
  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('name', 100).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('token_prefix', 16).notNullable();
    t.string('scopes', 100).notNullable();
    t.string('created_by', 100).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('expires_at', 32).notNullable();
    t.string('revoked_at', 32);
    t.string('revoked_by', 100);
    t.string('last_used_at', 32);
    t.index(['user_id']);
  });
  await knex.schema.createTable('password_links', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.string('created_by', 100).notNullable();
    t.string('created_at', 32).notNullable();
    t.string('expires_at', 32).notNullable();
    t.string('used_at', 32);
    t.index(['user_id']);
  });
  await knex.schema.alterTable('audit_log', (t) => {
    t.integer('dataset_id');
    t.index(['dataset_id', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropIndex(['dataset_id', 'seq']);
  });
  if (knex.client.config.client === 'pg') {
    await knex.schema.alterTable('audit_log', (t) => {
      t.dropColumn('dataset_id');
    });
  } else {
    // knex emulates DROP COLUMN on SQLite by copying the table, which would lose the append-only
    // triggers; SQLite's own ALTER TABLE … DROP COLUMN keeps the table and its triggers.
    await knex.raw('ALTER TABLE audit_log DROP COLUMN dataset_id');
  }
  for (const table of ['password_links', 'api_tokens', 'sessions', 'user_publishers', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
