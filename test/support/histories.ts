import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Workflow histories recorded by tests, kept as fixtures that test/order-replay.test.ts replays
 * against the current workflow code: a change that would break running workflows fails the suite.
 * A fixture is written when missing, or for all when RECORD_HISTORIES=1 (after a deliberate,
 * patched() change); otherwise the committed one stays, which is what makes the check worth anything.
 */
export const HISTORY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

export async function saveHistoryFixture(
  client: Client,
  name: string,
  workflowId: string,
  runId?: string,
): Promise<void> {
  const file = path.join(HISTORY_FIXTURES, `${name}.json`);
  if (existsSync(file) && process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  mkdirSync(HISTORY_FIXTURES, { recursive: true });
  writeFileSync(file, `${JSON.stringify(historyToPlain(history), null, 1)}\n`);
}

/*
 * Plain protobuf JSON (toObject/fromObject), not @temporalio/common's historyToJSON: in this install
 * that helper and @temporalio/proto load two copies of protobufjs and it throws "type must be a Type".
 */
const History = temporal.api.history.v1.History;
const JSON_OPTIONS = { longs: String, enums: String, bytes: String, defaults: false } as const;

export function historyToPlain(history: temporal.api.history.v1.IHistory): unknown {
  return History.toObject(History.fromObject(history as Record<string, unknown>), JSON_OPTIONS);
}

export function historyFromPlain(plain: unknown): temporal.api.history.v1.History {
  return History.fromObject(plain as Record<string, unknown>);
}
