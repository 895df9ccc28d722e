/**
 * Writes the demo CSV files a steward can upload (deterministic, each under 1 MB):
 *   node_modules/.bin/tsx seeds/files/generate.ts
 * - the three demo restricted datasets as plain UTF-8 CSV exports;
 * - a real-world-messy council export: Windows-1252 with € and accents, semicolons, CRLF, a
 *   title line of its own, UK dates, decimal commas, quoted line breaks, ragged rows, a blank
 *   header, trailing empty columns and formula-looking cells;
 * - the same kind of export as UTF-8 with a byte order mark and tabs.
 */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { CellValue } from '../../src/catalogue/table-schema';
import { postcode, wards } from '../lib/demo-data';
import { housingBenefitClaims, smartMeterReadings, socialCareUsers } from '../lib/restricted-data';
import { Rng } from '../lib/rng';

const dir = __dirname;

function csvCell(v: CellValue, sep = ','): string {
  if (v === null) return '';
  const s = String(v);
  return s.includes(sep) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeTable(name: string, columns: Array<{ name: string }>, rows: CellValue[][]) {
  const lines = [columns.map((c) => c.name).join(','), ...rows.map((r) => r.map((v) => csvCell(v)).join(','))];
  fs.writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
}

const hb = housingBenefitClaims(new Rng(11));
writeTable('housing-benefit-claims.csv', hb.columns, hb.rows);
const sm = smartMeterReadings(new Rng(12));
writeTable('household-smart-meter-readings.csv', sm.columns, sm.rows.slice(0, 60 * 96)); // the first two days
const sc = socialCareUsers(new Rng(13));
writeTable('adult-social-care-service-users.csv', sc.columns, sc.rows);

const rng = new Rng(14);
const first = ['Zoë', 'Chloé', 'José', 'Renée', 'Siân', 'Øyvind', 'Amélie', 'Noël', 'Seán', 'Léa', 'Olivia', 'George', 'Priya', 'Tomasz'];
const last = ['Brontë', 'Muñoz', 'Smith', 'Jones', "O'Brien", 'Patel', 'Nowak', 'Khan', 'Taylor', 'Évans'];
const uk = (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
const header = ['Claim Ref', 'Claimant name', 'DOB', 'Post Code', 'Ward', 'Weekly award (€/£)', 'Start date', 'E-mail', 'Phone', 'Notes', '', '', ''];
const lines: string[] = ['Anytown Council - Housing Benefit live caseload export;;;', header.join(';')];
for (let i = 1; i <= 400; i++) {
  const birth = new Date(Date.UTC(1940 + rng.int(0, 60), rng.int(0, 11), rng.int(1, 28)));
  const start = new Date(Date.UTC(2019 + rng.int(0, 6), rng.int(0, 11), rng.int(1, 28)));
  const name = `${rng.pick(first)} ${rng.pick(last)}`;
  const award = (rng.int(1500, 25000) / 100).toFixed(2).replace('.', ',');
  const note = rng.int(1, 10) === 1 ? `"Moved in with family;\r\nsee ""case file"""` : rng.int(1, 20) === 1 ? '=HYPERLINK("http://example.invalid")' : '';
  const email = `${name.split(' ')[0].normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()}${i}@example.com`;
  const phone = `07700 900${String(rng.int(0, 999)).padStart(3, '0')}`;
  const cells = [`HB${700000 + i}`, name, uk(birth), postcode(rng), rng.pick(wards), award, uk(start), email, phone, note];
  if (i % 37 === 0) cells.length = 7; // a short (ragged) row
  else cells.push('', '', ''); // trailing empty columns, as spreadsheets export them
  lines.push(cells.join(';'));
}
// The title line is not part of the table: the real export has it, and importing the file as is
// shows the steward what Plaza makes of it. The clean version drops it.
const messy = lines.slice(1).join('\r\n') + '\r\n';
fs.writeFileSync(path.join(dir, 'housing-benefit-export-messy-windows-1252.csv'), iconv.encode(messy, 'windows-1252'));

const tabbed = lines
  .slice(1)
  .map((l) => l.split(';').join('\t'))
  .join('\n');
fs.writeFileSync(path.join(dir, 'housing-benefit-export-utf8-bom.tsv'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(tabbed + '\n', 'utf8')]));

for (const f of fs.readdirSync(dir).filter((f) => !f.endsWith('.ts'))) {
  const size = fs.statSync(path.join(dir, f)).size;
  if (size >= 1024 * 1024) throw new Error(`${f} is ${size} bytes; demo files must stay under 1 MB`);
  console.log(`${f}: ${size} bytes`);
}
