import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { XERO_EVENT_CATEGORIES, type XeroChangeEvent, type XeroEventCategory } from './shared';

/**
 * Xero's webhook deliveries: `x-xero-signature` is the base64 HMAC-SHA256 of the raw body with the
 * webhook key. Compared in constant time over equal lengths, so neither the comparison's time nor a
 * length mismatch tells a forger how close they came.
 */
export function signatureMatches(rawBody: Buffer, signature: string | undefined, key: string): boolean {
  if (!signature || !key) return false;
  const expected = createHmac('sha256', key).update(rawBody).digest();
  const given = Buffer.from(signature, 'base64');
  // Base64 that decodes to another length still costs one comparison of the expected length.
  const same = given.length === expected.length;
  const ok = timingSafeEqual(same ? given : expected, expected);
  // Buffer.from(…, 'base64') skips characters it cannot read: require the canonical spelling too.
  return same && ok && given.toString('base64') === signature.trim();
}

const eventSchema = z.object({
  resourceUrl: z.string().optional(),
  resourceId: z.string().min(1).max(100),
  eventDateUtc: z.string().min(1).max(40),
  eventType: z.string().min(1).max(40),
  eventCategory: z.string().min(1).max(40),
  tenantId: z.string().min(1).max(100),
  tenantType: z.string().optional(),
});

export const xeroWebhookBodySchema = z.object({
  events: z.array(eventSchema).max(10_000),
  firstEventSequence: z.number().optional(),
  lastEventSequence: z.number().optional(),
  entropy: z.string().optional(),
});

export type XeroWebhookBody = z.infer<typeof xeroWebhookBodySchema>;

/** The events the intake acts on, by tenant; other categories (SUBSCRIPTION, …) are counted as ignored. */
export function eventsByTenant(body: XeroWebhookBody): { byTenant: Map<string, XeroChangeEvent[]>; ignored: number } {
  const byTenant = new Map<string, XeroChangeEvent[]>();
  let ignored = 0;
  for (const e of body.events) {
    const category = e.eventCategory.toUpperCase() as XeroEventCategory;
    if (!XERO_EVENT_CATEGORIES.includes(category)) {
      ignored++;
      continue;
    }
    const list = byTenant.get(e.tenantId) ?? [];
    list.push({ category, resourceId: e.resourceId, eventType: e.eventType, eventDateUtc: e.eventDateUtc });
    byTenant.set(e.tenantId, list);
  }
  return { byTenant, ignored };
}
