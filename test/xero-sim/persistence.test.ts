import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CreditNote, Invoice } from 'xero-node';
import { startXeroSimulator, type RunningXeroSimulator } from '../../src/xero-sim/server';
import { decodeValue, encodeValue } from '../../src/xero-sim/persistence';
import { accountingApi, connectViaConsent, rawApi, sleep, tokenRequest, type TokenSet } from './helpers';

/**
 * `persistPath`: the simulator's state outlives it. What one simulator created — contacts,
 * invoices, payments, credit notes, attachments, reference-data changes, apps, tokens and
 * connections, kept Idempotency-Key answers — is there, the same, in the next one on that file;
 * a file it cannot read is moved aside and the simulator starts fresh.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'xero-sim-persist-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'xero-sim.json');
const open: RunningXeroSimulator[] = [];
after(async () => {
  for (const s of open) await s.close().catch(() => undefined);
});
async function start(persistPath = file) {
  const s = await startXeroSimulator({ persistPath, limits: { perMinute: 100_000 } });
  open.push(s);
  return s;
}

describe('simulator persistence', () => {
  it('tagged encoding keeps Maps, Buffers, Dates and $-keys', () => {
    const value = {
      m: new Map<string, unknown>([['a', { b: Buffer.from([0, 255, 1]) }]]),
      d: new Date('2025-01-02T03:04:05.000Z'),
      $buf: 'not a tag',
      list: [1, undefined, 'x'],
      gone: undefined,
    };
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value;
    assert.ok(back.m instanceof Map);
    assert.deepEqual((back.m.get('a') as { b: Buffer }).b, Buffer.from([0, 255, 1]));
    assert.ok(back.d instanceof Date && back.d.getTime() === value.d.getTime());
    assert.equal(back.$buf, 'not a tag');
    assert.deepEqual(back.list, [1, null, 'x']);
    assert.ok(!('gone' in back));
  });

  it('a restarted simulator has the same documents, attachments, reference data and working tokens', async () => {
    const first = await start();
    const [org] = first.sim.organisations();
    const tenantId = org!.tenantId;
    const tokens: TokenSet = await connectViaConsent(first.url, [tenantId]);
    const api = accountingApi(first.url, tokens.access_token);

    const contact = (await api.createContacts(tenantId, { contacts: [{ name: 'Harbour View Cafe' }] })).body
      .contacts![0]!;
    const created = (
      await api.createInvoices(
        tenantId,
        {
          invoices: [
            {
              type: Invoice.TypeEnum.ACCREC,
              contact: { contactID: contact.contactID },
              date: '2025-06-01',
              dueDate: '2025-06-30',
              invoiceNumber: 'SO-PERSIST-1',
              status: Invoice.StatusEnum.AUTHORISED,
              lineItems: [
                { description: 'Call-out fee', quantity: 1, unitAmount: 95, accountCode: '200' },
                { description: 'Pipe (m)', quantity: 4, unitAmount: 12.5, discountRate: 10, accountCode: '200' },
              ],
            },
          ],
        },
        false,
        undefined,
        'persist-key-1',
      )
    ).body.invoices![0]!;
    assert.equal(created.total, 161);
    const payment = (
      await api.createPayment(tenantId, {
        invoice: { invoiceID: created.invoiceID },
        account: { code: '090' },
        date: '2025-06-02',
        amount: 61,
      })
    ).body.payments![0]!;
    const credit = (
      await api.createCreditNotes(tenantId, {
        creditNotes: [
          {
            type: CreditNote.TypeEnum.ACCRECCREDIT,
            contact: { contactID: contact.contactID },
            date: '2025-06-03',
            status: CreditNote.StatusEnum.AUTHORISED,
            lineItems: [{ description: 'Refund', quantity: 1, unitAmount: 10, accountCode: '200' }],
          },
        ],
      })
    ).body.creditNotes![0]!;
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x80, 0x0a]); // not UTF-8
    await api.createInvoiceAttachmentByFileName(
      tenantId,
      created.invoiceID!,
      'SO-PERSIST-1.pdf',
      bytes,
      true,
      undefined,
      {
        headers: { 'Content-Type': 'application/pdf' },
      },
    );
    first.sim.setLockDates(tenantId, { periodLockDate: '2024-12-31' });
    first.sim.enableCurrency(tenantId, 'AUD', 0.92);
    first.sim.setStatus(tenantId, { accountCode: '260' }, 'ARCHIVED');

    // Written within a second of the last change, without waiting for close.
    const deadline = Date.now() + 2_000;
    let snapshot: { version?: number; state?: unknown } = {};
    while (Date.now() < deadline) {
      if (existsSync(file)) {
        snapshot = JSON.parse(readFileSync(file, 'utf8')) as typeof snapshot;
        if (JSON.stringify(snapshot).includes('"2024-12-31') || JSON.stringify(snapshot).includes('AUD')) break;
      }
      await sleep(100);
    }
    assert.equal(snapshot.version, 1);
    assert.match(JSON.stringify(snapshot), /SO-PERSIST-1/);

    const invoicesBefore = first.sim.invoices(tenantId);
    const contactsBefore = first.sim.contacts(tenantId);
    const paymentsBefore = first.sim.payments(tenantId);
    const creditNotesBefore = first.sim.creditNotes(tenantId);
    const itemsBefore = first.sim.items(tenantId);
    const orgsBefore = first.sim.organisations();
    await first.close();

    const second = await start();
    assert.notEqual(second.url, '', 'started');
    assert.deepEqual(second.sim.organisations(), orgsBefore);
    // Only the base URL in online-invoice links may differ (another port).
    const sameBase = (docs: Array<Record<string, unknown>>, base: string) =>
      JSON.parse(JSON.stringify(docs).split(base).join('BASE')) as unknown;
    assert.deepEqual(sameBase(second.sim.invoices(tenantId), second.url), sameBase(invoicesBefore, first.url));
    assert.deepEqual(second.sim.contacts(tenantId), contactsBefore);
    assert.deepEqual(second.sim.payments(tenantId), paymentsBefore);
    assert.deepEqual(second.sim.creditNotes(tenantId), creditNotesBefore);
    assert.deepEqual(second.sim.items(tenantId), itemsBefore);
    const [attachment] = second.sim.attachments(tenantId, created.invoiceID!);
    assert.ok(attachment);
    assert.ok(Buffer.isBuffer(attachment.bytes));
    assert.deepEqual(attachment.bytes, bytes);
    assert.equal(second.sim.organisations()[0]!.periodLockDate, '2024-12-31');

    // The access token still works, through Xero's API.
    const api2 = accountingApi(second.url, tokens.access_token);
    const again = (await api2.getInvoice(tenantId, created.invoiceID!)).body.invoices![0]!;
    assert.equal(again.invoiceNumber, 'SO-PERSIST-1');
    assert.equal(again.total, 161);
    assert.equal(again.amountPaid, 61);
    assert.equal(again.amountDue, 100);
    assert.equal(again.payments?.[0]?.paymentID, payment.paymentID);
    assert.equal((await api2.getCreditNote(tenantId, credit.creditNoteID!)).body.creditNotes![0]!.total, 11.5);
    const pdf = await rawApi(
      { url: second.url, tokens, tenantId },
      'GET',
      `/Invoices/${created.invoiceID}/Attachments/SO-PERSIST-1.pdf`,
      {
        headers: { accept: 'application/pdf' },
      },
    );
    assert.equal(pdf.status, 200);
    const currencies = (await api2.getCurrencies(tenantId)).body.currencies!.map((c) => String(c.code));
    assert.ok(currencies.includes('AUD'), currencies.join());
    const account260 = (await api2.getAccounts(tenantId)).body.accounts!.find((a) => a.code === '260');
    assert.equal(String(account260?.status), 'ARCHIVED');

    // A kept Idempotency-Key answer is replayed: nothing new is created.
    const replay = (
      await api2.createInvoices(
        tenantId,
        {
          invoices: [
            {
              type: Invoice.TypeEnum.ACCREC,
              contact: { contactID: contact.contactID },
              date: '2025-06-01',
              dueDate: '2025-06-30',
              invoiceNumber: 'SO-PERSIST-1',
              status: Invoice.StatusEnum.AUTHORISED,
              lineItems: [
                { description: 'Call-out fee', quantity: 1, unitAmount: 95, accountCode: '200' },
                { description: 'Pipe (m)', quantity: 4, unitAmount: 12.5, discountRate: 10, accountCode: '200' },
              ],
            },
          ],
        },
        false,
        undefined,
        'persist-key-1',
      )
    ).body.invoices![0]!;
    assert.equal(replay.invoiceID, created.invoiceID);
    assert.equal(second.sim.invoices(tenantId).length, invoicesBefore.length);

    // The refresh token refreshes (and the rotated one is kept for the next restart).
    const refreshed = await tokenRequest(second.url, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const newTokens = refreshed.body as unknown as TokenSet;
    const connections = await fetch(`${second.url}/connections`, {
      headers: { authorization: `Bearer ${newTokens.access_token}` },
    });
    assert.equal(connections.status, 200);
    assert.deepEqual(
      ((await connections.json()) as Array<{ tenantId: string }>).map((c) => c.tenantId),
      [tenantId],
    );
    await second.close();

    const third = await start();
    const refreshedAgain = await tokenRequest(third.url, {
      grant_type: 'refresh_token',
      refresh_token: newTokens.refresh_token!,
    });
    assert.equal(refreshedAgain.status, 200, JSON.stringify(refreshedAgain.body));
    await third.close();
  });

  it('an unreadable or other-version file is moved aside and the simulator starts fresh', async () => {
    const badDir = mkdtempSync(path.join(dir, 'bad-'));
    const badFile = path.join(badDir, 'xero-sim.json');
    writeFileSync(badFile, '{"version": 1, "state": {"orgs": tru');
    const sim = await start(badFile);
    assert.equal(sim.sim.organisations().length, 2, 'the standard demo organisations');
    const aside = readdirSync(badDir).filter((f) => f.startsWith('xero-sim.json.bad-'));
    assert.equal(aside.length, 1, readdirSync(badDir).join());
    assert.equal(readFileSync(path.join(badDir, aside[0]!), 'utf8'), '{"version": 1, "state": {"orgs": tru');
    await sim.close();
    // The fresh state was written: a good file is there again.
    assert.equal((JSON.parse(readFileSync(badFile, 'utf8')) as { version: number }).version, 1);

    writeFileSync(badFile, JSON.stringify({ version: 2, state: {} }));
    await sleep(5); // a distinct .bad-<time> name
    const next = await start(badFile);
    assert.equal(next.sim.organisations().length, 2);
    assert.equal(readdirSync(badDir).filter((f) => f.startsWith('xero-sim.json.bad-')).length, 2);
    await next.close();
  });
});
