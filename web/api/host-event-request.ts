import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { EventOptions } from '../../src/client';
import { outboundUrlProblem } from '../../src/net/outbound-http';
import { friendlyFieldErrors, sendApiError } from './errors';

/** What every host-event route (orders, bills, credit notes, deals) does with a request before the workflow decides. */

/** The body as the schema reads it, or a 400 naming each bad field (then undefined). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, res: Response): z.infer<S> | undefined {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  sendApiError(res, 400, 'invalid_request', 'The request body is not valid.', friendlyFieldErrors(r.error));
  return undefined;
}

/**
 * Temporal de-duplicates updates by id within a run: a host retry carrying the same
 * Idempotency-Key is one event even if the first answer never reached the host.
 */
export function hostEventOptions(req: Request, accountId: string): EventOptions {
  const key = req.get('idempotency-key');
  if (!key) return {};
  const scope = `${accountId}\n${req.method}\n${req.originalUrl}\n${key}`;
  return { eventId: `host-${createHash('sha256').update(scope).digest('hex').slice(0, 40)}` };
}

/** A host URL the worker would refuse (private address, not http) is refused here, naming the field. */
export async function acceptableHostUrl(
  field: string,
  url: string | undefined,
  res: Response,
  allowPrivateNetworks: boolean,
): Promise<boolean> {
  if (!url) return true;
  const problem = await outboundUrlProblem(url, { allowPrivateNetworks });
  if (!problem) return true;
  sendApiError(res, 400, 'invalid_request', 'The request body is not valid.', { [field]: problem });
  return false;
}
