import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown } from '../../src/http/markdown';

test('descriptions render safely: no raw HTML, no script links, headings below the page’s own', () => {
  const html = renderMarkdown('# Title\n\n## Sub\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.org) ![i](https://x/y.png)');
  assert.match(html, /<h3 class="govuk-heading-s">Title<\/h3>/);
  assert.match(html, /<h4 class="govuk-heading-s">Sub<\/h4>/);
  assert.doesNotMatch(html, /<h1|<h2|<script|href="javascript|<img/);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /<a href="https:\/\/example\.org" rel="nofollow noopener" class="govuk-link">ok<\/a>/);
});
