import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { startOrderApi, type OrderApi } from './support/order-api';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Bulk exports (issue: Export to Xero): documents validated one by one (drafts and invalid ones
 * refused for themselves), handed to their own workflows a wave at a time so creates reach Xero in
 * batches, each with its outcome; progress over the API; the sentence and `export.completed`; a
 * killed worker resumes without duplicates; a document also sent live is still one document; cancel
 * stops what has not been sent.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

const SETTINGS = { ...TEST_SETTINGS, expenseAccountCode: '310', defaultPurchaseTaxType: 'INPUT2' };
let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

async function withEnv(run: (env: OrderTestEnv, api: OrderApi) => Promise<void>) {
  const env = await orderTestEnv(temporal, {
    settings: SETTINGS,
    fetchPdf: () => Promise.resolve({ bytes: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' }),
  });
  const api = await startOrderApi(env, temporal.client);
  try {
    await run(env, api);
  } finally {
    await api.close();
    await env.close();
  }
}

function invoiceItem(customerId: string, patch: Rec = {}) {
  const order = sampleOrder({
    customer: { type: 'organisation', id: customerId, name: `Backlog customer ${customerId}` },
    attachPdf: false,
  });
  return { kind: 'invoice', id: order.number, approved: true, document: { ...order, ...patch } };
}

async function finished(api: OrderApi, env: OrderTestEnv, exportId: string, timeoutMs = 90_000): Promise<Rec> {
  return eventually(
    async () => {
      const r = await api.api('GET', `/accounts/${env.externalId}/exports/${exportId}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.status !== 'running' ? r.body : undefined;
    },
    timeoutMs,
    'the export to finish',
  );
}

describe('exports', () => {
  test('60 documents: drafts and invalid ones refused for themselves, the rest in Xero once each — across a killed worker and a live duplicate — with progress, the sentence and export.completed', async () => {
    await withEnv(async (env, api) => {
      // Already synced live before the export: exported again, it is not created twice.
      const live = invoiceItem(uid('cust'));
      await env.client.startOrderSync(env.accountId, {
        order: live.document as never,
        convertedAt: new Date().toISOString(),
      });
      await eventually(() => env.sim.sim.invoices(env.tenantId).find((i: Rec) => i.InvoiceNumber === live.id), 30_000);

      const shared = uid('cust'); // ten invoices of one customer: one contact in Xero
      const invoices = Array.from({ length: 52 }, (_, i) => invoiceItem(i < 10 ? shared : uid('cust')));
      const bills = Array.from({ length: 3 }, () => {
        const number = uid('SUP');
        return {
          kind: 'bill',
          id: uid('bill'),
          approved: true,
          document: {
            number,
            date: '2026-03-02',
            currency: 'NZD',
            supplier: { type: 'organisation', id: uid('sup'), name: uid('Supplier') },
            lines: [{ description: 'Fittings', quantity: 2, unitPrice: 50 }],
          },
        };
      });
      const credit = {
        kind: 'credit_note',
        id: uid('cn'),
        approved: true,
        document: {
          number: uid('CN'),
          date: '2026-03-03',
          currency: 'NZD',
          contact: invoices[0]!.document.customer,
          lines: [{ description: 'Goodwill', quantity: 1, unitPrice: 10 }],
        },
      };
      const draft = { ...invoiceItem(uid('cust')), approved: false };
      const invalid = { kind: 'invoice', id: uid('BAD'), approved: true, document: { date: '2026-03-02', lines: [] } };
      const documents = [
        live,
        ...invoices,
        ...bills,
        credit,
        draft,
        invalid,
        { kind: 'quote', id: 'Q-1', approved: true, document: {} },
      ];

      const posted = await api.api('POST', `/accounts/${env.externalId}/exports`, { documents });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      assert.equal(posted.body.total, 60);
      const refused = Object.fromEntries(posted.body.refused.map((r: Rec) => [r.id, r.reason]));
      assert.match(refused[draft.id], /a draft invoice: only approved documents are exported/);
      assert.match(refused[invalid.id], /document\.currency|document\.lines|document\.customer/);
      assert.match(refused['Q-1'], /expected invoice, bill or credit_note/);
      const { exportId } = posted.body;

      // Progress while it runs; then a worker killed mid-export and another started.
      const running = await eventually(
        async () => {
          const r = await api.api('GET', `/accounts/${env.externalId}/exports/${exportId}`);
          return r.body.exported > 0 ? r.body : undefined;
        },
        60_000,
        'some exported',
      );
      assert.equal(running.total, 60);
      assert.equal(typeof running.etaSeconds, 'number');
      await env.stopWorker();
      // The host sends one of the export's invoices live meanwhile: still one invoice in Xero.
      const raced = invoices[40]!;
      const liveSend = env.client.startOrderSync(env.accountId, {
        order: raced.document as never,
        convertedAt: new Date().toISOString(),
      });
      await env.startWorker();
      await liveSend;

      const done = await finished(api, env, exportId);
      assert.equal(done.status, 'completed');
      assert.deepEqual(
        { exported: done.exported, refused: done.refused, failed: done.failed, pending: done.pending },
        { exported: 57, refused: 3, failed: 0, pending: 0 },
        JSON.stringify(done.items.filter((i: Rec) => i.outcome !== 'exported')),
      );
      assert.equal(
        done.sentence,
        '57 of 60 documents have been exported to Xero; 1 draft was not exported; 2 were refused as not valid',
      );
      const exportedItem = done.items.find((i: Rec) => i.id === invoices[0]!.id);
      assert.equal(exportedItem.outcome, 'exported');
      assert.match(exportedItem.xeroUrl, /^https:\/\/go\.xero\.com\//);

      // In Xero: each document once; the shared customer is one contact; creates went in batches.
      const sales = env.sim.sim.invoices(env.tenantId).filter((i: Rec) => i.Type === 'ACCREC') as Rec[];
      for (const item of [live, ...invoices])
        assert.equal(sales.filter((i) => i.InvoiceNumber === item.id).length, 1, `invoice ${item.id} once`);
      assert.equal(sales.find((i) => i.InvoiceNumber === invoices[0]!.id)!.Total, 161);
      const purchases = env.sim.sim.invoices(env.tenantId).filter((i: Rec) => i.Type === 'ACCPAY') as Rec[];
      for (const b of bills) assert.equal(purchases.filter((i) => i.InvoiceNumber === b.document.number).length, 1);
      assert.equal(
        env.sim.sim.creditNotes(env.tenantId).filter((c: Rec) => c.CreditNoteNumber === credit.document.number).length,
        1,
      );
      assert.equal(
        (env.sim.sim.contacts(env.tenantId) as Rec[]).filter((c) => c.Name === `Backlog customer ${shared}`).length,
        1,
      );
      assert.equal(
        sales.some((i) => i.InvoiceNumber === draft.id),
        false,
        'the draft stayed out',
      );
      const creates = env.sim.sim
        .requestLog({ tenantId: env.tenantId, method: 'PUT' })
        .filter((r) => /\/Invoices(\?|$)/.test(r.path));
      assert.ok(
        creates.length < 60 / 2,
        `invoice creates batched: ${creates.length} requests for 56 invoices and bills`,
      );

      // The result for the host.
      const event = await eventually(async () => {
        const row = await env.database.db
          .selectFrom('webhook_outbox')
          .select('payload')
          .where('event_type', '=', 'export.completed')
          .where('account_id', '=', env.accountId)
          .executeTakeFirst();
        return row?.payload as Rec | undefined;
      });
      assert.equal(event.data.exportId, exportId);
      assert.equal(event.data.sentence, done.sentence);
      assert.equal(event.data.exported, 57);
      assert.equal(event.data.items.length, 60);
      const listed = await api.api('GET', `/accounts/${env.externalId}/exports`);
      assert.equal(listed.body.exports[0].exportId, exportId);

      // Exported documents live on as normal syncs: a revision reaches the exported invoice.
      const revised = { ...invoices[1]!.document, lines: [{ description: 'Revised', quantity: 1, unitPrice: 200 }] };
      const put = await api.api('PUT', `/accounts/${env.externalId}/orders/${encodeURIComponent(invoices[1]!.id)}`, {
        order: revised,
        revision: 2,
      });
      assert.equal(put.status, 202, JSON.stringify(put.body));
      await eventually(
        () =>
          (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === invoices[1]!.id)?.Total === 230,
        30_000,
        'the revision in Xero',
      );
    });
  });

  test('cancel stops what has not been sent; an unknown export is 404', async () => {
    await withEnv(async (env, api) => {
      const documents = Array.from({ length: 150 }, () => invoiceItem(uid('cust')));
      const posted = await api.api('POST', `/accounts/${env.externalId}/exports`, { documents });
      assert.equal(posted.status, 202);
      const { exportId } = posted.body;
      const cancel = await api.api('POST', `/accounts/${env.externalId}/exports/${exportId}/cancel`, {});
      assert.equal(cancel.status, 202);
      const done = await finished(api, env, exportId);
      assert.equal(done.status, 'cancelled');
      assert.ok(done.cancelled > 0, 'some were never sent');
      assert.equal(done.exported + done.cancelled, 150);
      assert.match(done.sentence, /were cancelled before being sent/);
      const sales = env.sim.sim.invoices(env.tenantId) as Rec[];
      const cancelledIds = done.items.filter((i: Rec) => i.outcome === 'cancelled').map((i: Rec) => i.id);
      assert.equal(
        sales.filter((i) => cancelledIds.includes(i.InvoiceNumber)).length,
        0,
        'nothing cancelled reached Xero',
      );

      const missing = await api.api('GET', `/accounts/${env.externalId}/exports/00000000-0000-4000-8000-000000000000`);
      assert.equal(missing.status, 404);
    });
  });
});
