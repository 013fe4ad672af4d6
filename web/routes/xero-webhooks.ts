import express, { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/database';
import type { Logger } from '../../src/log';
import { xeroChangesWorkflowId } from '../../src/xero-changes/contract';
import { accountsForTenant } from '../../src/xero-changes/engine-documents';
import { XERO_CHANGES_WORKFLOW_TYPE, xeroEventsSignal, type XeroChangesInput } from '../../src/xero-changes/shared';
import { eventsByTenant, signatureMatches, xeroWebhookBodySchema } from '../../src/xero-changes/webhook-signature';

export interface XeroWebhooksDeps {
  db: Db;
  temporal: Client;
  log: Logger;
  taskQueue: string;
  /** XERO_WEBHOOK_KEY (or npm start's simulator key); without one every delivery is refused. */
  webhookKey?: string;
  /** Workflow settings for a tenant's first event (tests: shorter debounce). */
  workflowInput?: Partial<Omit<XeroChangesInput, 'tenantId'>>;
}

/** Xero waits 5 s for an answer; Temporal gets most of it, and a slower answer is a 503 Xero retries. */
const TEMPORAL_DEADLINE_MS = 4_000;

/** A call's deadline does not cover connecting: an unreachable server must not hold Xero past its 5 s. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `POST /webhooks/xero`: the signature is checked against the raw bytes (so this router parses its
 * own body, before any JSON parser could), then each organisation's events are signalled to its
 * durable workflow and Xero gets an empty 200 at once; reads happen there, not here.
 */
export function xeroWebhooksRouter(deps: XeroWebhooksDeps): Router {
  const router = Router();
  let warnedNoKey = false;
  router.post('/webhooks/xero', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const key = deps.webhookKey;
    if (!key) {
      if (!warnedNoKey) deps.log.warn('Xero webhook refused: XERO_WEBHOOK_KEY is not set');
      warnedNoKey = true;
      res.status(401).end();
      return;
    }
    if (!signatureMatches(raw, req.get('x-xero-signature'), key)) {
      res.status(401).end();
      return;
    }
    let parsed;
    try {
      parsed = xeroWebhookBodySchema.safeParse(JSON.parse(raw.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      deps.log.warn('Xero webhook: signed body is not the expected shape; nothing processed');
      res.status(400).end();
      return;
    }
    const { byTenant, ignored } = eventsByTenant(parsed.data);
    const deadline = Date.now() + TEMPORAL_DEADLINE_MS;
    try {
      for (const [tenantId, events] of byTenant) {
        const accounts = await accountsForTenant(deps.db, tenantId);
        if (accounts.length === 0) {
          deps.log.info(
            { tenantId, events: events.length },
            'Xero webhook for an organisation no account is connected to: ignored',
          );
          continue;
        }
        const input: XeroChangesInput = { tenantId, ...deps.workflowInput };
        await within(
          deadline - Date.now(),
          deps.temporal.withDeadline(deadline, () =>
            deps.temporal.workflow.signalWithStart(XERO_CHANGES_WORKFLOW_TYPE, {
              workflowId: xeroChangesWorkflowId(deps.taskQueue, tenantId),
              taskQueue: deps.taskQueue,
              args: [input],
              signal: xeroEventsSignal,
              signalArgs: [{ events }],
            }),
          ),
        );
      }
    } catch (err) {
      // Xero retries a failed delivery (for 24 hours): nothing is lost by refusing this one.
      deps.log.error({ err }, 'Xero webhook not handed to Temporal; answered 503 so Xero retries');
      res.status(503).end();
      return;
    }
    if (ignored > 0) deps.log.debug({ ignored }, 'Xero webhook events of other categories ignored');
    res.status(200).end();
  });
  return router;
}
