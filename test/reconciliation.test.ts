import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocumentRef, documentWorkflowId } from '../src/documents/kinds';
import {
  reconciliationScheduleId,
  reconciliationWorkflowId,
  type XeroChangedEvent,
} from '../src/xero-changes/contract';
import {
  deleteReconciliation,
  ensureReconciliationSchedule,
  reconciliationStatus,
  startReconciliation,
} from '../src/xero-changes/reconciliation-schedules';
import type { ReconciliationResult } from '../src/xero-changes/shared';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Reconciliation when webhooks are missed (issue 13, intake side): with Xero's webhooks off, a run
 * reads invoices, credit notes and payments changed since the last completed run (If-Modified-Since,
 * paged), hands the engine's documents to their workflows as `xero_changed` copies (via
 * 'reconciliation'), re-reads invoices whose payments changed, and records the run; one run at a
 * time per account; a per-account schedule.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
let env: OrderTestEnv;

before(async () => {
  temporal = await testTemporal();
  // No webhook configured at the simulator: every change must be found by reconciliation.
  env = await orderTestEnv(temporal);
});
after(async () => {
  await deleteReconciliation(temporal.client, env.accountId).catch(() => undefined);
  await env?.close();
  await temporal?.close();
});

async function xeroChangedEvents(workflowId: string): Promise<XeroChangedEvent[]> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const out: XeroChangedEvent[] = [];
  for (const e of history.events ?? []) {
    const payloads = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads ?? [];
    for (const p of payloads) {
      const value = JSON.parse(Buffer.from(p.data!).toString('utf8')) as { type?: string };
      if (value.type === 'xero_changed') out.push(value as XeroChangedEvent);
    }
  }
  return out;
}

async function syncedOrder(): Promise<{ invoice: Rec; workflowId: string }> {
  const order = sampleOrder({ attachPdf: false });
  await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
  const link = await eventually(
    () =>
      env.database.db
        .selectFrom('entity_links')
        .select(['host_id', 'xero_id'])
        .where('account_id', '=', env.accountId)
        .where('kind', '=', 'invoice')
        .where('host_id', '=', order.number)
        .executeTakeFirst(),
    30_000,
    `invoice of ${order.number}`,
  );
  const invoice = env.sim.sim.invoices(env.tenantId).find((i: Rec) => i.InvoiceID === link.xero_id) as Rec;
  const { kind, hostId } = parseDocumentRef(link.host_id);
  return { invoice, workflowId: documentWorkflowId(kind, env.accountId, hostId) };
}

async function reconcileNow(pageSize?: number): Promise<ReconciliationResult> {
  const started = await startReconciliation(
    temporal.client,
    env.taskQueue,
    env.accountId,
    'manual',
    env.database.db,
    pageSize ? { pageSize } : {},
  );
  assert.equal(started.alreadyRunning, false);
  return temporal.client.workflow.getHandle(started.workflowId).result();
}

const getsSince = (since: number) => env.sim.sim.requestLog({ method: 'GET' }).filter((e) => Date.parse(e.at) >= since);

describe('reconciliation', () => {
  test('with webhooks off, a run finds a change made in Xero and hands it to the document', async () => {
    const { invoice, workflowId } = await syncedOrder();
    // The first run reads everything since the connection.
    const first = await reconcileNow();
    assert.equal(first.status, 'completed');
    assert.ok(first.counts.documentsRead >= 1);
    assert.ok(first.counts.delivered >= 1);

    const changedAt = Date.now();
    env.sim.sim.editInvoice(env.tenantId, invoice.InvoiceID, { reference: 'Edited while webhooks were off' });
    const runStarted = Date.now();
    const second = await reconcileNow(2);
    const seen = (await xeroChangedEvents(workflowId)).find(
      (e) => e.copy.reference === 'Edited while webhooks were off',
    );
    process.stdout.write(
      `# reconciliation run: ${Date.now() - runStarted} ms (change → document ${Date.now() - changedAt} ms once a run starts); counts ${JSON.stringify(second.counts)}\n`,
    );
    assert.ok(seen, 'the document workflow received the copy');
    assert.equal(seen.via, 'reconciliation');
    assert.equal(second.status, 'completed');
    // Every call made is counted: the simulator saw exactly the run's GETs.
    assert.equal(getsSince(runStarted).length, second.counts.calls);

    // End to end with the document side (issue 13): the drift is recorded, found by reconciliation.
    // XERO_DRIFT_E2E=0 checks the intake alone.
    if (process.env.XERO_DRIFT_E2E !== '0') {
      const drift = await eventually(
        () =>
          env.database.db
            .selectFrom('xero_drift')
            .selectAll()
            .where('account_id', '=', env.accountId)
            .where('xero_id', '=', invoice.InvoiceID)
            .executeTakeFirst(),
        30_000,
        'a xero_drift row',
      );
      assert.equal(drift.via, 'reconciliation');
    }

    const status = await reconciliationStatus(env.database.db, temporal.client, env.accountId);
    assert.equal(status.running, false);
    assert.equal(status.lastRun?.status, 'completed');
    assert.equal(status.lastRun?.trigger, 'manual');
    assert.equal(status.lastRun?.counts.calls, second.counts.calls);
    assert.ok(status.lastRun?.finishedAt);
  });

  test('a payment made in Xero: the invoice is read again and its copy carries the payment', async () => {
    const { invoice, workflowId } = await syncedOrder();
    await reconcileNow();
    const { payment } = env.sim.sim.recordPayment(env.tenantId, invoice.InvoiceID, {
      amount: 5,
      reference: 'Paid at the bank',
    });
    const run = await reconcileNow();
    assert.ok(run.counts.paymentsRead >= 1);
    const seen = (await xeroChangedEvents(workflowId)).find((e) =>
      e.copy.payments.some((p) => p.paymentId === payment.PaymentID),
    );
    assert.ok(seen, 'a copy with the payment');
    const p = seen.copy.payments.find((x) => x.paymentId === payment.PaymentID)!;
    assert.equal(p.amount, 5);
    assert.ok(p.accountCode, 'the bank account of a payment the engine did not write');
  });

  test('one run at a time per account; the run record tells which', async () => {
    await syncedOrder();
    const a = await startReconciliation(temporal.client, env.taskQueue, env.accountId, 'api', env.database.db);
    const b = await startReconciliation(temporal.client, env.taskQueue, env.accountId, 'manual', env.database.db);
    assert.equal(a.alreadyRunning, false);
    assert.equal(b.alreadyRunning, true);
    assert.equal(a.workflowId, reconciliationWorkflowId(env.accountId));
    const during = await reconciliationStatus(env.database.db, temporal.client, env.accountId);
    assert.equal(during.running, true);
    await temporal.client.workflow.getHandle(a.workflowId).result();
    const rows = await env.database.db
      .selectFrom('xero_reconciliation_runs')
      .select(['trigger', 'status'])
      .where('account_id', '=', env.accountId)
      .where('status', '=', 'running')
      .execute();
    assert.deepEqual(rows, []);
  });

  test('paged reads: every page of what changed is read, one call per page', async () => {
    await syncedOrder();
    const all = await env.database.db
      .selectFrom('entity_links')
      .select('xero_id')
      .where('account_id', '=', env.accountId)
      .where('kind', '=', 'invoice')
      .execute();
    const since = Date.now();
    // The window reaches back a few minutes: every invoice of this file is "changed" for this run.
    const run = await reconcileNow(1);
    assert.equal(run.status, 'completed');
    assert.ok(run.counts.documentsRead >= all.length, JSON.stringify(run.counts));
    const invoicePages = getsSince(since).filter((e) => /\/Invoices\?/.test(e.path)).length;
    // One page per invoice, plus the empty page that ends the paging.
    assert.equal(invoicePages, run.counts.documentsRead + 1);
    assert.equal(getsSince(since).length, run.counts.calls);
  });

  test('the per-account schedule: created with the interval from Setup, triggered, then removed', async () => {
    await ensureReconciliationSchedule(
      temporal.client,
      { accountId: env.accountId, taskQueue: env.taskQueue },
      { reconciliationIntervalHours: 24 },
    );
    // Repeating it is harmless (connect, setup save and start-up all call it).
    await ensureReconciliationSchedule(
      temporal.client,
      { accountId: env.accountId, taskQueue: env.taskQueue },
      { reconciliationIntervalHours: 12 },
    );
    const handle = temporal.client.schedule.getHandle(reconciliationScheduleId(env.accountId));
    const d = await handle.describe();
    assert.equal(d.spec.intervals?.[0]?.every, 12 * 3_600_000);
    const status = await reconciliationStatus(env.database.db, temporal.client, env.accountId);
    assert.ok(status.nextRunAt && Date.parse(status.nextRunAt) > Date.now());
    await handle.trigger();
    const row = await eventually(
      () =>
        env.database.db
          .selectFrom('xero_reconciliation_runs')
          .select(['status', 'counts'])
          .where('account_id', '=', env.accountId)
          .where('trigger', '=', 'schedule')
          .where('status', '=', 'completed')
          .executeTakeFirst(),
      30_000,
      'the scheduled run',
    );
    assert.equal(row.status, 'completed');
    await deleteReconciliation(temporal.client, env.accountId);
    await assert.rejects(handle.describe());
  });
});
