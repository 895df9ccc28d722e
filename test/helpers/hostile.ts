import { insertDataset } from '../../src/catalogue/dataset.repository';
import { createPublisher, createTheme, upsertLicence } from '../../src/catalogue/reference.repository';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import type { Db } from '../../src/db/knex';
import { publishRelease } from '../../src/publishing/publish.service';

/**
 * A corpus of hostile strings for XSS tests, and a published dataset that carries them in every
 * metadata field, column header and cell. Every payload that could run sets `window.__xss` (or
 * opens a dialog), so a browser test can tell that nothing ran by checking one global.
 */

/** Payloads that try to run script when rendered as HTML, an attribute, a URL, Markdown, CSS or a template. */
export const xssPayloads: readonly string[] = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=2">',
  '<img src=x onerror=alert(2)>',
  '"><script>window.__xss=3</script>',
  "'><img src=x onerror=window.__xss=4>",
  '<svg onload="window.__xss=5"></svg>',
  '<svg><script>window.__xss=6</script></svg>',
  '<body onload=window.__xss=7>',
  '<iframe src="javascript:window.top.__xss=8"></iframe>',
  '<iframe srcdoc="<script>parent.__xss=9</script>"></iframe>',
  '<a href="javascript:window.__xss=10">click</a>',
  '<details open ontoggle="window.__xss=11">',
  '<input autofocus onfocus="window.__xss=12">',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=13">',
  '<noscript><p title="</noscript><img src=x onerror=window.__xss=14>">',
  '</textarea><script>window.__xss=15</script>',
  '</title><script>window.__xss=16</script>',
  '--><script>window.__xss=17</script>',
  '<style>@import "javascript:window.__xss=18";</style>',
  '<div style="width: expression(window.__xss=19); background:url(javascript:window.__xss=19)">css</div>',
  '<object data="data:text/html,<script>parent.__xss=20</script>"></object>',
  '<base href="javascript:window.__xss=21//">',
  '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=22">',
  '[x](javascript:window.__xss=23)',
  '[x](JaVaScRiPt:window.__xss=24)',
  '[x](&#106;avascript:window.__xss=25)',
  '[x]( javascript:window.__xss=26 )',
  '[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9Mjc8L3NjcmlwdD4=)',
  '[x](vbscript:msgbox(28))',
  '![x](x" onerror="window.__xss=29)',
  '<javascript:window.__xss=30>',
  '[ref][r]\n\n[r]: javascript:window.__xss=31',
  '`<script>window.__xss=32</script>`',
  '<%= process.exit(1) %><%- "<img src=x onerror=window.__xss=33>" %>',
  '{{constructor.constructor("window.__xss=34")()}}',
  '${window.__xss=35}',
  "';window.__xss=36;//",
  '＜script＞window.__xss=37＜/script＞',
  '\u202e<img src=x onerror="window.__xss=38">',
  'java\u200bscript:window.__xss=39',
  '\u2028<script>window.__xss=40</script>\u2029',
  '&lt;script&gt;window.__xss=41&lt;/script&gt;',
  '%3Cscript%3Ewindow.__xss=42%3C/script%3E',
  '=HYPERLINK("javascript:window.__xss=43")',
];

/** A compact payload for fields with a length limit or a single line (slugs aside). */
export const shortPayload = '"><img src=x onerror="window.__xss=100">';

/** All payloads joined, for long text fields (descriptions). */
export const allPayloads = xssPayloads.join('\n\n');

/** What seedHostileCatalogue created, for tests to visit. */
export interface HostileCatalogue {
  datasetSlug: string;
  publisherSlug: string;
  themeSlug: string;
  version: number;
  columns: ColumnSchema[];
  rows: CellValue[][];
}

/**
 * A publisher, theme, licence and published dataset whose every field, column name, column
 * title/description/unit and string cell carries hostile input — created through the same
 * repository and publish functions the portal itself uses.
 */
export async function seedHostileCatalogue(db: Db): Promise<HostileCatalogue> {
  const publisher = await createPublisher(db, {
    slug: 'hostile-publisher',
    name: `Hostile ${shortPayload} <svg onload=window.__xss=101>`,
    description: allPayloads,
    homepageUrl: 'javascript:window.__xss=102',
    email: `x@example.org"><script>window.__xss=103</script>`,
  });
  const theme = await createTheme(db, { slug: 'hostile-theme', title: `Theme ${shortPayload}`, description: allPayloads });
  await upsertLicence(db, { id: 'HOSTILE-1.0', title: `Licence ${shortPayload}`, url: 'javascript:window.__xss=104', isOpen: true });
  const datasetId = await insertDataset(db, {
    slug: 'hostile-dataset',
    title: `Hostile data ${shortPayload} <script>window.__xss=105</script>`,
    summary: `Summary ${xssPayloads.slice(0, 12).join(' ')}`,
    description: `# Heading <script>window.__xss=106</script>\n\n${allPayloads}\n\n[safe link](https://example.org)`,
    publisherId: publisher.id,
    licenceId: 'HOSTILE-1.0',
    updateFrequency: `"><svg onload=window.__xss=120>`,
    temporalStart: '2026-01-01',
    temporalEnd: '2026-12-31',
    spatialCoverage: `Anytown ${shortPayload}`,
    contactName: `Contact ${shortPayload}`,
    contactEmail: `x@example.org" onmouseover="window.__xss=107`,
    sensitivityLevel: 'public',
    listMetadataOnly: false,
    accessRequest: `Ask ${shortPayload}`,
    themeIds: [theme.id],
    keywords: ['hostile', ...xssPayloads.slice(0, 8), '{{7*7}}', '<%= 7*7 %>'],
  });
  const columns: ColumnSchema[] = [
    { name: 'id', type: 'integer', title: `Id ${shortPayload}` },
    { name: '<script>window.__xss=110</script>', type: 'string', description: shortPayload, unit: '<b onmouseover=window.__xss=111>u</b>' },
    { name: '"><img src=x onerror="window.__xss=112">', type: 'string' },
    { name: '[x](javascript:window.__xss=113)', type: 'string' },
    { name: '{{constructor.constructor("window.__xss=114")()}} <%= 7*7 %>', type: 'number' },
  ];
  const rows: CellValue[][] = xssPayloads.map((p, i) => [i + 1, p, xssPayloads[(i + 1) % xssPayloads.length], `[x](javascript:window.__xss=${200 + i})`, i / 2]);
  const release = await publishRelease(db, {
    datasetId,
    columns,
    batches: [rows],
    actor: 'system',
    notes: `Notes ${shortPayload}`,
    statement: `Statement ${shortPayload}`,
  });
  return { datasetSlug: 'hostile-dataset', publisherSlug: publisher.slug, themeSlug: theme.slug, version: release.version, columns, rows };
}

/** Public pages that show the hostile catalogue's values (paths relative to the portal). */
export function hostilePages(h: HostileCatalogue): string[] {
  const q = encodeURIComponent;
  return [
    '/',
    '/datasets',
    `/datasets?q=hostile`,
    `/datasets?keyword=${q('hostile')}`,
    `/datasets?publisher=${h.publisherSlug}&theme=${h.themeSlug}`,
    `/datasets/${h.datasetSlug}`,
    `/datasets/${h.datasetSlug}/releases/${h.version}`,
    '/publishers',
    `/publishers/${h.publisherSlug}`,
    '/themes',
    `/themes/${h.themeSlug}`,
  ];
}

/** Pages that reflect request input back (query text, bad parameters, unknown paths, `next`). */
export function reflectedPages(): string[] {
  const q = encodeURIComponent;
  return [
    `/datasets?q=${q('"><script>window.__xss=300</script>')}`,
    `/datasets?q=${q('<img src=x onerror="window.__xss=301">')}&sort=title`,
    `/datasets?page=${q('<img src=x onerror="window.__xss=302">')}`,
    `/datasets?publisher=${q('"><svg onload=window.__xss=303>')}`,
    `/datasets?keyword=${q("'><script>window.__xss=304</script>")}`,
    `/no-such-${q('<script>window.__xss=305</script>')}`,
    `/datasets/${q('"><img src=x onerror=window.__xss=306>')}`,
    `/sign-in?next=${q('javascript:window.__xss=307')}`,
    `/sign-in?next=${q('"><script>window.__xss=308</script>')}`,
  ];
}
