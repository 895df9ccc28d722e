import type { Request, Response, Router } from 'express';

/** What a page handler returns: the view to render for people and the data for its `.json` twin. */
export interface PageResult {
  view: string;
  title: string;
  /** Locals for the template (may include render-only helpers). */
  locals?: Record<string, unknown>;
  /** The JSON twin's body. */
  json: unknown;
  status?: number;
}

/** A page handler. */
export type PageHandler = (req: Request, res: Response) => Promise<PageResult>;

/**
 * Registers a page and its `.json` twin (Datasette style): `/datasets` and `/datasets.json`,
 * `/` and `/index.json`. Both run the same handler, so they always agree.
 */
export function page(router: Router, path: string, handler: PageHandler): void {
  const jsonPath = path === '/' ? '/index.json' : `${path}.json`;
  router.get(jsonPath, async (req, res) => {
    res.locals.format = 'json';
    const result = await handler(req, res);
    res.status(result.status ?? 200).json(result.json);
  });
  router.get(path, async (req, res) => {
    const result = await handler(req, res);
    res.status(result.status ?? 200).render(result.view, { title: result.title, ...result.locals, jsonUrl: jsonTwin(req) });
  });
}

function jsonTwin(req: Request): string {
  const [path, qs] = req.originalUrl.split('?', 2);
  const base = path === '/' ? '/index' : path.replace(/\/+$/, '');
  return base + '.json' + (qs ? '?' + qs : '');
}
