/**
 * Today's date in an organisation's time zone. Xero names time zones the Windows way
 * (`NEWZEALANDSTANDARDTIME`); the ones Xero's regions use are mapped here, anything else falls back
 * to UTC (a day off at most, and only near midnight).
 */
const WINDOWS_TO_IANA: Record<string, string> = {
  NEWZEALANDSTANDARDTIME: 'Pacific/Auckland',
  AUSEASTERNSTANDARDTIME: 'Australia/Sydney',
  EAUSTRALIASTANDARDTIME: 'Australia/Brisbane',
  CENAUSTRALIASTANDARDTIME: 'Australia/Adelaide',
  AUSCENTRALSTANDARDTIME: 'Australia/Darwin',
  WAUSTRALIASTANDARDTIME: 'Australia/Perth',
  TASMANIASTANDARDTIME: 'Australia/Hobart',
  GMTSTANDARDTIME: 'Europe/London',
  GREENWICHSTANDARDTIME: 'Atlantic/Reykjavik',
  WEUROPESTANDARDTIME: 'Europe/Berlin',
  ROMANCESTANDARDTIME: 'Europe/Paris',
  EASTERNSTANDARDTIME: 'America/New_York',
  CENTRALSTANDARDTIME: 'America/Chicago',
  MOUNTAINSTANDARDTIME: 'America/Denver',
  PACIFICSTANDARDTIME: 'America/Los_Angeles',
  SOUTHAFRICASTANDARDTIME: 'Africa/Johannesburg',
  SINGAPORESTANDARDTIME: 'Asia/Singapore',
  UTC: 'UTC',
};

export function ianaZoneOf(xeroTimezone: string | undefined): string {
  return WINDOWS_TO_IANA[(xeroTimezone ?? '').toUpperCase()] ?? 'UTC';
}

/** YYYY-MM-DD of `now` in the zone. */
export function todayIn(zone: string, now: Date = new Date()): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    now,
  );
}
