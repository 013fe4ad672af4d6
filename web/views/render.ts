import type { Response } from 'express';
import { Eta } from 'eta';

/** Server-rendered admin pages with Eta, which escapes every `<%= %>` by default. */
const eta = new Eta({ views: __dirname, cache: process.env.NODE_ENV === 'production' });

export function renderPage(res: Response, view: string, data: object, status = 200): void {
  res
    .status(status)
    .type('html')
    .send(eta.render(`./${view}`, data));
}
