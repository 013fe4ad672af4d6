import type { AccountingApi, Allocation, Contact, CreditNote, Invoice, Organisation, Payment } from 'xero-node';
import type { XeroAccess, XeroAccessProvider } from './access';
import { accountingApi } from './accounting-client';
import { callXero, XeroApiError } from './errors';
import type { RateLimiter } from './rate-limiter';
import { createHash } from 'node:crypto';
import { createMicroBatcher } from './micro-batcher';
import { isBulkWork } from './work-class';
import { countXeroCall, recordingApi } from '../metrics/engine';
import { contactsNamedVia, fitsNumberList, invoicesInNumberList, invoicesNumberedExactly } from './lookups';
import { createSingleFlight } from './single-flight';
import { createMinutePressure, minuteRemaining } from './minute-pressure';

/**
 * The engine's door to Xero's accounting API for one account: every call goes through the access
 * provider (a fresh token, one refresh after a 401), the shared rate limiter (a permit per call,
 * released with Xero's rate headers) and callXero (typed errors, never the raw thrown string).
 * Batch endpoints always send summarizeErrors=false, and an element that carries errors becomes a
 * validation XeroApiError, so a half-created batch can never pass for a failed one.
 */

export interface XeroGatewayDeps {
  access: XeroAccessProvider;
  limiter: RateLimiter;
  /** XERO_API_URL: Xero, or the simulator. */
  apiUrl: string;
  /**
   * Invoice, contact and payment creations and look-ups by number for one tenant that arrive
   * within this window share one request (up to 50 elements): fewer calls and rate-limit permits
   * per order. 0 turns it off.
   */
  batchWindowMs?: number;
  /**
   * Once an organisation has used a sixth of its minute, its batched creates wait up to this long for
   * company (./minute-pressure.ts; XERO_BUSY_BATCH_HOLD_MS, a sixth of the minute). 0 or absent: off.
   */
  busyBatchHoldMs?: number;
}

/** How long a bulk export's creates (invoices, contacts, payments) wait for company in a batch. */
export const BULK_BATCH_WINDOW_MS = 2_000;

/** Xero's recommended maximum of elements per batch request. */
const MAX_BATCH = 50;

export interface WriteOptions {
  /** Xero's Idempotency-Key (128 characters at most). */
  idempotencyKey: string;
}

interface XeroResult<T> {
  response: { headers?: unknown };
  body: T;
}

type Element = { hasErrors?: boolean; statusAttributeString?: string; validationErrors?: Array<{ message?: string }> };

/** A batch element with errors (summarizeErrors=false answers 200 with them) as a validation error. */
function checkElement<T extends Element>(element: T | undefined, what: string): T {
  if (!element) throw new XeroApiError('bad_request', 200, `Xero returned no ${what}`);
  // De-duplicated: Xero repeats a message per line (two lines on an archived account: the same words twice).
  const messages = [...new Set((element.validationErrors ?? []).map((v) => v.message ?? '').filter(Boolean))];
  if (element.hasErrors || element.statusAttributeString === 'ERROR' || messages.length > 0) {
    throw new XeroApiError('validation', 400, messages.join('; ') || `Xero refused the ${what}`, messages);
  }
  return element;
}

/** A payment batch as stored before it is sent: its key, and each member's own key and body. */
export interface StoredPaymentBatch {
  id: string;
  idempotencyKey: string;
  members: Array<{ key: string; payment: Payment }>;
}

/**
 * Where payment batches are stored before they go to Xero, shared by every worker
 * (activities/orders/payment-batches.ts): each payment belongs to one batch, whoever sends it.
 */
export interface PaymentBatchJournal {
  /**
   * Stores a batch of the members no batch has claimed yet (its key from `keyFor` of their keys),
   * all or none; `lost`: the batch each other member was claimed by.
   */
  claim(
    accountId: string,
    members: Array<{ key: string; payment: Payment }>,
    keyFor: (memberKeys: string[]) => string,
  ): Promise<{ batch?: StoredPaymentBatch; lost: Map<string, StoredPaymentBatch> }>;
  /** Notes the batch leaving now; false when its first send is too old for Xero to still hold its key. */
  sending(accountId: string, batchId: string): Promise<boolean>;
}

/**
 * A batch's Idempotency-Key: a batch of one is that element's own write, under its own key; a larger
 * one's key is made of its members' keys, so a retried batch with the same elements replays and one
 * with other elements is a new request.
 */
function batchKey(memberKeys: string[]): string {
  return memberKeys.length === 1
    ? memberKeys[0]!
    : `batch-${createHash('sha256').update(memberKeys.join('\n')).digest('hex')}`;
}

/** One result per batch member, in order: its element, or the error Xero gave that element alone. */
function perElement<E extends Element>(members: unknown[], elements: E[] | undefined, what: string): Array<E | Error> {
  return members.map((_, i) => {
    try {
      return checkElement(elements?.[i], what);
    } catch (err) {
      return err as Error;
    }
  });
}

export type XeroGateway = ReturnType<typeof createXeroGateway>;
export type AccountGateway = ReturnType<XeroGateway['forAccount']>;

export function createXeroGateway(deps: XeroGatewayDeps) {
  const busyHoldMs = deps.busyBatchHoldMs ?? 0;
  const pressure = createMinutePressure({ perMinute: deps.limiter.limits.perMinute, holdMs: busyHoldMs });

  async function call<T>(
    accountId: string,
    run: (api: AccountingApi, tenantId: string) => Promise<XeroResult<T>>,
    opts: { batch?: boolean } = {},
  ): Promise<T> {
    let access: XeroAccess = await deps.access.accessFor(accountId);
    for (let attempt = 0; ; attempt++) {
      const permit = await acquire(access.tenantId, opts.batch === true);
      let method = 'unknown';
      let counted = false;
      const startedAt = performance.now();
      try {
        const api = recordingApi(accountingApi(deps.apiUrl, access.accessToken), (name) => (method = name));
        const result = await callXero(() => run(api, access.tenantId));
        countXeroCall(method, (result.response as { status?: number } | undefined)?.status ?? 200, startedAt);
        counted = true;
        pressure.observe(accountId, minuteRemaining(result.response?.headers));
        await permit.release({
          headers: (result.response?.headers ?? undefined) as Record<string, unknown> | undefined,
        });
        return result.body;
      } catch (err) {
        const e = err instanceof XeroApiError ? err : new XeroApiError('network', 0, (err as Error).message);
        if (!counted) countXeroCall(method, e.status, startedAt, e.rateLimitProblem);
        if (e.kind === 'rate_limited' && e.rateLimitProblem === 'minute') pressure.observe(accountId, 0);
        await permit.release(
          e.kind === 'rate_limited'
            ? { retryAfterSeconds: e.retryAfterSeconds ?? 1, problem: e.rateLimitProblem }
            : // Xero did not answer: the tenant's unavailable state (src/xero/outage.ts).
              { unavailable: e.kind === 'server' || e.kind === 'network' },
        );
        // An access token can be revoked or expire early: refresh once, then let the error stand.
        if (e.kind === 'unauthorized' && attempt === 0) {
          access = await deps.access.refreshAfterRejection(accountId, access.accessToken);
          continue;
        }
        throw e;
      }
    }
  }

  /** A batch goes ahead of its organisation's single calls in this process: the next permit serves many documents. */
  function acquire(tenantId: string, batch: boolean) {
    return deps.limiter.acquire(tenantId, { bulk: isBulkWork(), first: batch });
  }

  const windowMs = deps.batchWindowMs ?? 20;
  type InvoiceCreate = { accountId: string; invoice: Invoice; idempotencyKey: string; unitdp?: number };
  const invoiceCreates = createMicroBatcher<InvoiceCreate, Invoice>({
    windowMs,
    maxSize: MAX_BATCH,
    async run(_key, items) {
      const first = items[0]!;
      // Each element's own retry looks up its invoice first when its batch's key cannot replay.
      const idempotencyKey = batchKey(items.map((i) => i.idempotencyKey));
      const body = await call(
        first.accountId,
        (api, t) =>
          api.createInvoices(
            t,
            { invoices: items.map((i) => i.invoice) },
            false,
            first.unitdp === 4 ? 4 : undefined,
            idempotencyKey,
          ),
        { batch: items.length > 1 },
      );
      return perElement(items, body.invoices, 'invoice');
    },
  });
  type ContactCreate = { accountId: string; contact: Contact; idempotencyKey: string };
  const contactCreates = createMicroBatcher<ContactCreate, Contact>({
    windowMs,
    maxSize: MAX_BATCH,
    async run(_key, items) {
      const first = items[0]!;
      // No stored batch needed: a contact's name is unique among active contacts (and our
      // ContactNumber is refused twice), so a repeat is refused and its caller adopts the first.
      const idempotencyKey = batchKey(items.map((i) => i.idempotencyKey));
      const body = await call(
        first.accountId,
        (api, t) => api.createContacts(t, { contacts: items.map((i) => i.contact) }, false, idempotencyKey),
        { batch: items.length > 1 },
      );
      return perElement(items, body.contacts, 'contact');
    },
  });
  type PaymentCreate = {
    accountId: string;
    payment: Payment;
    idempotencyKey: string;
    journal: PaymentBatchJournal;
  };
  async function runPaymentBatch(items: PaymentCreate[]): Promise<Array<Payment | Error>> {
    const { accountId, journal } = items[0]!;
    // Stored before it is sent: a member another worker's batch claimed first is answered from
    // that batch (resent under its key), never written in this one too.
    // One payment may be here twice (a timed-out attempt still waiting for the batch in flight, and
    // its retry): it is one member, and both callers get its answer.
    const members = [
      ...new Map(items.map((i) => [i.idempotencyKey, { key: i.idempotencyKey, payment: i.payment }])).values(),
    ];
    const { batch, lost } = await journal.claim(accountId, members, batchKey);
    const answers = new Map<string, Payment | Error>();
    const others = new Map([...lost.values()].map((b) => [b.id, b]));
    await Promise.all(
      [...(batch ? [batch] : []), ...others.values()].map(async (b) => {
        try {
          const elements = await sendPaymentBatch(accountId, b, journal);
          b.members.forEach((m, i) => answers.set(m.key, elements[i]!));
        } catch (err) {
          for (const m of b.members) answers.set(m.key, err as Error);
        }
      }),
    );
    return items.map(
      (i) => answers.get(i.idempotencyKey) ?? new XeroApiError('bad_request', 200, 'Xero returned no payment'),
    );
  }
  const paymentCreates = createMicroBatcher<PaymentCreate, Payment>({
    windowMs,
    maxSize: MAX_BATCH,
    run: (_key, items) => runPaymentBatch(items),
  });

  /**
   * A stored batch's members retry together (a rate-limit wait hands every member back at once) and
   * each would resend it: one send per batch in this process serves them all, and its answer (Xero's
   * record for that key, the same every time) serves members that come a little later.
   */
  const paymentBatchSends = createSingleFlight<Array<Payment | Error>>({ reuseMs: 5_000 });
  function sendPaymentBatch(
    accountId: string,
    batch: StoredPaymentBatch,
    journal: PaymentBatchJournal,
  ): Promise<Array<Payment | Error>> {
    return paymentBatchSends(batch.id, () => sendPaymentBatchNow(accountId, batch, journal));
  }

  /**
   * Sends a stored payment batch under its own key and answers each member's payment or refusal, in
   * the members' order. A batch of one is a plain write of that payment. Checked after the permit,
   * right before it leaves: a batch Xero may have forgotten the key of is not sent again (the
   * members' retries look for their payments instead).
   */
  async function sendPaymentBatchNow(
    accountId: string,
    batch: StoredPaymentBatch,
    journal: PaymentBatchJournal,
  ): Promise<Array<Payment | Error>> {
    const body = await call(
      accountId,
      async (api, t) => {
        if (!(await journal.sending(accountId, batch.id)))
          throw new XeroApiError(
            'network',
            0,
            'a stored payment batch is older than its Idempotency-Key can be trusted: not resent (its payments are looked for first)',
          );
        return batch.members.length === 1
          ? api.createPayment(t, batch.members[0]!.payment, batch.idempotencyKey)
          : api.createPayments(t, { payments: batch.members.map((m) => m.payment) }, false, batch.idempotencyKey);
      },
      { batch: batch.members.length > 1 },
    );
    return perElement(batch.members, body.payments, 'payment');
  }

  /**
   * Live and bulk work batch apart: a bulk export's documents are in no hurry, so a longer window
   * fills their batches, and a live document never waits that long behind them. An organisation
   * spending its minute holds its live batches up to busyHoldMs too (./minute-pressure.ts).
   */
  function submitInLane<I, O>(
    batcher: { submit(key: string, item: I, windowMs?: number): Promise<O> },
    accountId: string,
    key: string,
    item: I,
  ): Promise<O> {
    const bulk = isBulkWork();
    const live = busyHoldMs > 0 && pressure.busy(accountId) ? Math.max(windowMs, busyHoldMs) : windowMs;
    return batcher.submit(bulk ? `${key}|bulk` : key, item, bulk ? Math.max(live, BULK_BATCH_WINDOW_MS) : live);
  }

  // Only numbers that fit an InvoiceNumbers list are batched; the others are looked up alone.
  type NumberLookup = { accountId: string; invoiceNumber: string };
  const numberLookups = createMicroBatcher<NumberLookup, Invoice[]>({
    windowMs,
    maxSize: MAX_BATCH,
    async run(_key, items) {
      const found = await invoicesInNumberList(
        call,
        items[0]!.accountId,
        items.map((i) => i.invoiceNumber),
      );
      return items.map((i) => found.filter((inv) => inv.invoiceNumber === i.invoiceNumber));
    },
  });

  return {
    /**
     * One raw call through the same door (token, limiter, typed errors), for callers that need what
     * the typed methods hide: batch elements with their own errors, response headers (contact sync).
     */
    call,
    forAccount(accountId: string) {
      const c = <T>(run: (api: AccountingApi, tenantId: string) => Promise<XeroResult<T>>) => call(accountId, run);
      return {
        async organisation(): Promise<Organisation | undefined> {
          const body = await c((api, t) => api.getOrganisations(t));
          return body.organisations?.[0];
        },

        // ---- contacts ----
        async contactByNumber(contactNumber: string): Promise<Contact | undefined> {
          try {
            const body = await c((api, t) => api.getContactByContactNumber(t, contactNumber));
            return body.contacts?.[0];
          } catch (err) {
            if (err instanceof XeroApiError && err.kind === 'not_found') return undefined;
            throw err;
          }
        },
        /**
         * Active contacts with this name, as `Name=="…"` answers; a name holding `"` (which no `where`
         * literal can express) is searched with searchTerm and compared exactly.
         */
        async contactsNamed(name: string): Promise<Contact[]> {
          return contactsNamedVia(call, accountId, name);
        },
        /**
         * One tenant's new contacts arriving together share one `PUT /Contacts?summarizeErrors=false`
         * (≤ 50); each caller gets its own element's contact or refusal (a duplicate name or number
         * is the caller's signal to adopt the contact Xero has).
         */
        async createContact(contact: Contact, opts: WriteOptions): Promise<Contact> {
          if (windowMs > 0)
            return submitInLane(contactCreates, accountId, accountId, {
              accountId,
              contact,
              idempotencyKey: opts.idempotencyKey,
            });
          const body = await c((api, t) => api.createContacts(t, { contacts: [contact] }, false, opts.idempotencyKey));
          return checkElement(body.contacts?.[0], 'contact');
        },

        // ---- invoices ----
        async invoice(invoiceId: string): Promise<Invoice | undefined> {
          try {
            const body = await c((api, t) => api.getInvoice(t, invoiceId));
            return body.invoices?.[0];
          } catch (err) {
            if (err instanceof XeroApiError && err.kind === 'not_found') return undefined;
            throw err;
          }
        },
        /**
         * Every invoice with exactly this number (any status, any characters): plain numbers share a
         * batched `InvoiceNumbers=` request, a number with a comma asks `where`, one with a quote
         * searches (see lookups.ts). Errors propagate: an error is never "not found".
         */
        async invoicesNumbered(invoiceNumber: string): Promise<Invoice[]> {
          if (windowMs > 0 && fitsNumberList(invoiceNumber))
            return numberLookups.submit(accountId, { accountId, invoiceNumber });
          return invoicesNumberedExactly(call, accountId, invoiceNumber);
        },
        async createInvoice(invoice: Invoice, opts: WriteOptions & { unitdp?: number }): Promise<Invoice> {
          if (windowMs > 0)
            return submitInLane(invoiceCreates, accountId, `${accountId}|${opts.unitdp === 4 ? 4 : 2}`, {
              accountId,
              invoice,
              idempotencyKey: opts.idempotencyKey,
              unitdp: opts.unitdp,
            });
          const body = await c((api, t) =>
            api.createInvoices(
              t,
              { invoices: [invoice] },
              false,
              opts.unitdp === 4 ? 4 : undefined,
              opts.idempotencyKey,
            ),
          );
          return checkElement(body.invoices?.[0], 'invoice');
        },
        async updateInvoice(
          invoiceId: string,
          invoice: Invoice,
          opts: WriteOptions & { unitdp?: number },
        ): Promise<Invoice> {
          const body = await c((api, t) =>
            api.updateInvoice(
              t,
              invoiceId,
              { invoices: [invoice] },
              opts.unitdp === 4 ? 4 : undefined,
              opts.idempotencyKey,
            ),
          );
          return checkElement(body.invoices?.[0], 'invoice');
        },
        async onlineInvoiceUrl(invoiceId: string): Promise<string | undefined> {
          const body = await c((api, t) => api.getOnlineInvoice(t, invoiceId));
          return body.onlineInvoices?.[0]?.onlineInvoiceUrl;
        },
        /**
         * Uploads a file to the invoice. The same file name replaces the earlier file (Xero's rule),
         * which is how a revision replaces the order PDF without piling up copies.
         */
        async attachToInvoice(
          invoiceId: string,
          file: { fileName: string; bytes: Buffer; contentType: string },
          opts: WriteOptions & { includeOnline?: boolean },
        ) {
          const body = await c((api, t) =>
            api.createInvoiceAttachmentByFileName(
              t,
              invoiceId,
              file.fileName,
              file.bytes,
              opts.includeOnline ?? true,
              opts.idempotencyKey,
              {
                // xero-node sends no Content-Type of its own for raw bodies.
                headers: { 'Content-Type': file.contentType },
              },
            ),
          );
          return body.attachments?.[0];
        },

        /**
         * The newest invoices (or bills) of a contact created by this app, for recognising our own
         * earlier write of a document without a unique number (its Url carries a marker).
         */
        async recentInvoicesOfContact(contactId: string): Promise<Invoice[]> {
          const body = await c((api, t) =>
            api.getInvoices(
              t,
              undefined,
              undefined,
              'UpdatedDateUTC DESC',
              undefined,
              undefined,
              [contactId],
              undefined,
              1,
              undefined,
              true,
            ),
          );
          return body.invoices ?? [];
        },

        // ---- credit notes ----
        async creditNote(creditNoteId: string): Promise<CreditNote | undefined> {
          try {
            const body = await c((api, t) => api.getCreditNote(t, creditNoteId));
            return body.creditNotes?.[0];
          } catch (err) {
            if (err instanceof XeroApiError && err.kind === 'not_found') return undefined;
            throw err;
          }
        },
        /** A contact's credit notes (compared in code: no number is ever put into a filter). */
        async creditNotesOfContact(contactId: string): Promise<CreditNote[]> {
          const body = await c((api, t) =>
            api.getCreditNotes(t, undefined, `Contact.ContactID==Guid("${contactId}")`, 'UpdatedDateUTC DESC', 1),
          );
          return body.creditNotes ?? [];
        },
        async createCreditNote(creditNote: CreditNote, opts: WriteOptions & { unitdp?: number }): Promise<CreditNote> {
          const body = await c((api, t) =>
            api.createCreditNotes(
              t,
              { creditNotes: [creditNote] },
              false,
              opts.unitdp === 4 ? 4 : undefined,
              opts.idempotencyKey,
            ),
          );
          return checkElement(body.creditNotes?.[0], 'credit note');
        },
        async updateCreditNote(
          creditNoteId: string,
          creditNote: CreditNote,
          opts: WriteOptions & { unitdp?: number },
        ): Promise<CreditNote> {
          const body = await c((api, t) =>
            api.updateCreditNote(
              t,
              creditNoteId,
              { creditNotes: [creditNote] },
              opts.unitdp === 4 ? 4 : undefined,
              opts.idempotencyKey,
            ),
          );
          return checkElement(body.creditNotes?.[0], 'credit note');
        },
        async allocateCreditNote(
          creditNoteId: string,
          allocation: { invoiceId: string; amount: number; date: string },
          opts: WriteOptions,
        ): Promise<Allocation> {
          const body = await c((api, t) =>
            api.createCreditNoteAllocation(
              t,
              creditNoteId,
              {
                allocations: [
                  { invoice: { invoiceID: allocation.invoiceId }, amount: allocation.amount, date: allocation.date },
                ],
              },
              false,
              opts.idempotencyKey,
            ),
          );
          return checkElement(body.allocations?.[0] as Allocation & Element, 'allocation');
        },
        /** Takes an allocation off (to edit either document); an allocation already gone is not an error. */
        async deleteCreditNoteAllocation(creditNoteId: string, allocationId: string): Promise<void> {
          try {
            await c((api, t) => api.deleteCreditNoteAllocations(t, creditNoteId, allocationId));
          } catch (err) {
            if (!(err instanceof XeroApiError && err.kind === 'not_found')) throw err;
          }
        },
        async attachToCreditNote(
          creditNoteId: string,
          file: { fileName: string; bytes: Buffer; contentType: string },
          opts: WriteOptions & { includeOnline?: boolean },
        ) {
          const body = await c((api, t) =>
            api.createCreditNoteAttachmentByFileName(
              t,
              creditNoteId,
              file.fileName,
              file.bytes,
              opts.includeOnline ?? true,
              opts.idempotencyKey,
              { headers: { 'Content-Type': file.contentType } },
            ),
          );
          return body.attachments?.[0];
        },

        // ---- payments ----
        /**
         * One tenant's payments arriving together share one `PUT /Payments?summarizeErrors=false`
         * (≤ 50); each caller gets its own element's payment or validation error. With a `journal`
         * every batch (a batch of one too) is stored with its members before it is sent, so a
         * retry anywhere resends the same batch under the same key (see resendPaymentBatch).
         * Without one (tools, tests acting as an accountant): a single write under the given key.
         */
        async createPayment(
          payment: Payment,
          opts: WriteOptions & { journal?: PaymentBatchJournal },
        ): Promise<Payment> {
          const { journal } = opts;
          if (journal) {
            const item = { accountId, payment, idempotencyKey: opts.idempotencyKey, journal };
            if (windowMs > 0) return submitInLane(paymentCreates, accountId, accountId, item);
            const [answer] = await runPaymentBatch([item]);
            if (answer instanceof Error) throw answer;
            return answer!;
          }
          const body = await c((api, t) => api.createPayment(t, payment, opts.idempotencyKey));
          return checkElement(body.payments?.[0], 'payment');
        },
        /**
         * Sends again the stored batch a payment went in (same members, body and key): Xero answers
         * from its record, or after the first request if that is still being processed. Answers
         * this payment's element.
         */
        async resendPaymentBatch(
          batch: StoredPaymentBatch,
          memberKey: string,
          journal: PaymentBatchJournal,
        ): Promise<Payment> {
          const at = batch.members.findIndex((m) => m.key === memberKey);
          if (at < 0) throw new Error(`payment ${memberKey} is not in batch ${batch.id}`);
          const answer = (await sendPaymentBatch(accountId, batch, journal))[at]!;
          if (answer instanceof Error) throw answer;
          return answer;
        },
        async deletePayment(paymentId: string, opts: WriteOptions): Promise<Payment | undefined> {
          const body = await c((api, t) => api.deletePayment(t, paymentId, { status: 'DELETED' }, opts.idempotencyKey));
          return body.payments?.[0];
        },
      };
    },
  };
}
