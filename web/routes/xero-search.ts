import { Router, type RequestHandler } from 'express';
import type { Account } from '../../src/db/schema';
import type { Logger } from '../../src/log';
import { NotConnectedError } from '../../src/xero/access';
import { contactSearchTermSchema, searchXeroContacts } from '../../src/xero/contact-search';
import { XeroApiError } from '../../src/xero/errors';
import type { XeroGateway } from '../../src/xero/gateway';
import { RateLimitWaitError } from '../../src/xero/rate-limiter';
import { sendApiError } from '../api/errors';

/**
 * Live searches of the connected Xero organisation, for the host's pickers (mounted under /api/v1
 * behind the API-key check):
 *
 *   GET /accounts/{accountId}/xero/contacts/search?q=   active contacts whose name, first or last
 *       name, contact number or email contains q (any case): {contacts: [...]}, at most 20
 *
 * Each search is one Xero call through the gateway, so it counts against the organisation's rate
 * limits like any other; a host should search as the user pauses typing, not on every keystroke.
 */

export interface XeroSearchRouterDeps {
  /** The gateway's raw call (AdminAccess.xeroCall). */
  xeroCall: XeroGateway['call'];
  log: Logger;
  /** Sets `res.locals.account` for `:accountId` (the host's id) or answers 404 itself. */
  loadAccount: RequestHandler;
}

export function xeroSearchRouter(deps: XeroSearchRouterDeps): Router {
  const router = Router();
  router.use('/accounts/:accountId/xero/contacts/search', deps.loadAccount);

  router.get('/accounts/:accountId/xero/contacts/search', async (req, res) => {
    const raw = req.query.q;
    if (raw !== undefined && typeof raw !== 'string')
      return sendApiError(res, 400, 'invalid_query', 'The query is not valid.', { q: 'give q once, as plain text' });
    const q = contactSearchTermSchema.safeParse(raw ?? '');
    if (!q.success)
      return sendApiError(res, 400, 'invalid_query', 'The query is not valid.', {
        q: q.error.issues[0]?.message ?? 'invalid',
      });
    const account = res.locals.account as Account;
    try {
      res.json({ contacts: await searchXeroContacts(deps.xeroCall, account.id, q.data) });
    } catch (err) {
      if (err instanceof NotConnectedError)
        return sendApiError(
          res,
          409,
          'not_connected',
          err.reason === 'needs_reconnect'
            ? 'The Xero connection needs reconnecting before Xero can be searched.'
            : 'The account is not connected to Xero.',
        );
      if (err instanceof RateLimitWaitError) {
        res.set('Retry-After', String(Math.ceil(err.waitMs / 1000)));
        return sendApiError(res, 429, 'rate_limited', `${err.message}; try the search again then.`);
      }
      if (err instanceof XeroApiError) {
        if (err.kind === 'rate_limited') {
          res.set('Retry-After', String(err.retryAfterSeconds ?? 1));
          return sendApiError(res, 429, 'rate_limited', 'Xero asked us to slow down; try the search again shortly.');
        }
        deps.log.warn({ accountId: account.id, kind: err.kind, status: err.status }, 'Xero contact search failed');
        return sendApiError(res, 502, 'xero_error', `Xero did not answer the search properly (${err.message}).`);
      }
      throw err;
    }
  });

  return router;
}
