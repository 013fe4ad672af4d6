import { randomBytes, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { createAdminLink } from '../../src/access/admin-links';
import { createApiKey } from '../../src/access/api-keys';
import { buildAdminAccess, type AdminAccess } from '../../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../../src/config';
import type { Db } from '../../src/db/database';
import { documentRef, type DocumentKind } from '../../src/documents/kinds';
import { createLogger } from '../../src/log';
import type { DriftChanges, XeroDocumentCopy } from '../../src/xero-changes/contract';
import { invoiceCopy } from '../../src/xero-changes/read-xero';
import { SIMULATOR_CLIENT } from '../../src/xero/identity';
import { createApp } from '../../web/app';
import { listen, type RunningWebServer } from '../../web/server';
import { freePort } from './free-port';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './orders';
import type { TestTemporal } from './temporal';
import { WebClient } from './web-client';

/**
 * The Reconciliation page and API over a real worker, Temporal and the Xero simulator: an account
 * with synced documents, an API key, an admin session, and `xero_drift` rows seeded the way the
 * document side writes them (src/xero-changes/contract.ts).
 */

type Rec = Record<string, any>;

export interface ReconciliationTestApp {
  env: OrderTestEnv;
  web: RunningWebServer;
  access: AdminAccess;
  apiKey: string;
  api(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: Rec }>;
  /** A browser stand-in signed in as the account's admin. */
  signIn(accountId?: string): Promise<WebClient>;
  adminLink(accountId?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startReconciliationApp(temporal: TestTemporal): Promise<ReconciliationTestApp> {
  const env = await orderTestEnv(temporal, {
    settings: TEST_SETTINGS,
    fetchPdf: () => Promise.resolve({ bytes: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' }),
  });
  const log = createLogger('silent');
  const port = await freePort();
  const access = buildAdminAccess({
    db: env.database.db,
    log,
    secrets: {
      tokenEncryptionKey: Buffer.from(env.cipherKeyHex, 'hex'),
      sessionSecret: randomBytes(32).toString('base64url'),
    },
    publicUrl: `http://127.0.0.1:${port}`,
    identity: {
      loginUrl: env.sim.url,
      identityUrl: env.sim.url,
      apiUrl: env.sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  const web = await listen(
    createApp({ db: env.database.db, temporal: temporal.client, log, access, taskQueue: env.taskQueue }),
    port,
    '127.0.0.1',
  );
  const apiKey = (await createApiKey(env.database.db, env.hostAppId)).key;
  const adminLink = async (accountId = env.accountId) =>
    (await createAdminLink(env.database.db, { secret: access.sessionSecret, publicUrl: access.publicUrl, accountId }))
      .url;
  return {
    env,
    web,
    access,
    apiKey,
    async api(method, path, body, key = apiKey) {
      const res = await fetch(`${web.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as Rec };
    },
    adminLink,
    async signIn(accountId = env.accountId) {
      const browser = new WebClient();
      assert.equal((await browser.get(await adminLink(accountId))).status, 303);
      return browser;
    },
    async close() {
      await web.close();
      await env.close();
    },
  };
}

/** Another account of the same host app (for scoping tests). */
export async function otherAccount(
  db: Db,
  hostAppId: string,
  name = 'Other Co',
): Promise<{ id: string; externalId: string }> {
  const externalId = `other-${randomUUID().slice(0, 8)}`;
  const row = await db
    .insertInto('accounts')
    .values({ host_app_id: hostAppId, external_id: externalId, name, options: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, externalId };
}

export function xeroCopy(patch: Partial<XeroDocumentCopy> = {}): XeroDocumentCopy {
  return {
    family: 'invoice',
    xeroId: randomUUID(),
    number: 'INV-0001',
    type: 'ACCREC',
    status: 'AUTHORISED',
    contactId: randomUUID(),
    lines: [],
    subTotal: 150,
    totalTax: 0,
    total: 150,
    payments: [],
    updatedDateUtc: new Date().toISOString(),
    ...patch,
  };
}

export interface SeededDrift {
  accountId: string;
  kind?: DocumentKind;
  hostId: string;
  xeroId?: string;
  xeroNumber?: string | null;
  via?: 'webhook' | 'reconciliation';
  changes: DriftChanges;
  copy?: Partial<XeroDocumentCopy>;
  status?: 'open' | 'resolved';
  resolution?: 'sent_ours' | 'accepted_xero' | 'ignored' | 'overwritten';
  detectedAt?: Date;
}

/** A `xero_drift` row as the document side records one. */
export async function seedDrift(db: Db, d: SeededDrift): Promise<string> {
  const kind = d.kind ?? 'order';
  const xeroId = d.xeroId ?? randomUUID();
  const at = d.detectedAt ?? new Date();
  const row = await db
    .insertInto('xero_drift')
    .values({
      account_id: d.accountId,
      document_ref: documentRef(kind, d.hostId),
      document_kind: kind,
      xero_id: xeroId,
      xero_number: d.xeroNumber === undefined ? d.hostId : d.xeroNumber,
      via: d.via ?? 'reconciliation',
      changes: JSON.stringify(d.changes),
      xero_copy: JSON.stringify(
        xeroCopy({
          xeroId,
          type: kind === 'bill' ? 'ACCPAY' : kind === 'credit_note' ? 'ACCRECCREDIT' : 'ACCREC',
          ...d.copy,
        }),
      ),
      status: d.status ?? 'open',
      resolution: d.resolution ?? null,
      detected_at: at,
      updated_at: at,
      resolved_at: d.status === 'resolved' ? new Date() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An order synced into the simulator; its Xero invoice as the simulator holds it. */
export async function syncedOrder(env: OrderTestEnv): Promise<{ number: string; invoice: Rec }> {
  const order = sampleOrder({ attachPdf: false });
  const answer = await env.client.startOrderSync(env.accountId, { order });
  assert.equal(answer.applied, true, JSON.stringify(answer));
  const invoice = await eventually(
    () => (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === order.number),
    30_000,
    `order ${order.number} in Xero`,
  );
  await eventually(
    async () => (await env.client.orderSyncState(env.accountId, order.number))?.status === 'synced' || undefined,
    30_000,
    `order ${order.number} synced`,
  ).catch(() => undefined);
  return { number: order.number, invoice };
}

/** The simulator's current copy of an invoice. */
export const simInvoice = (env: OrderTestEnv, invoiceId: string): Rec | undefined =>
  (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceID === invoiceId);

/** What an accountant does in Xero's web app (the simulator's accountant): change the first line's unit amount. */
export function accountantChangesUnitAmount(env: OrderTestEnv, invoiceId: string, unitAmount: number): Rec {
  const current = simInvoice(env, invoiceId)!;
  const lines = (current.LineItems as Rec[]).map((l, i) =>
    i === 0 ? { lineItemId: l.LineItemID as string, unitAmount } : { lineItemId: l.LineItemID as string },
  );
  env.sim.sim.editInvoice(env.tenantId, invoiceId, { lines });
  return simInvoice(env, invoiceId)!;
}

export interface ChangedDocument {
  number: string;
  invoiceId: string;
  /** The invoice as the engine wrote it, and as the accountant left it. */
  ours: Rec;
  xeros: Rec;
  ourUnit: number;
}

/** Synced orders, each then changed by an accountant in Xero (first line's unit amount + 40). */
export async function changedInXero(env: OrderTestEnv, n: number): Promise<ChangedDocument[]> {
  const docs: ChangedDocument[] = [];
  for (let i = 0; i < n; i++) {
    const { number, invoice } = await syncedOrder(env);
    const ourUnit = (invoice.LineItems as Rec[])[0]!.UnitAmount as number;
    const xeros = accountantChangesUnitAmount(env, invoice.InvoiceID as string, ourUnit + 40);
    assert.notEqual(xeros.Total, invoice.Total, 'the accountant changed the total');
    docs.push({ number, invoiceId: invoice.InvoiceID as string, ours: invoice, xeros, ourUnit });
  }
  return docs;
}

/**
 * Each document's open drift: Xero's copy handed to the document's workflow as the intake does
 * (`xero_changed`; a reconciliation may have handed the same copy over already), and the row the
 * document side records.
 */
export async function driftsOf(env: OrderTestEnv, docs: ChangedDocument[]): Promise<string[]> {
  const { db } = env.database;
  const ids: string[] = [];
  for (const d of docs) {
    const inv = await env.xero.forAccount(env.accountId).invoice(d.invoiceId);
    await env.client.sendXeroEvent('order', env.accountId, d.number, {
      type: 'xero_changed',
      copy: invoiceCopy(JSON.parse(JSON.stringify(inv))),
      via: 'webhook',
    });
    const row = await eventually(
      () =>
        db
          .selectFrom('xero_drift')
          .select('id')
          .where('account_id', '=', env.accountId)
          .where('document_ref', '=', documentRef('order', d.number))
          .where('status', '=', 'open')
          .executeTakeFirst(),
      30_000,
      `the drift of ${d.number} recorded`,
    );
    ids.push(row.id);
  }
  return ids;
}
