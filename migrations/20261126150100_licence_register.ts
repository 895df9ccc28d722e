import type { Knex } from 'knex';

/** The licence register every deployment starts with. */
const licences = [
  ['OGL-UK-3.0', 'Open Government Licence v3.0', 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/', true],
  ['OGL-UK-2.0', 'Open Government Licence v2.0', 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/', true],
  ['CC-BY-4.0', 'Creative Commons Attribution 4.0', 'https://creativecommons.org/licenses/by/4.0/', true],
  ['CC0-1.0', 'Creative Commons Zero 1.0 (public domain dedication)', 'https://creativecommons.org/publicdomain/zero/1.0/', true],
  ['ODbL-1.0', 'Open Data Commons Open Database Licence 1.0', 'https://opendatacommons.org/licenses/odbl/1-0/', true],
  ['other-closed', 'Not open: access on request', 'https://www.nationalarchives.gov.uk/information-management/re-using-public-sector-information/', false],
] as const;

export async function up(knex: Knex): Promise<void> {
  await knex('licences').insert(licences.map(([id, title, url, isOpen]) => ({ id, title, url, is_open: isOpen })));
}

export async function down(knex: Knex): Promise<void> {
  // Licences still referenced by datasets stay; the catalogue migration's down() removes everything.
  await knex('licences')
    .whereIn('id', licences.map((l) => l[0]))
    .whereNotIn('id', knex('datasets').select('licence_id'))
    .whereNotIn('id', knex('pub_datasets').select('licence_id'))
    .delete();
}
