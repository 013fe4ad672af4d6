import { createHash } from 'node:crypto';
import { orderPdfFileName } from '../../src/domain/invoice-mapping';
import type { HostDocument } from '../../src/domain/documents';
import type { Order } from '../../src/domain/order';
import { parseDocumentRef } from '../../src/documents/kinds';
import { renderOrderPdf } from '../../src/pdf/order-pdf';
import { settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { upsertLink } from './links';
import { writeKey, type Base, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

/** The attachment's file name for other kinds: fixed per document, so a revision replaces it. */
function documentPdfFileName(kind: string, number: string): string {
  const word = kind === 'bill' ? 'Bill' : kind === 'credit_note' ? 'CreditNote' : 'Invoice';
  return `${word}-${number.replace(/[^A-Za-z0-9._-]+/g, '_')}.pdf`;
}

/** The document's PDF on its Xero document. */
export function createAttachmentActivities({ db, xero, fetchPdf }: OrderModuleDeps) {
  return {
    /**
     * Attaches the order PDF (the host's, or one rendered here) under a file name fixed per order,
     * so a revision replaces it rather than adding a copy. The key includes the bytes' hash: a host
     * PDF that changed between retries is a different body, which must not reuse a key.
     */
    async attachOrderPdf(
      input: Base & { invoiceId: string; order: HostDocument; revision: number },
    ): Promise<{ fileName: string; bytes: number }> {
      const settings = await settingsOf(db, input.accountId);
      const kind = input.documentKind ?? 'order';
      // Only orders get a rendered PDF; other kinds attach the host's (the plan asks only when there is one).
      const pdf = input.order.pdfUrl
        ? await fetchPdf(input.order.pdfUrl)
        : { bytes: await renderOrderPdf(input.order as Order, settings), contentType: 'application/pdf' };
      const fileName =
        kind === 'order'
          ? orderPdfFileName(input.order.number)
          : documentPdfFileName(kind, input.order.number || parseDocumentRef(input.orderNumber).hostId);
      const sha = createHash('sha256').update(pdf.bytes).digest('hex');
      const gw = xero.forAccount(input.accountId);
      const file = { fileName, bytes: pdf.bytes, contentType: pdf.contentType };
      const opts = { idempotencyKey: writeKey(input.workflowId, 'attach', input.revision, sha) };
      const attachment =
        kind === 'credit_note'
          ? await gw.attachToCreditNote(input.invoiceId, file, opts)
          : // Xero shows attachments online for sales documents only.
            await gw.attachToInvoice(input.invoiceId, file, { ...opts, includeOnline: kind !== 'bill' });
      await commitXeroResult(db, async (trx) => {
        await upsertLink(
          trx,
          input.accountId,
          'attachment',
          input.orderNumber,
          attachment?.attachmentID ?? fileName,
          fileName,
          { revision: input.revision, sha256: sha, bytes: pdf.bytes.length, invoiceId: input.invoiceId },
        );
        await writeSyncLog(trx, input, {
          kind: 'attachment',
          action: 'upload',
          outcome: 'success',
          xeroId: attachment?.attachmentID ?? null,
          message: `${fileName} (${pdf.bytes.length} bytes, revision ${input.revision}) attached to the ${kind === 'bill' ? 'bill' : kind === 'credit_note' ? 'credit note' : 'invoice'}`,
        });
      });
      return { fileName, bytes: pdf.bytes.length };
    },
  };
}
