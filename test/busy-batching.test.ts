import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Invoice } from 'xero-node';
import type { DatabaseHandle } from '../src/db/database';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createXeroGateway, type AccountGateway } from '../src/xero/gateway';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { createTestDatabase } from './support/database';
import { connectedAccounts, simulatorIdentity } from './support/xero-connect';
import { TEST_SETTINGS } from './support/orders';
import { settingsSchema } from '../src/domain/settings';

/**
 * A quiet organisation's creates go at once; once Xero's X-MinLimit-Remaining says it is spending
 * its minute in a burst (or is nearly out of it), its creates wait up to the hold to share a
 * request — and a full batch never waits. Xero's real limits (60 a minute) on the simulator and the limiter.
 */

const HOLD_MS = 1_500;
const LIMITS = { perMinute: 60, perDay: 5_000, concurrent: 5 };
const ORGS = ['Demo Company (NZ)', 'Acme Plumbing Ltd'];

/** A simulator and a gateway on these limits, with an account connected to each organisation (and a customer in each). */
async function gatewaysOnSimulator(p: { limits: typeof LIMITS; minuteMs?: number; busyBatchHoldMs?: number }) {
  const database = await createTestDatabase();
  const sim = await startXeroSimulator({ limits: p.limits, ...(p.minuteMs ? { minuteMs: p.minuteMs } : {}) });
  const { db } = database;
  const cipher = createTokenCipher(randomBytes(32));
  const xero = createXeroGateway({
    access: createXeroAccessProvider({ db, cipher, identity: simulatorIdentity(sim.url), log: createLogger('silent') }),
    limiter: createRateLimiter({
      db,
      limits: p.limits,
      ...(p.minuteMs ? { minuteMs: p.minuteMs } : {}),
      app: `busy-${randomBytes(4).toString('hex')}`,
    }),
    apiUrl: sim.url,
    ...(p.busyBatchHoldMs ? { busyBatchHoldMs: p.busyBatchHoldMs } : {}),
  });
  const hostApp = await db
    .insertInto('host_apps')
    .values({ name: 'Busy Co' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const accounts = await connectedAccounts({
    db,
    cipher,
    simUrl: sim.url,
    hostAppId: hostApp.id,
    names: ORGS,
    settings: settingsSchema.parse(TEST_SETTINGS),
  });
  const gws = accounts.map((a) => xero.forAccount(a.accountId));
  const contactIds = await Promise.all(
    gws.map(
      async (gw, i) =>
        (await gw.createContact({ name: `${ORGS[i]} Customer` }, { idempotencyKey: `c-${i}` })).contactID!,
    ),
  );
  return { database, sim, gws, contactIds };
}

describe('batched creates hold while an organisation is spending its minute', () => {
  let database: DatabaseHandle;
  let sim: RunningXeroSimulator;
  let gws: AccountGateway[];
  let contactIds: string[];
  let seq = 0;

  const sale = (org: number, invoiceNumber: string): Invoice => ({
    type: Invoice.TypeEnum.ACCREC,
    contact: { contactID: contactIds[org] },
    date: '2026-03-02',
    dueDate: '2026-03-30',
    invoiceNumber,
    status: Invoice.StatusEnum.AUTHORISED,
    lineItems: [{ description: 'Work', quantity: 1, unitAmount: 10, accountCode: '200', taxType: 'OUTPUT2' }],
  });
  const create = (org: number, invoiceNumber: string) =>
    gws[org]!.createInvoice(sale(org, invoiceNumber), { idempotencyKey: `busy-${++seq}` });
  const invoiceCreates = () => sim.sim.requestLog({ method: 'PUT' }).filter((e) => /\/Invoices(\?|$)/.test(e.path));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Sends the creates `gapMs` apart; answers when each was answered, in ms from the first send. */
  async function staggered(org: number, numbers: string[], gapMs: number) {
    const started = Date.now();
    const answered: Array<Promise<number>> = [];
    for (const [i, n] of numbers.entries()) {
      if (i > 0) await sleep(gapMs);
      answered.push(create(org, n).then(() => Date.now() - started));
    }
    return Promise.all(answered);
  }

  before(async () => {
    ({ database, sim, gws, contactIds } = await gatewaysOnSimulator({ limits: LIMITS, busyBatchHoldMs: HOLD_MS }));
  });

  after(async () => {
    await sim?.close();
    await database?.close();
  });

  it('a quiet organisation: each create goes at once, in its own request', async () => {
    sim.sim.clearRequestLog();
    const latencies = await staggered(0, ['Q-1', 'Q-2', 'Q-3'], 300);
    assert.equal(invoiceCreates().length, 3, 'three requests 300 ms apart');
    // Each answered within a fraction of the hold after it was sent (sent at 0, 300, 600 ms).
    latencies.forEach((ms, i) => assert.ok(ms - i * 300 < HOLD_MS / 2, `create ${i + 1} answered after ${ms} ms`));
  });

  it('an organisation spending its minute in a burst: creates arriving within the hold share one request', async () => {
    // Eleven calls at once: X-MinLimit-Remaining from 59 to 49 of 60 within the hold.
    await Promise.all(Array.from({ length: 11 }, () => gws[1]!.organisation()));
    sim.sim.clearRequestLog();
    const latencies = await staggered(1, ['B-1', 'B-2', 'B-3'], 300);
    const requests = invoiceCreates();
    assert.equal(requests.length, 1, `one request for three creates: ${requests.map((r) => r.path).join(', ')}`);
    assert.ok(latencies[0]! >= HOLD_MS - 50, `the first create waited for company (${latencies[0]} ms)`);
    assert.ok(latencies[0]! < HOLD_MS + 2_000, `but no longer than the hold (${latencies[0]} ms)`);
    const tenantId = sim.sim.organisations().find((o) => o.name === ORGS[1])!.tenantId;
    const numbers = sim.sim
      .invoices(tenantId)
      .map((i) => String(i.InvoiceNumber))
      .filter((n) => n.startsWith('B-'))
      .sort();
    assert.deepEqual(numbers, ['B-1', 'B-2', 'B-3'], 'each create is in Xero once');
  });

  it('while busy, a full batch of 50 goes at once', async () => {
    sim.sim.clearRequestLog();
    const started = Date.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => create(1, `F-${i}`)));
    assert.equal(invoiceCreates().length, 1, 'one request for 50');
    assert.ok(Date.now() - started < HOLD_MS, `a full batch does not wait the hold (${Date.now() - started} ms)`);
  });

  it('the other organisation stays quiet: its create is not held', async () => {
    sim.sim.clearRequestLog();
    const [ms] = await staggered(0, ['Q-4'], 0);
    assert.ok(ms! < HOLD_MS / 2, `answered in ${ms} ms`);
  });
});

describe('at the limit, a waiting batch goes before single calls of the same organisation', () => {
  // A 2-second "minute" of 6 calls, on both sides.
  const MINUTE_MS = 2_000;
  const TIGHT = { perMinute: 6, perDay: 5_000, concurrent: 5 };
  let database: DatabaseHandle;
  let sim: RunningXeroSimulator;
  let gw: AccountGateway;
  let contactId: string;

  before(async () => {
    let gws: AccountGateway[];
    let contactIds: string[];
    ({ database, sim, gws, contactIds } = await gatewaysOnSimulator({ limits: TIGHT, minuteMs: MINUTE_MS }));
    [gw, contactId] = [gws[0]!, contactIds[0]!];
  });

  after(async () => {
    await sim?.close();
    await database?.close();
  });

  it('the batch takes the first permit the minute frees, although the single calls waited longer', async () => {
    await new Promise((r) => setTimeout(r, MINUTE_MS));
    // The minute used up at once (one by one, the first would age out before the last).
    await Promise.all(Array.from({ length: TIGHT.perMinute }, () => gw.organisation()));
    sim.sim.clearRequestLog();
    // Eight single calls wait for the minute first; then three creates form a batch and wait too.
    const singles = Array.from({ length: 8 }, () => gw.organisation());
    await new Promise((r) => setTimeout(r, 100));
    const creates = ['T-1', 'T-2', 'T-3'].map((invoiceNumber, i) =>
      gw.createInvoice(
        {
          type: Invoice.TypeEnum.ACCREC,
          contact: { contactID: contactId },
          date: '2026-03-02',
          dueDate: '2026-03-30',
          invoiceNumber,
          status: Invoice.StatusEnum.AUTHORISED,
          lineItems: [{ description: 'Work', quantity: 1, unitAmount: 10, accountCode: '200', taxType: 'OUTPUT2' }],
        },
        { idempotencyKey: `tight-${i}` },
      ),
    );
    await Promise.all([...singles, ...creates]);
    const order = sim.sim.requestLog().map((e) => `${e.method} ${e.path.split('?')[0]!.replace('/api.xro/2.0', '')}`);
    assert.equal(order[0], 'PUT /Invoices', `the batch went first: ${order.join(', ')}`);
    assert.equal(order.filter((o) => o === 'PUT /Invoices').length, 1, 'one request for the three creates');
  });
});
