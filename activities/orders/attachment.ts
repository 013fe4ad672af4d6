import { createHash } from 'node:crypto';
import { orderPdfFileName } from '../../src/domain/invoice-mapping';
import type { Order } from '../../src/domain/order';
import { renderOrderPdf } from '../../src/pdf/order-pdf';
import { settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { upsertLink } from './links';
import { writeKey, type Base, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

/** The order PDF on the invoice. */
export function createAttachmentActivities({ db, xero, fetchPdf }: OrderModuleDeps) {
  return {
    /**
     * Attaches the order PDF (the host's, or one rendered here) under a file name fixed per order,
     * so a revision replaces it rather than adding a copy. The key includes the bytes' hash: a host
     * PDF that changed between retries is a different body, which must not reuse a key.
     */
    async attachOrderPdf(
      input: Base & { invoiceId: string; order: Order; revision: number },
    ): Promise<{ fileName: string; bytes: number }> {
      const settings = await settingsOf(db, input.accountId);
      const pdf = input.order.pdfUrl
        ? await fetchPdf(input.order.pdfUrl)
        : { bytes: await renderOrderPdf(input.order, settings), contentType: 'application/pdf' };
      const fileName = orderPdfFileName(input.order.number);
      const sha = createHash('sha256').update(pdf.bytes).digest('hex');
      const gw = xero.forAccount(input.accountId);
      const attachment = await gw.attachToInvoice(
        input.invoiceId,
        { fileName, bytes: pdf.bytes, contentType: pdf.contentType },
        {
          idempotencyKey: writeKey(input.workflowId, 'attach', input.revision, sha),
        },
      );
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
          message: `${fileName} (${pdf.bytes.length} bytes, revision ${input.revision}) attached to the invoice`,
        });
      });
      return { fileName, bytes: pdf.bytes.length };
    },
  };
}
