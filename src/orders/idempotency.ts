import { createHash } from 'node:crypto';

/**
 * Xero's Idempotency-Key for one write: derived from the workflow id, the step and what makes this
 * write distinct (revision, payment generation, content hash), so a retried activity repeats the
 * same key and a new write gets a new one. Hashed to stay well under Xero's 128 characters whatever
 * the order number; the step name stays readable in Xero's and the simulator's logs.
 */
export function idempotencyKey(workflowId: string, step: string, ...qualifiers: Array<string | number>): string {
  const digest = createHash('sha256')
    .update([workflowId, step, ...qualifiers].join('\n'))
    .digest('hex')
    .slice(0, 40);
  return `xs-${step}-${digest}`;
}
