import path from 'node:path';
import { Eta } from 'eta';

/**
 * A partial of web/views rendered to a string (Eta escapes every `<%= %>`), for the JSON that
 * /assets/live-account.js polls: the live parts of a page come from the very partials the page uses.
 */
const eta = new Eta({ views: path.join(__dirname, '..', 'views'), cache: process.env.NODE_ENV === 'production' });

export function renderFragment(partial: string, data: object): string {
  return eta.render(`./${partial}`, data);
}
