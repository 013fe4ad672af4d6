import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { verifyApiKey } from '../../src/access/api-keys';
import { externalAccountId, findAccount } from '../../src/access/accounts';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import { sendApiError } from './errors';

/**
 * API authentication: `Authorization: Bearer <api key>`. Mounted in front of everything under
 * /api/v1, so a route added there later is authenticated without having to remember it.
 * Sets `res.locals.hostAppId`; `loadHostAccount` then sets `res.locals.account` for `:accountId`.
 */

export interface ApiLocals {
  hostAppId: string;
  account: Account;
}

/**
 * The host's id of an account, as it appears in `/accounts/:accountId`: one line of at most 200
 * characters, without spaces or slashes (it is one URL segment), and without control characters.
 */
/** The host's own account id in URLs: one definition, src/access/accounts.ts. */
export const hostAccountIdSchema = externalAccountId;

export function requireApiKey(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendApiError(res, 401, 'unauthorized', 'Send your API key as "Authorization: Bearer <key>".');
    }
    const identity = await verifyApiKey(db, match[1]!);
    if (!identity) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendApiError(res, 401, 'unauthorized', 'This API key is not valid (unknown or revoked).');
    }
    res.locals.hostAppId = identity.hostAppId;
    next();
  };
}

/** The host app's account named by `:accountId` (the host's own id), or 404: another host's accounts do not exist for it. */
export function loadHostAccount(db: Db): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const id = hostAccountIdSchema.safeParse(req.params.accountId);
    if (!id.success)
      return sendApiError(res, 400, 'invalid_account_id', 'The account id in the URL is not valid.', {
        accountId: id.error.issues[0]?.message ?? 'invalid',
      });
    const account = await findAccount(db, res.locals.hostAppId as string, id.data);
    if (!account)
      return sendApiError(
        res,
        404,
        'account_not_found',
        `No account "${id.data}" for this host app; create it with PUT /api/v1/accounts/${id.data}.`,
      );
    res.locals.account = account;
    next();
  };
}
