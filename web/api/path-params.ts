import type { RequestHandler } from 'express';
import { identifierProblem } from '../../src/domain/text';
import { sendApiError } from './errors';

/**
 * Path parameters are ids and document numbers (accounts, orders, payments, contacts): a URL-encoded
 * control character, NUL or malformed percent-encoding in one is refused for every route under
 * /api/v1 at once, routers added later included, before any of them looks the value up or stores it.
 * (Express answers malformed percent-encoding with an error that would otherwise become a 500.)
 */

/** The segment before a parameter → the parameter's name in the routes (`/accounts/:accountId/orders/:orderNumber`). */
const PARAM_AFTER: Record<string, string> = {
  accounts: 'accountId',
  orders: 'orderNumber',
  payments: 'paymentId',
  contacts: 'contactId',
  'sync-log': 'entryId',
  xero: 'kind',
};

const errorCode = (param: string) => `invalid_${param.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;

function segmentProblem(segment: string): string | undefined {
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    return 'is not valid percent-encoded UTF-8';
  }
  return identifierProblem(value);
}

export function rejectUnsafePathParams(): RequestHandler {
  return (req, res, next) => {
    const segments = req.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const problem = segmentProblem(segments[i]!);
      if (!problem) continue;
      const param = PARAM_AFTER[segments[i - 1]!.toLowerCase()] ?? 'path';
      return sendApiError(res, 400, errorCode(param), `The ${param} in the URL is not valid.`, { [param]: problem });
    }
    next();
  };
}
