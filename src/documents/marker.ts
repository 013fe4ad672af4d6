import { createHash } from 'node:crypto';

/**
 * Bills and deal invoices have no number Xero keeps unique (a bill's is the supplier's; a deal
 * invoice's is Xero's own), so after a lost answer older than Xero's idempotency window the engine
 * recognises its own earlier write by something only that write carries: the document's `Url`,
 * which Xero keeps and returns. It is the host's link to the document with a fragment naming the
 * document's workflow (fragments never reach the host's server), or the engine's own address.
 */

export function documentMarker(workflowId: string): string {
  return `xero-sync-${createHash('sha256').update(workflowId).digest('hex').slice(0, 20)}`;
}

export function markedUrl(hostUrl: string | undefined, publicUrl: string, workflowId: string): string {
  const marker = documentMarker(workflowId);
  if (hostUrl) {
    const hash = hostUrl.indexOf('#');
    return `${hash < 0 ? hostUrl : hostUrl.slice(0, hash)}#${marker}`;
  }
  return `${publicUrl.replace(/\/+$/, '')}/documents/${marker}`;
}

/** Does a Url Xero returned carry this document's marker? */
export function carriesMarker(url: string | undefined, workflowId: string): boolean {
  if (!url) return false;
  const marker = documentMarker(workflowId);
  return url.endsWith(`#${marker}`) || url.endsWith(`/documents/${marker}`);
}
