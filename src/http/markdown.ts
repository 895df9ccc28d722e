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
for (const [rule, cls] of [
  ['paragraph_open', 'govuk-body'],
  ['bullet_list_open', 'govuk-list govuk-list--bullet'],
  ['ordered_list_open', 'govuk-list govuk-list--number'],
  ['heading_open', 'govuk-heading-s'],
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
