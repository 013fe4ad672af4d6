/**
 * Host ids of payment links (entity_links.kind = 'payment'): the order number and the payment id
 * joined by U+001F. Order and payment ids may contain any printable character ('/' included), but
 * never a control character (src/domain/text.ts), so the join cannot be ambiguous.
 */
const SEPARATOR = '\u001f';

export function paymentHostId(orderNumber: string, paymentId: string): string {
  return `${orderNumber}${SEPARATOR}${paymentId}`;
}

/** Every payment link of an order starts with this (compare with `starts_with`, never LIKE or lengths). */
export function paymentHostIdPrefix(orderNumber: string): string {
  return `${orderNumber}${SEPARATOR}`;
}

export function paymentIdOf(hostId: string): string {
  const at = hostId.indexOf(SEPARATOR);
  return at < 0 ? hostId : hostId.slice(at + 1);
}
