import { z } from 'zod';
import type { Db } from '../db/database';
import type { Logger } from '../log';
import { outboundUrlProblem, type OutboundPolicy } from '../net/outbound-http';
import type { TokenCipher } from '../security/token-cipher';
import { startDeliveryLoop, type DeliveryLoop, type DeliveryOptions, type WebhookTarget } from './delivery';

/**
 * Each host app's webhook: where events go and the secret they are signed with. The secret is kept
 * encrypted with the token cipher (the engine needs it in clear to sign), never returned by the API.
 * Also: the delivery loop as the worker process runs it, and the listing of recent deliveries.
 */

export const webhookConfigInput = z
  .object({
    url: z
      .string()
      .trim()
      .max(2000)
      .url('expected an absolute URL')
      .refine((u) => /^https?:\/\//i.test(u), 'expected an http or https URL'),
    secret: z.string().min(24, 'at least 24 characters').max(200, 'at most 200 characters'),
  })
  .strict();

export type WebhookConfigInput = z.infer<typeof webhookConfigInput>;

/**
 * What is wrong with a webhook URL beyond its shape, per field (`{url: "…"}`), or undefined: a
 * literal private address, or a name resolving to one, unless private networks are allowed. The
 * delivery loop checks again at every connection; this only tells the host now instead of later.
 */
export async function webhookUrlProblems(
  input: WebhookConfigInput,
  policy: OutboundPolicy,
): Promise<Record<string, string> | undefined> {
  const problem = await outboundUrlProblem(input.url, policy);
  return problem ? { url: problem } : undefined;
}

export async function setHostWebhook(
  db: Db,
  cipher: TokenCipher,
  hostAppId: string,
  input: WebhookConfigInput | null,
): Promise<void> {
  await db
    .updateTable('host_apps')
    .set(
      input
        ? { webhook_url: input.url, webhook_secret_enc: cipher.encrypt(input.secret) }
        : { webhook_url: null, webhook_secret_enc: null },
    )
    .where('id', '=', hostAppId)
    .execute();
}

export async function hostWebhookView(db: Db, hostAppId: string): Promise<{ url: string | null; secretSet: boolean }> {
  const row = await db
    .selectFrom('host_apps')
    .select(['webhook_url', 'webhook_secret_enc'])
    .where('id', '=', hostAppId)
    .executeTakeFirst();
  return { url: row?.webhook_url ?? null, secretSet: !!row?.webhook_secret_enc };
}

/** The delivery loop's `targetFor`: the URL and the decrypted secret, or undefined (events wait). */
export function webhookTargets(db: Db, cipher: TokenCipher): (hostAppId: string) => Promise<WebhookTarget | undefined> {
  return async (hostAppId) => {
    const row = await db
      .selectFrom('host_apps')
      .select(['webhook_url', 'webhook_secret_enc'])
      .where('id', '=', hostAppId)
      .executeTakeFirst();
    if (!row?.webhook_url || !row.webhook_secret_enc) return undefined;
    return { url: row.webhook_url, secret: cipher.decrypt(row.webhook_secret_enc) };
  };
}

/**
 * The loop the worker process runs (`npm start`, `npm run worker`); stop it before closing the database.
 * Private addresses are refused unless `allowPrivateNetworks` (OUTBOUND_ALLOW_PRIVATE_NETWORKS).
 */
export function startHostWebhookDelivery(
  p: { db: Db; cipher: TokenCipher; log: Logger } & Partial<Omit<DeliveryOptions, 'db' | 'log' | 'targetFor'>> & {
      intervalMs?: number;
    },
): DeliveryLoop {
  const { cipher, ...rest } = p;
  return startDeliveryLoop({ ...rest, targetFor: webhookTargets(p.db, cipher) });
}

export const deliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered']).optional(),
  /** Cursor: deliveries older than this id (newest first). */
  before: z.coerce.bigint().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  accountId: string | null;
  orderingKey: string;
  createdAt: Date;
  status: 'pending' | 'delivered';
  attempts: number;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  event: unknown;
}

/** A host app's recent events and how their delivery went, newest first. */
export async function listDeliveries(
  db: Db,
  hostAppId: string,
  query: z.infer<typeof deliveriesQuery>,
): Promise<{ deliveries: DeliveryView[]; nextBefore?: string }> {
  let q = db
    .selectFrom('webhook_outbox as o')
    .leftJoin('accounts as a', 'a.id', 'o.account_id')
    .select([
      'o.id',
      'o.event_id',
      'o.event_type',
      'a.external_id',
      'o.ordering_key',
      'o.created_at',
      'o.attempts',
      'o.last_attempt_at',
      'o.last_status',
      'o.last_error',
      'o.next_attempt_at',
      'o.delivered_at',
      'o.payload',
    ])
    .where('o.host_app_id', '=', hostAppId);
  if (query.status === 'pending') q = q.where('o.delivered_at', 'is', null);
  if (query.status === 'delivered') q = q.where('o.delivered_at', 'is not', null);
  if (query.before !== undefined) q = q.where('o.id', '<', query.before.toString());
  const rows = await q
    .orderBy('o.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const deliveries = page.map((r) => ({
    id: String(r.id),
    eventId: r.event_id,
    type: r.event_type,
    accountId: r.external_id,
    orderingKey: r.ordering_key,
    createdAt: r.created_at,
    status: r.delivered_at ? ('delivered' as const) : ('pending' as const),
    attempts: r.attempts,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    nextAttemptAt: r.delivered_at ? null : r.next_attempt_at,
    deliveredAt: r.delivered_at,
    event: r.payload,
  }));
  const last = page[page.length - 1];
  return rows.length > query.limit && last ? { deliveries, nextBefore: String(last.id) } : { deliveries };
}
