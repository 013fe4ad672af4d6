import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Invoice, type Contact } from 'xero-node';
import { findContactsByName } from '../src/contact-sync/xero-contacts';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { isDuplicateNumberRefusal, XeroApiError } from '../src/xero/errors';
import { createXeroGateway, type AccountGateway, type XeroGateway, type XeroGatewayDeps } from '../src/xero/gateway';
import { SEARCH_PAGE_SIZE } from '../src/xero/lookups';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { createTestDatabase } from './support/database';
import { connectAccountForTest, simulatorIdentity } from './support/xero-connect';
import type { DatabaseHandle } from '../src/db/database';

/**
 * Any document number or contact name Xero accepts can be found again through the gateway, over
 * the real xero-node client and the simulator's Xero rules: commas (InvoiceNumbers= splits them),
 * quotes (no `where` literal can hold one), slashes, spaces, unicode — each found exactly, never a
 * neighbour, plain numbers still batched, and an error never read as "not found".
 */

const SPECIAL = ['Cs3-1038,116', 'Q"7"', 'A/B 1', 'Zoë–№5', 'a,b"c'];
/** Numbers a careless look-up would confuse with the special ones (split pieces, prefixes, search hits). */
const DECOYS = ['Cs3-1038', '116', 'Q"7', 'Q7', '7"', 'A/B', 'A/B 10', 'Zoë–№50', 'a', 'b"c', 'a,b', 'a,b"c,d'];
const PLAIN = ['PL-1', 'PL-2', 'PL-3', 'PL-4', 'PL-5'];

describe('gateway look-ups by number and name', () => {
  let database: DatabaseHandle;
  let sim: RunningXeroSimulator;
  let gatewayDeps: XeroGatewayDeps;
  let xero: XeroGateway;
  let gw: AccountGateway;
  let accountId: string;
  let contactId: string;
  let seq = 0;

  const sale = (invoiceNumber: string): Invoice => ({
    type: Invoice.TypeEnum.ACCREC,
    contact: { contactID: contactId },
    date: '2026-03-02',
    dueDate: '2026-03-30',
    invoiceNumber,
    status: Invoice.StatusEnum.AUTHORISED,
    lineItems: [{ description: 'Work', quantity: 1, unitAmount: 10, accountCode: '200', taxType: 'OUTPUT2' }],
  });
  const create = (invoiceNumber: string) => gw.createInvoice(sale(invoiceNumber), { idempotencyKey: `k-${++seq}` });
  const numbersOf = (invoices: Invoice[]) => invoices.map((i) => i.invoiceNumber).sort();
  const invoiceGets = () => sim.sim.requestLog({ method: 'GET', pathContains: '/Invoices' }).map((e) => e.path);

  before(async () => {
    database = await createTestDatabase();
    const limits = { perMinute: 5_000, perDay: 100_000, concurrent: 5 };
    sim = await startXeroSimulator({ limits });
    const { db } = database;
    const cipher = createTokenCipher(randomBytes(32));
    const hostApp = await db
      .insertInto('host_apps')
      .values({ name: 'Lookups Co' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const account = await db
      .insertInto('accounts')
      .values({ host_app_id: hostApp.id, external_id: 'acct-lookups', name: 'Lookups', options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    accountId = account.id;
    await connectAccountForTest({ db, cipher, simUrl: sim.url, accountId });
    gatewayDeps = {
      access: createXeroAccessProvider({
        db,
        cipher,
        identity: simulatorIdentity(sim.url),
        log: createLogger('silent'),
      }),
      // Faults are injected one call at a time here: no probe spacing after them (the outage has its own tests).
      limiter: createRateLimiter({ db, limits, outage: { probeInitialMs: 0, probeMaxMs: 0 } }),
      apiUrl: sim.url,
    };
    xero = createXeroGateway(gatewayDeps);
    gw = xero.forAccount(accountId);
    contactId = (await gw.createContact({ name: 'Lookup Customer Ltd' }, { idempotencyKey: 'contact-1' })).contactID!;
    const made = await Promise.all([...SPECIAL, ...DECOYS, ...PLAIN].map(create));
    assert.equal(made.length, SPECIAL.length + DECOYS.length + PLAIN.length);
  });

  after(async () => {
    await sim?.close();
    await database?.close();
  });

  it('finds every number exactly, never a neighbour', async () => {
    for (const number of [...SPECIAL, ...DECOYS]) {
      const found = await gw.invoicesNumbered(number);
      assert.deepEqual(numbersOf(found), [number], `looking up ${number}`);
    }
    // Without batching, the same answers.
    const alone = createXeroGateway({ ...gatewayDeps, batchWindowMs: 0 }).forAccount(accountId);
    for (const number of [...SPECIAL, 'Cs3-1038', '116'])
      assert.deepEqual(numbersOf(await alone.invoicesNumbered(number)), [number], `looking up ${number} unbatched`);
    assert.deepEqual(await gw.invoicesNumbered('Cs3-1038,117'), [], 'an unknown number with a comma is not found');
    assert.deepEqual(await gw.invoicesNumbered('Q"8"'), [], 'an unknown number with a quote is not found');
  });

  it('plain numbers still share one InvoiceNumbers= request; the others never go in one', async () => {
    sim.sim.clearRequestLog();
    const wanted = [...PLAIN, ...SPECIAL, 'Cs3-1038', '116'];
    const found = await Promise.all(wanted.map((n) => gw.invoicesNumbered(n)));
    found.forEach((invoices, i) => assert.deepEqual(numbersOf(invoices), [wanted[i]], `looking up ${wanted[i]}`));
    const lists = invoiceGets()
      .map((path) => new URL(path, 'http://sim').searchParams.get('InvoiceNumbers'))
      .filter((v): v is string => v !== null);
    assert.equal(lists.length, 1, 'one batched request for the plain numbers');
    assert.deepEqual(lists[0]!.split(',').sort(), [...PLAIN, '116', 'A/B 1', 'Cs3-1038', 'Zoë–№5'].sort());
    const wheres = invoiceGets().map((path) => new URL(path, 'http://sim').searchParams.get('where'));
    assert.ok(wheres.includes('InvoiceNumber=="Cs3-1038,116"'));
    assert.ok(
      wheres.every((w) => w === null || !w.includes('\\')),
      'no backslash escapes',
    );
  });

  it('a number with a quote is searched page by page to the end', async () => {
    // More search hits than one page, the wanted one among them.
    const hits = Array.from({ length: SEARCH_PAGE_SIZE + 5 }, (_, i) => `Q"7"/${i}`);
    for (let i = 0; i < hits.length; i += 50) await Promise.all(hits.slice(i, i + 50).map(create));
    sim.sim.clearRequestLog();
    assert.deepEqual(numbersOf(await gw.invoicesNumbered('Q"7"')), ['Q"7"']);
    const pages = invoiceGets().map((path) => new URL(path, 'http://sim').searchParams);
    assert.deepEqual(
      pages.map((q) => [q.get('searchTerm'), q.get('page')]),
      [
        ['Q"7"', '1'],
        ['Q"7"', '2'],
      ],
    );
    assert.equal(numbersOf(await gw.invoicesNumbered('Q"7"/104')).length, 1);
  });

  it('finds an invoice whose create answer was lost, and knows the retry refusal for what it is', async () => {
    for (const number of ['Cs3-2041,7', 'Tui "Q" 9']) {
      sim.sim.addFault({ method: 'PUT', path: '/Invoices', dropAfterCommit: true, times: 1 });
      const lost = await create(number).then(
        () => assert.fail('the answer should have been lost'),
        (err: unknown) => err,
      );
      assert.ok(lost instanceof XeroApiError && lost.retryable, `a lost answer is retryable: ${String(lost)}`);
      assert.equal(isDuplicateNumberRefusal(lost), false);
      const found = await gw.invoicesNumbered(number);
      assert.deepEqual(numbersOf(found), [number]);
      const refused = await create(number).then(
        () => assert.fail('a second create should be refused'),
        (err: unknown) => err,
      );
      assert.ok(isDuplicateNumberRefusal(refused), `recognised: ${String(refused)}`);
      assert.deepEqual(refused.validationMessages, ['Invoice # must be unique.']);
    }
  });

  it('a create refused inside a micro-batch gives that caller its own duplicate-number error', async () => {
    sim.sim.clearRequestLog();
    const results = await Promise.allSettled([create('NEW-1'), create('Zoë–№5'), create('NEW-2')]);
    assert.equal(sim.sim.requestLog({ method: 'PUT', pathContains: '/Invoices' }).length, 1, 'one batch');
    const [a, b, c] = results;
    assert.equal(a!.status === 'fulfilled' && a.value.invoiceNumber, 'NEW-1');
    assert.equal(c!.status === 'fulfilled' && c.value.invoiceNumber, 'NEW-2');
    assert.ok(b!.status === 'rejected' && isDuplicateNumberRefusal(b.reason));
  });

  it('never reads an error as "not found"', async () => {
    for (const number of ['PL-1', 'Cs3-1038,116', 'Q"7"']) {
      sim.sim.addFault({ method: 'GET', path: '/Invoices', status: 500, times: 1 });
      await assert.rejects(gw.invoicesNumbered(number), (err) => err instanceof XeroApiError && err.kind === 'server');
    }
    for (const name of ['Plain Name Ltd', 'Tui "Builders"']) {
      sim.sim.addFault({ method: 'GET', path: '/Contacts', status: 503, times: 1 });
      await assert.rejects(gw.contactsNamed(name), (err) => err instanceof XeroApiError && err.kind === 'server');
    }
  });

  it('contactsNamed finds a name with quotes, a backslash or a comma exactly', async () => {
    const make = (c: Contact) => gw.createContact(c, { idempotencyKey: `c-${++seq}` });
    await make({ name: 'Tui "Builders"', emailAddress: 'ap@tui.example' });
    await make({ name: 'Tui "Builders" Ltd' });
    await make({ name: 'Tui Builders' });
    await make({ name: 'Kea Ltd', contactNumber: 'Tui "Builders"' });
    await make({ name: 'Back\\slash, Ltd' });
    const names = async (name: string) => (await gw.contactsNamed(name)).map((c) => c.name).sort();
    assert.deepEqual(await names('Tui "Builders"'), ['Tui "Builders"']);
    assert.deepEqual(await names('Tui "Builders" Ltd'), ['Tui "Builders" Ltd']);
    assert.deepEqual(await names('Tui Builders'), ['Tui Builders']);
    assert.deepEqual(await names('Back\\slash, Ltd'), ['Back\\slash, Ltd']);
    assert.deepEqual(await names('Tui "Build'), []);
    // Contact sync matches names as Xero's uniqueness does: without case, archived ones included.
    const sync = { call: xero.call };
    const same = await findContactsByName(sync, accountId, 'TUI "BUILDERS"');
    assert.deepEqual(
      same.map((c) => c.name),
      ['Tui "Builders"'],
    );
    assert.deepEqual(
      (await findContactsByName(sync, accountId, 'Back\\slash, Ltd')).map((c) => c.name),
      ['Back\\slash, Ltd'],
    );
  });
});
