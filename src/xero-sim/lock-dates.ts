import type { OrgRec } from './store';
import { humanDay } from './xero-dates';

/**
 * Nothing dated on or before the organisation's lock dates can be created or changed. The later of
 * the two lock dates applies (the period lock date binds everyone but advisers; the simulated app
 * is never an adviser).
 */
export function lockDateError(org: OrgRec, date: number): string | undefined {
  const lock = Math.max(org.PeriodLockDate ?? -Infinity, org.EndOfYearLockDate ?? -Infinity);
  if (!Number.isFinite(lock) || date > lock) return undefined;
  return `The document date cannot be on or before the lock date of ${humanDay(lock)}.`;
}
