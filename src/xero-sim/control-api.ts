import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { NotInXero, XeroRefusal } from './accountant';
import type { SimulatorControl } from './control';

/**
 * `/__sim/…`: the control API, JSON over HTTP, for tests and demos in other processes. It is not
 * part of Xero's surface and needs no token.
 */

const wrap =
  (fn: (req: Request, res: Response) => unknown | Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .then((out) => {
        if (!res.headersSent) {
          if (out === undefined) res.status(204).end();
          else res.json(out);
        }
      })
      .catch(next);
  };

const ENDPOINTS = {
  'GET /__sim': 'this list',
  'POST /__sim/reset': 'back to the seed: clears documents, tokens, connections, faults, keys, log',
  'GET /__sim/organisations': 'seeded organisations (tenantId, name, shortCode, lock dates)',
  'POST /__sim/organisations': 'add an organisation {name, shortCode?, periodLockDate?, …}',
  'PATCH /__sim/organisations/:tenantId': 'set lock dates {periodLockDate?, endOfYearLockDate?} (null clears)',
  'POST /__sim/organisations/:tenantId/status':
    'archive/restore {accountCode?|taxType?|trackingCategory?, trackingOption?, status}',
  'GET /__sim/organisations/:tenantId/invoices|contacts|payments|credit-notes': 'every document, Xero-shaped',
  'GET /__sim/organisations/:tenantId/documents/:id/attachments': 'attachments of an invoice/credit note (metadata)',
  'GET /__sim/organisations/:tenantId/documents/:id/attachments/:fileName': 'the bytes of one attachment',
  'POST /__sim/organisations/:tenantId/invoices/:invoiceId/void':
    "accountant voids an invoice/bill (AUTHORISED, nothing allocated) → the invoice; 400 {error, messages} with Xero's words",
  'POST /__sim/organisations/:tenantId/invoices/:invoiceId/delete': 'accountant deletes a DRAFT/SUBMITTED invoice/bill',
  'PATCH /__sim/organisations/:tenantId/invoices/:invoiceId':
    'accountant edits {lines?: [{lineItemId?, description?, quantity?, unitAmount?, accountCode?, taxType?, itemCode?, discountRate?, tracking?: [{name, option}]}], reference?, date?, dueDate?}; lines = the whole list (a line left out is deleted)',
  'POST /__sim/organisations/:tenantId/invoices/:invoiceId/payments':
    'accountant records a payment {amount? (default: amount due), date?, accountCode? (default: first bank account), reference?} → {payment, invoice}',
  'DELETE /__sim/organisations/:tenantId/payments/:paymentId': 'accountant removes a payment → {payment, invoice}',
  'POST /__sim/organisations/:tenantId/credit-notes/:creditNoteId/void':
    'accountant voids a credit note (nothing allocated)',
  'POST /__sim/organisations/:tenantId/credit-notes/:creditNoteId/delete':
    'accountant deletes a DRAFT/SUBMITTED credit note',
  'PATCH /__sim/organisations/:tenantId/credit-notes/:creditNoteId': 'accountant edits {lines?, reference?, date?}',
  'PATCH /__sim/organisations/:tenantId/contacts/:contactId':
    'accountant edits {name?, firstName?, lastName?, emailAddress?, accountNumber?, taxNumber?, phones?: [{phoneType, phoneNumber?, …}], addresses?: [{addressType, …}], contactStatus?}',
  'POST /__sim/apps': 'add an app {clientId, clientSecret?, name?, redirectUris?}',
  'POST /__sim/tokens': 'tokens without the consent page {clientId?, tenantIds?, scope?}',
  'POST /__sim/revoke': 'forced revocation {clientId?, tenantId?}',
  'POST /__sim/disconnect': 'remove connections, tokens stay valid {tenantId, clientId?}',
  'POST /__sim/expire-access-tokens': 'every access token expires now',
  'POST /__sim/expire-idempotency-keys': 'every stored Idempotency-Key is forgotten',
  'POST /__sim/advance-time': 'move the clock {ms}',
  'GET /__sim/faults': 'active fault rules',
  'POST /__sim/faults': 'add {method?, path?, tenantId?, status?, latencyMs?, dropAfterCommit?, rate?, times?}',
  'POST /__sim/organisations/{tenantId}/currencies': 'enable a foreign currency {code, rate?}',
  'DELETE /__sim/faults[/:id]': 'remove one or all',
  'GET /__sim/limits': 'rate limits in force',
  'PUT /__sim/limits': 'change {perMinute?, concurrent?, perDay?, appPerMinute?} (counters restart)',
  'GET /__sim/requests': 'request log (?tenantId, ?path, ?method)',
  'DELETE /__sim/requests': 'clear the request log',
  'PUT /__sim/webhook': 'configure {url, key, batchMs?, retries?, retryDelayMs?}',
  'DELETE /__sim/webhook': 'stop sending webhooks',
  'GET /__sim/webhook/deliveries': 'every delivery attempt',
  'POST /__sim/webhook/flush': 'send queued events now',
  'POST /__sim/webhook/intent-check': "Xero's intent-to-receive check",
};

export function controlRouter(control: SimulatorControl): Router {
  const router = express.Router();
  router.use('/__sim', express.json({ limit: '1mb' }));
  const tenant = (req: Request) => String(req.params.tenantId);

  router.get(
    '/__sim',
    wrap(() => ({ endpoints: ENDPOINTS })),
  );
  router.post(
    '/__sim/reset',
    wrap(() => control.reset()),
  );
  router.get(
    '/__sim/organisations',
    wrap(() => control.organisations()),
  );
  router.post(
    '/__sim/organisations',
    wrap((req) => control.addOrganisation(req.body)),
  );
  router.patch(
    '/__sim/organisations/:tenantId',
    wrap((req) => {
      const body = z
        .object({
          periodLockDate: z.string().nullable().optional(),
          endOfYearLockDate: z.string().nullable().optional(),
        })
        .parse(req.body);
      control.setLockDates(tenant(req), body);
      return control.organisations().find((o) => o.tenantId === tenant(req));
    }),
  );
  router.post(
    '/__sim/organisations/:tenantId/currencies',
    wrap((req) => {
      const body = z
        .object({ code: z.string().regex(/^[A-Za-z]{3}$/), rate: z.number().positive().optional() })
        .parse(req.body);
      control.enableCurrency(tenant(req), body.code, body.rate);
      return { enabled: body.code.toUpperCase() };
    }),
  );
  router.post(
    '/__sim/organisations/:tenantId/status',
    wrap((req) => {
      const body = z
        .object({
          accountCode: z.string().optional(),
          taxType: z.string().optional(),
          trackingCategory: z.string().optional(),
          trackingOption: z.string().optional(),
          status: z.enum(['ACTIVE', 'ARCHIVED']),
        })
        .parse(req.body);
      control.setStatus(tenant(req), body, body.status);
    }),
  );
  router.get(
    '/__sim/organisations/:tenantId/invoices',
    wrap((req) => control.invoices(tenant(req))),
  );
  router.get(
    '/__sim/organisations/:tenantId/contacts',
    wrap((req) => control.contacts(tenant(req))),
  );
  router.get(
    '/__sim/organisations/:tenantId/payments',
    wrap((req) => control.payments(tenant(req))),
  );
  router.get(
    '/__sim/organisations/:tenantId/credit-notes',
    wrap((req) => control.creditNotes(tenant(req))),
  );
  router.get(
    '/__sim/organisations/:tenantId/documents/:id/attachments',
    wrap((req) =>
      control
        .attachments(tenant(req), String(req.params.id))
        .map(({ bytes, ...meta }) => ({ ...meta, size: bytes.length })),
    ),
  );
  router.get(
    '/__sim/organisations/:tenantId/documents/:id/attachments/:fileName',
    wrap((req, res) => {
      const a = control.attachments(tenant(req), String(req.params.id)).find((x) => x.fileName === req.params.fileName);
      if (!a) return res.status(404).json({ error: 'no such attachment' });
      res.type(a.mimeType).send(a.bytes);
    }),
  );
  const id = (req: Request, name: string) => String(req.params[name]);
  router.post(
    '/__sim/organisations/:tenantId/invoices/:invoiceId/void',
    wrap((req) => control.voidInvoice(tenant(req), id(req, 'invoiceId'))),
  );
  router.post(
    '/__sim/organisations/:tenantId/invoices/:invoiceId/delete',
    wrap((req) => control.deleteDraftInvoice(tenant(req), id(req, 'invoiceId'))),
  );
  router.patch(
    '/__sim/organisations/:tenantId/invoices/:invoiceId',
    wrap((req) => control.editInvoice(tenant(req), id(req, 'invoiceId'), req.body ?? {})),
  );
  router.post(
    '/__sim/organisations/:tenantId/invoices/:invoiceId/payments',
    wrap((req) => control.recordPayment(tenant(req), id(req, 'invoiceId'), req.body ?? {})),
  );
  router.delete(
    '/__sim/organisations/:tenantId/payments/:paymentId',
    wrap((req) => control.removePayment(tenant(req), id(req, 'paymentId'))),
  );
  router.post(
    '/__sim/organisations/:tenantId/credit-notes/:creditNoteId/void',
    wrap((req) => control.voidCreditNote(tenant(req), id(req, 'creditNoteId'))),
  );
  router.post(
    '/__sim/organisations/:tenantId/credit-notes/:creditNoteId/delete',
    wrap((req) => control.deleteDraftCreditNote(tenant(req), id(req, 'creditNoteId'))),
  );
  router.patch(
    '/__sim/organisations/:tenantId/credit-notes/:creditNoteId',
    wrap((req) => control.editCreditNote(tenant(req), id(req, 'creditNoteId'), req.body ?? {})),
  );
  router.patch(
    '/__sim/organisations/:tenantId/contacts/:contactId',
    wrap((req) => control.editContact(tenant(req), id(req, 'contactId'), req.body ?? {})),
  );
  router.post(
    '/__sim/apps',
    wrap((req) => control.addApp(req.body)),
  );
  router.post(
    '/__sim/tokens',
    wrap((req) => control.issueTokens(req.body ?? {})),
  );
  router.post(
    '/__sim/revoke',
    wrap((req) => ({ revokedGrants: control.revokeTokens(req.body ?? {}) })),
  );
  router.post(
    '/__sim/disconnect',
    wrap((req) => {
      const body = z.object({ tenantId: z.string(), clientId: z.string().optional() }).parse(req.body);
      return { removedConnections: control.disconnectTenant(body.tenantId, body.clientId) };
    }),
  );
  router.post(
    '/__sim/expire-access-tokens',
    wrap(() => control.expireAccessTokens()),
  );
  router.post(
    '/__sim/expire-idempotency-keys',
    wrap(() => control.expireIdempotencyKeys()),
  );
  router.post(
    '/__sim/advance-time',
    wrap((req) => control.advanceTime(z.object({ ms: z.number() }).parse(req.body).ms)),
  );
  router.get(
    '/__sim/faults',
    wrap(() => control.faults()),
  );
  router.post(
    '/__sim/faults',
    wrap((req) => control.addFault(req.body)),
  );
  router.delete(
    '/__sim/faults',
    wrap(() => control.clearFaults()),
  );
  router.delete(
    '/__sim/faults/:id',
    wrap((req, res) =>
      control.removeFault(String(req.params.id)) ? undefined : res.status(404).json({ error: 'no such fault' }),
    ),
  );
  router.get(
    '/__sim/limits',
    wrap(() => control.limits()),
  );
  router.put(
    '/__sim/limits',
    wrap((req) => control.setLimits(req.body)),
  );
  router.get(
    '/__sim/requests',
    wrap((req) =>
      control.requestLog({
        tenantId: req.query.tenantId as string | undefined,
        pathContains: req.query.path as string | undefined,
        method: req.query.method as string | undefined,
      }),
    ),
  );
  router.delete(
    '/__sim/requests',
    wrap(() => control.clearRequestLog()),
  );
  router.put(
    '/__sim/webhook',
    wrap((req) => control.setWebhook(req.body)),
  );
  router.delete(
    '/__sim/webhook',
    wrap(() => control.clearWebhook()),
  );
  router.get(
    '/__sim/webhook/deliveries',
    wrap(() => control.webhookDeliveries()),
  );
  router.post(
    '/__sim/webhook/flush',
    wrap(() => control.flushWebhooks()),
  );
  router.post(
    '/__sim/webhook/intent-check',
    wrap(() => control.checkWebhookIntent()),
  );

  router.use('/__sim', (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    void _next;
    if (err instanceof XeroRefusal) return res.status(400).json({ error: err.message, messages: err.messages });
    if (err instanceof NotInXero) return res.status(404).json({ error: err.message });
    const message = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
    res.status(400).json({ error: message });
  });
  return router;
}
