import type { HostDocument } from '../../src/domain/documents';
import { addDays } from '../../src/domain/invoice-mapping';
import type { Settings } from '../../src/domain/settings';
import { XeroApiError } from '../../src/xero/errors';
import type { AccountGateway } from '../../src/xero/gateway';
import { xeroDate } from './payment';

/**
 * Xero refuses a document dated on or before the organisation's lock date. By default that refusal
 * is the failure (explained in plain words, held for a retry). When Setup says "date it on the first
 * open day", the refusal is the signal instead: the lock dates are read (only then: no call when all
 * is well) and the write is made once more, dated the day after the later lock date.
 */

const LOCKED = /lock ?date|locked period|period lock|end of year lock/i;

export function isLockDateRefusal(err: unknown): err is XeroApiError {
  return (
    err instanceof XeroApiError &&
    err.kind === 'validation' &&
    [err.message, ...err.validationMessages].some((m) => LOCKED.test(m))
  );
}

export interface Redated {
  /** The date the host gave, when the document was moved to the first open day. */
  movedFrom?: string;
  date: string;
}

/** Writes the document; on a lock-date refusal (and Setup's choice) writes it again on the first open day. */
export async function inOpenPeriod<T>(
  settings: Settings,
  gw: AccountGateway,
  doc: HostDocument,
  write: (doc: HostDocument, redated: boolean) => Promise<T>,
): Promise<{ result: T; dated: Redated }> {
  try {
    return { result: await write(doc, false), dated: { date: doc.date } };
  } catch (err) {
    if (settings.lockedPeriod !== 'first_open_day' || !isLockDateRefusal(err)) throw err;
    const org = await gw.organisation();
    const locks = [xeroDate(org?.periodLockDate), xeroDate(org?.endOfYearLockDate)].filter((d): d is string => !!d);
    const lock = locks.sort().at(-1);
    if (!lock || doc.date > lock) throw err;
    const date = addDays(lock, 1);
    const moved: HostDocument = {
      ...doc,
      date,
      // A due date before the new date would put the document overdue on the day it is made.
      ...(doc.dueDate && doc.dueDate < date ? { dueDate: date } : {}),
    };
    return { result: await write(moved, true), dated: { date, movedFrom: doc.date } };
  }
}

/** What the sync log says when a document was dated on the first open day. */
export const movedNote = (d: Redated): string =>
  d.movedFrom ? `; dated ${d.date}: ${d.movedFrom} is in a period Xero has locked (Setup: first open day)` : '';
