import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Contact } from 'xero-node';
import type { Db } from '../db/database';
import type { HostContactStatus } from '../db/schema-contact-sync';
import { contactNameKey, contactSettingsKey, hostContactSchema, toXeroContact } from '../domain/contact';
import { XeroApiError } from '../xero/errors';
import { mirrorByIds, mirrorByNames, mirrorByNumbers, upsertMirror } from './mirror';
import { loadSettings } from '../settings/store';
import { logEntry, type RunRef } from './runs';
import {
  createContacts,
  elementErrors,
  findContactByNumber,
  findContactsByName,
  isDuplicateNameError,
  isDuplicateNumberError,
  updateContacts,
  type XeroDeps,
} from './xero-contacts';

/**
 * Pushes one batch (≤ 50) of new and changed host contacts.
 *
 * Planning decides each contact from the engine's mirror of Xero, without a Xero call: linked →
 * update (if setup allows); its ContactNumber already in Xero → our own earlier write, adopt it;
 * same name as an active Xero contact → link, never a second contact; same name as only an
 * archived one, or linked to an archived one → report, never revive. The rest are created.
 *
 * The plan (with the exact bodies) is stored before anything is sent. A retried batch resends the
 * same body with the same Idempotency-Key (Xero replays its first answer for ~6 minutes); after
 * that, the ContactNumber (= host id) makes Xero refuse a second copy and the engine adopts the
 * first one. Either way a crash never leaves two contacts.
 */

interface PlannedWrite {
  hostId: string;
  /** data hash | settings key: what Xero will hold once this is written. */
  key: string;
  contact: Contact;
}

interface Decided {
  linked: number;
  archived: number;
  /** Contacts named like another contact created in this same batch: linked to it once it exists. */
  sameNameAs: Array<{ hostId: string; key: string; siblingHostId: string }>;
}

interface BatchResult {
  created: number;
  updated: number;
  linked: number;
  archived: number;
  failed: number;
}

export interface PushBatchResult {
  pushed: number;
  linked: number;
  failed: number;
  skipped: number;
  /** No contact was waiting beyond this batch. */
  done: boolean;
}

const MAX_BATCH = 50;

export function idempotencyKey(runKey: string, batchNo: number, action: string): string {
  return `xs-contacts-${createHash('sha256').update(`${runKey}|${batchNo}|${action}`).digest('hex').slice(0, 48)}`;
}

export async function pushContactBatch(
  db: Db,
  xero: XeroDeps,
  run: RunRef,
  batchNo: number,
  batchSize = MAX_BATCH,
): Promise<PushBatchResult> {
  const size = Math.min(Math.max(1, batchSize), MAX_BATCH);
  let batch = await loadBatch(db, run, batchNo);
  if (!batch) {
    const planned = await planBatch(db, run, batchNo, size);
    if (!planned) return { pushed: 0, linked: 0, failed: 0, skipped: 0, done: true };
    batch = planned;
  }
  const result: BatchResult = { created: 0, updated: 0, linked: 0, archived: 0, failed: 0, ...(batch.result ?? {}) };
  if (!batch.createsDone) {
    Object.assign(result, await sendCreates(db, xero, run, batch, result));
  }
  if (!batch.updatesDone) {
    Object.assign(result, await sendUpdates(db, xero, run, batch, result));
  }
  return {
    pushed: result.created + result.updated,
    linked: result.linked + batch.decided.linked,
    failed: result.failed,
    skipped: result.archived + batch.decided.archived,
    done: batch.claimed < size,
  };
}

interface Batch {
  batchNo: number;
  claimed: number;
  creates: PlannedWrite[];
  updates: PlannedWrite[];
  createsDone: boolean;
  updatesDone: boolean;
  decided: Decided;
  result: Partial<BatchResult> | null;
}

async function loadBatch(db: Db, run: RunRef, batchNo: number): Promise<Batch | undefined> {
  const row = await db
    .selectFrom('contact_push_batches')
    .selectAll()
    .where('account_id', '=', run.accountId)
    .where('run_key', '=', run.runKey)
    .where('batch_no', '=', batchNo)
    .executeTakeFirst();
  if (!row) return undefined;
  const decided = row.decided as unknown as Decided & { claimed: number };
  return {
    batchNo,
    claimed: decided.claimed,
    creates: row.creates as PlannedWrite[],
    updates: row.updates as PlannedWrite[],
    createsDone: row.creates_done,
    updatesDone: row.updates_done,
    decided,
    result: row.result as Partial<BatchResult> | null,
  };
}

/** Picks the next contacts waiting, decides each from the mirror, and stores the plan, in one transaction. */
async function planBatch(db: Db, run: RunRef, batchNo: number, size: number): Promise<Batch | undefined> {
  const settings = await loadSettings(db, run.accountId);
  const settingsKey = contactSettingsKey(settings);
  return db.transaction().execute(async (trx) => {
    const currentKey = sql<string>`h.data_hash || '|' || ${settingsKey}`;
    let q = trx
      .selectFrom('host_contacts as h')
      .leftJoin('entity_links as l', (j) =>
        j.onRef('l.account_id', '=', 'h.account_id').on('l.kind', '=', 'contact').onRef('l.host_id', '=', 'h.host_id'),
      )
      .select(['h.host_id', 'h.data', 'h.data_hash', 'l.xero_id as linked_xero_id'])
      .where('h.account_id', '=', run.accountId)
      .where((eb) => eb.or([eb('h.last_run_key', 'is', null), eb('h.last_run_key', '!=', run.runKey)]))
      .where((eb) => eb.or([eb('h.pushed_key', 'is', null), eb('h.pushed_key', '!=', currentKey)]))
      .where((eb) => eb.or([eb('h.held_key', 'is', null), eb('h.held_key', '!=', currentKey)]));
    // "Update Xero contacts" off: only contacts Xero does not have yet.
    if (!settings.updateXeroContacts) q = q.where('l.xero_id', 'is', null);
    const rows = await q.orderBy('h.host_id').limit(size).execute();
    if (rows.length === 0) return undefined;

    const hostIds = rows.map((r) => r.host_id);
    const payloads = new Map(rows.map((r) => [r.host_id, toXeroContact(hostContactSchema.parse(r.data), settings)]));
    const linkedMirror = await mirrorByIds(
      trx,
      run.accountId,
      rows.map((r) => r.linked_xero_id).filter((id): id is string => !!id),
    );
    const byNumber = await mirrorByNumbers(trx, run.accountId, hostIds);
    const byName = await mirrorByNames(trx, run.accountId, [
      ...new Set([...payloads.values()].map((p) => contactNameKey(p.name ?? ''))),
    ]);

    const creates: PlannedWrite[] = [];
    const updates: PlannedWrite[] = [];
    const decided: Decided & { claimed: number } = { linked: 0, archived: 0, sameNameAs: [], claimed: rows.length };
    const creatingByName = new Map<string, string>();

    for (const r of rows) {
      const key = `${r.data_hash}|${settingsKey}`;
      const contact = payloads.get(r.host_id)!;
      const nameKey = contactNameKey(contact.name ?? '');
      // Linked already, or Xero holds our own earlier write (ContactNumber = host id): update it.
      const existing = r.linked_xero_id
        ? (linkedMirror.get(r.linked_xero_id) ?? { contactId: r.linked_xero_id, status: 'ACTIVE', name: '' })
        : byNumber.get(r.host_id.toLowerCase());
      if (existing) {
        if (!r.linked_xero_id)
          await link(trx, run.accountId, r.host_id, existing.contactId, existing.name, 'contact_number');
        if (existing.status === 'ARCHIVED') {
          decided.archived++;
          await hold(
            trx,
            run,
            r.host_id,
            key,
            existing.contactId,
            `The Xero contact ${existing.name ? `“${existing.name}” ` : ''}is archived: not updated. Restore it in Xero to resume syncing it.`,
          );
        } else if (!settings.updateXeroContacts) {
          // Found by number while updates are off: Xero already has it; nothing to write.
          await settle(
            trx,
            run,
            r.host_id,
            key,
            existing.contactId,
            'linked',
            'Already in Xero (found by contact number); "Update Xero contacts" is off.',
          );
          decided.linked++;
        } else {
          updates.push({ hostId: r.host_id, key, contact: { ...contact, contactID: existing.contactId } });
        }
        continue;
      }
      const named = byName.get(nameKey);
      if (named?.status === 'ACTIVE') {
        await link(trx, run.accountId, r.host_id, named.contactId, named.name, 'name');
        await settle(
          trx,
          run,
          r.host_id,
          key,
          named.contactId,
          'linked',
          `Linked to the existing Xero contact “${named.name}” (same name); not created again.`,
        );
        await trx
          .insertInto('sync_log')
          .values(
            logEntry(run, {
              kind: 'contact',
              action: 'link',
              hostRef: r.host_id,
              outcome: 'success',
              xeroId: named.contactId,
              message: `Linked to the existing Xero contact “${named.name}” (same name)`,
            }),
          )
          .execute();
        decided.linked++;
        continue;
      }
      if (named) {
        decided.archived++;
        await hold(
          trx,
          run,
          r.host_id,
          key,
          named.contactId,
          `A Xero contact named “${named.name}” exists but is archived: not created again and not restored. Restore it in Xero, or rename the contact.`,
        );
        continue;
      }
      const sibling = creatingByName.get(nameKey);
      if (sibling) {
        decided.sameNameAs.push({ hostId: r.host_id, key, siblingHostId: sibling });
        continue;
      }
      creatingByName.set(nameKey, r.host_id);
      creates.push({ hostId: r.host_id, key, contact });
    }

    await trx
      .updateTable('host_contacts')
      .set({ last_run_key: run.runKey, last_attempt_at: sql<Date>`now()` })
      .where('account_id', '=', run.accountId)
      .where('host_id', 'in', hostIds)
      .execute();
    await trx
      .insertInto('contact_push_batches')
      .values({
        account_id: run.accountId,
        run_key: run.runKey,
        batch_no: batchNo,
        creates: JSON.stringify(creates),
        updates: JSON.stringify(updates),
        creates_done: creates.length === 0 && decided.sameNameAs.length === 0,
        updates_done: updates.length === 0,
        decided: JSON.stringify(decided),
      })
      .execute();
    return {
      batchNo,
      claimed: rows.length,
      creates,
      updates,
      createsDone: creates.length === 0 && decided.sameNameAs.length === 0,
      updatesDone: updates.length === 0,
      decided,
      result: null,
    };
  });
}

type Outcome =
  | { kind: 'created' | 'updated'; contact: Contact }
  | { kind: 'adopted'; contact: Contact }
  | { kind: 'linked'; contact: Contact }
  | { kind: 'archived'; contact: Contact; message: string }
  | { kind: 'failed'; errors: string[] };

async function sendCreates(
  db: Db,
  xero: XeroDeps,
  run: RunRef,
  batch: Batch,
  sofar: BatchResult,
): Promise<BatchResult> {
  const outcomes = new Map<string, Outcome>();
  if (batch.creates.length > 0) {
    await db
      .updateTable('contact_push_batches')
      .set((eb) => ({
        create_attempts: eb('create_attempts', '+', 1),
        create_sent_at: sql<Date>`coalesce(create_sent_at, now())`,
      }))
      .where('account_id', '=', run.accountId)
      .where('run_key', '=', run.runKey)
      .where('batch_no', '=', batch.batchNo)
      .execute();
    const key = idempotencyKey(run.runKey, batch.batchNo, 'create');
    const answers = await wholeBatch(batch.creates, () =>
      createContacts(
        xero,
        run.accountId,
        batch.creates.map((c) => c.contact),
        key,
      ),
    );
    for (const [i, planned] of batch.creates.entries()) {
      outcomes.set(planned.hostId, await createOutcome(xero, run.accountId, planned, answers[i]));
    }
  }
  const result = { ...sofar };
  await db.transaction().execute(async (trx) => {
    for (const planned of batch.creates) {
      await record(trx, run, planned, outcomes.get(planned.hostId)!, 'create', result);
    }
    // Same-name siblings: the contact now exists under that name, so they are linked to it.
    for (const s of batch.decided.sameNameAs) {
      const sibling = outcomes.get(s.siblingHostId);
      if (sibling && 'contact' in sibling && sibling.contact.contactID) {
        const c = sibling.contact;
        await link(trx, run.accountId, s.hostId, c.contactID!, c.name ?? '', 'name');
        await settle(
          trx,
          run,
          s.hostId,
          s.key,
          c.contactID!,
          'linked',
          `Linked to the Xero contact “${c.name}” (same name as host contact ${s.siblingHostId}); not created twice.`,
        );
        await trx
          .insertInto('sync_log')
          .values(
            logEntry(run, {
              kind: 'contact',
              action: 'link',
              hostRef: s.hostId,
              outcome: 'success',
              xeroId: c.contactID!,
              message: `Linked to the Xero contact “${c.name}” (same name)`,
            }),
          )
          .execute();
        result.linked++;
      } else {
        // Its sibling failed: let the next run decide it afresh.
        await trx
          .updateTable('host_contacts')
          .set({ last_run_key: null })
          .where('account_id', '=', run.accountId)
          .where('host_id', '=', s.hostId)
          .execute();
      }
    }
    await markDone(trx, run, batch.batchNo, { creates_done: true }, result);
  });
  return result;
}

async function sendUpdates(
  db: Db,
  xero: XeroDeps,
  run: RunRef,
  batch: Batch,
  sofar: BatchResult,
): Promise<BatchResult> {
  const outcomes = new Map<string, Outcome>();
  const key = idempotencyKey(run.runKey, batch.batchNo, 'update');
  const answers = await wholeBatch(batch.updates, () =>
    updateContacts(
      xero,
      run.accountId,
      batch.updates.map((c) => c.contact),
      key,
    ),
  );
  for (const [i, planned] of batch.updates.entries()) {
    const answer = answers[i];
    const errors = Array.isArray(answer)
      ? answer
      : answer
        ? elementErrors(answer)
        : ['Xero returned no result for this contact'];
    if (errors.length > 0 || Array.isArray(answer) || !answer) outcomes.set(planned.hostId, { kind: 'failed', errors });
    else if (String(answer.contactStatus) === 'ARCHIVED')
      outcomes.set(planned.hostId, {
        kind: 'archived',
        contact: answer,
        message: `Updated, but the Xero contact “${answer.name}” is archived (not restored).`,
      });
    else outcomes.set(planned.hostId, { kind: 'updated', contact: answer });
  }
  const result = { ...sofar };
  await db.transaction().execute(async (trx) => {
    for (const planned of batch.updates)
      await record(trx, run, planned, outcomes.get(planned.hostId)!, 'update', result);
    await markDone(trx, run, batch.batchNo, { updates_done: true }, result);
  });
  return result;
}

/**
 * A 400 for the whole request (despite summarizeErrors=false: a malformed body) fails every
 * element with Xero's message; anything else (429, 5xx, network) is thrown and retried.
 */
async function wholeBatch(
  items: PlannedWrite[],
  send: () => Promise<Contact[]>,
): Promise<Array<Contact | string[] | undefined>> {
  try {
    return await send();
  } catch (thrown) {
    if (!(thrown instanceof XeroApiError)) throw thrown; // e.g. the rate limiter's wait: Temporal retries after it
    if (thrown.kind === 'validation' || thrown.kind === 'bad_request') {
      const messages = thrown.validationMessages.length > 0 ? thrown.validationMessages : [thrown.message];
      return items.map(() => messages);
    }
    throw thrown;
  }
}

async function createOutcome(
  xero: XeroDeps,
  accountId: string,
  planned: PlannedWrite,
  answer: Contact | string[] | undefined,
): Promise<Outcome> {
  if (Array.isArray(answer)) return { kind: 'failed', errors: answer };
  if (!answer) return { kind: 'failed', errors: ['Xero returned no result for this contact'] };
  const errors = elementErrors(answer);
  if (errors.length === 0) return { kind: 'created', contact: answer };
  if (errors.some(isDuplicateNumberError)) {
    // Our own earlier write (a retry after Xero forgot the Idempotency-Key): adopt it.
    const mine = await findContactByNumber(xero, accountId, planned.hostId);
    if (mine?.contactID) {
      return String(mine.contactStatus) === 'ARCHIVED'
        ? {
            kind: 'archived',
            contact: mine,
            message: `The Xero contact “${mine.name}” with this contact number is archived: not restored.`,
          }
        : { kind: 'adopted', contact: mine };
    }
  }
  if (errors.some(isDuplicateNameError)) {
    // Created in Xero since our last pull: link to it rather than fail or duplicate.
    const same = await findContactsByName(xero, accountId, planned.contact.name ?? '');
    const active = same.find((c) => String(c.contactStatus) === 'ACTIVE' && c.contactID);
    if (active) return { kind: 'linked', contact: active };
  }
  return { kind: 'failed', errors };
}

async function record(
  trx: Db,
  run: RunRef,
  planned: PlannedWrite,
  outcome: Outcome,
  action: 'create' | 'update',
  result: BatchResult,
): Promise<void> {
  const hostRef = planned.hostId;
  if (outcome.kind === 'failed') {
    result.failed++;
    await trx
      .updateTable('host_contacts')
      .set({ status: 'failed', status_message: outcome.errors.join('; '), errors: JSON.stringify(outcome.errors) })
      .where('account_id', '=', run.accountId)
      .where('host_id', '=', hostRef)
      .execute();
    await trx
      .insertInto('sync_log')
      .values(
        logEntry(run, {
          kind: 'contact',
          action,
          hostRef,
          outcome: 'failure',
          message: outcome.errors.join('; '),
          error: { kind: 'validation', messages: outcome.errors },
        }),
      )
      .execute();
    return;
  }
  const c = outcome.contact;
  await upsertMirror(trx, run.accountId, [c]);
  const linkedBy = outcome.kind === 'linked' ? 'name' : outcome.kind === 'adopted' ? 'contact_number' : 'created';
  await link(trx, run.accountId, hostRef, c.contactID!, c.name ?? '', linkedBy);
  if (outcome.kind === 'archived') {
    result.archived++;
    await hold(trx, run, hostRef, planned.key, c.contactID!, outcome.message);
    return;
  }
  const status: HostContactStatus = outcome.kind === 'linked' ? 'linked' : action === 'create' ? 'created' : 'updated';
  const message =
    outcome.kind === 'linked'
      ? `Linked to the existing Xero contact “${c.name}” (same name); not created again.`
      : outcome.kind === 'adopted'
        ? `Found in Xero by contact number (an earlier attempt had created it).`
        : null;
  if (outcome.kind === 'linked') result.linked++;
  else if (action === 'create') result.created++;
  else result.updated++;
  await settle(trx, run, hostRef, planned.key, c.contactID!, status, message);
  await trx
    .insertInto('sync_log')
    .values(
      logEntry(run, {
        kind: 'contact',
        action: outcome.kind === 'linked' ? 'link' : action,
        hostRef,
        outcome: 'success',
        xeroId: c.contactID!,
        message: message ?? `${action === 'create' ? 'Created' : 'Updated'} Xero contact “${c.name}”`,
      }),
    )
    .execute();
}

async function markDone(
  trx: Db,
  run: RunRef,
  batchNo: number,
  done: { creates_done?: boolean; updates_done?: boolean },
  result: BatchResult,
): Promise<void> {
  await trx
    .updateTable('contact_push_batches')
    .set({ ...done, result: JSON.stringify(result) })
    .where('account_id', '=', run.accountId)
    .where('run_key', '=', run.runKey)
    .where('batch_no', '=', batchNo)
    .execute();
}

/** host id ↔ Xero ContactID in entity_links (kind "contact"): order sync finds the same contact there. */
async function link(
  trx: Db,
  accountId: string,
  hostId: string,
  xeroId: string,
  name: string,
  linkedBy: string,
): Promise<void> {
  await trx
    .insertInto('entity_links')
    .values({
      account_id: accountId,
      kind: 'contact',
      host_id: hostId,
      xero_id: xeroId,
      xero_number: hostId,
      data: JSON.stringify({ name, linkedBy }),
    })
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'kind', 'host_id'])
        .doUpdateSet({ xero_id: xeroId, data: JSON.stringify({ name, linkedBy }), updated_at: sql<Date>`now()` }),
    )
    .execute();
}

async function settle(
  trx: Db,
  run: RunRef,
  hostId: string,
  key: string,
  xeroId: string,
  status: HostContactStatus,
  message: string | null,
): Promise<void> {
  await trx
    .updateTable('host_contacts')
    .set({ pushed_key: key, held_key: null, status, status_message: message, errors: null, xero_contact_id: xeroId })
    .where('account_id', '=', run.accountId)
    .where('host_id', '=', hostId)
    .execute();
}

/** Not written because Xero's contact is archived: reported once per version, not retried every run. */
async function hold(trx: Db, run: RunRef, hostId: string, key: string, xeroId: string, message: string): Promise<void> {
  await trx
    .updateTable('host_contacts')
    .set({ held_key: key, status: 'archived', status_message: message, errors: null, xero_contact_id: xeroId })
    .where('account_id', '=', run.accountId)
    .where('host_id', '=', hostId)
    .execute();
  await trx
    .insertInto('sync_log')
    .values(logEntry(run, { kind: 'contact', action: 'skip', hostRef: hostId, outcome: 'skipped', xeroId, message }))
    .execute();
}
