import type { Knex } from 'knex';

/** A counter bumped by every change to the public catalogue, so caches know when to refresh. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pub_generation', (t) => {
    t.integer('id').primary();
    t.bigInteger('generation').notNullable().defaultTo(0);
  });
  await knex('pub_generation').insert({ id: 1, generation: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('pub_generation');
}
