import MarkdownIt from 'markdown-it';

/**
 * Markdown for dataset descriptions, rendered safely: raw HTML is escaped, only http(s) and mailto
 * links survive (markdown-it's link validation), and links get rel="nofollow noopener".
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
const allowedLink = /^(https?:|mailto:|\/|#)/i;
md.validateLink = (url: string) => allowedLink.test(url.trim());
md.disable(['image']);

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'nofollow noopener');
  tokens[idx].attrJoin('class', 'govuk-link');
  return defaultLinkOpen(tokens, idx, options, env, self);
};
// Headings in a description sit under the page's own h1 and h2: shift them down to h3–h6.
md.renderer.rules.heading_open = (tokens, idx, options, _env, self) => {
  const level = Number(tokens[idx].tag.slice(1));
  tokens[idx].tag = `h${Math.min(6, level + 2)}`;
  tokens[idx].attrJoin('class', 'govuk-heading-s');
  return self.renderToken(tokens, idx, options);
};
md.renderer.rules.heading_close = (tokens, idx, options, _env, self) => {
  const level = Number(tokens[idx].tag.slice(1));
  tokens[idx].tag = `h${Math.min(6, level + 2)}`;
  return self.renderToken(tokens, idx, options);
};
for (const [rule, cls] of [
  ['paragraph_open', 'govuk-body'],
  ['bullet_list_open', 'govuk-list govuk-list--bullet'],
  ['ordered_list_open', 'govuk-list govuk-list--number'],
] as const) {
  md.renderer.rules[rule] = (tokens, idx, options, _env, self) => {
    tokens[idx].attrJoin('class', cls);
    return self.renderToken(tokens, idx, options);
  };
}

/** Renders untrusted Markdown to safe HTML. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
