import type { Db } from '../db/database';
import { DEFAULT_SETTINGS, settingsSchema, type Settings } from '../domain/settings';

/** An account's settings: stored as JSON, read back through the schema so defaults of newer fields apply. */

export async function loadSettings(db: Db, accountId: string): Promise<Settings> {
  const row = await db.selectFrom('settings').select('settings').where('account_id', '=', accountId).executeTakeFirst();
  if (!row) return DEFAULT_SETTINGS;
  const parsed = settingsSchema.safeParse(row.settings);
  // A stored value that no longer passes (a rule tightened since) still yields its valid parts.
  if (parsed.success) return parsed.data;
  const retry = settingsSchema.safeParse(
    pickValid(
      row.settings,
      parsed.error.issues.map((i) => String(i.path[0])),
    ),
  );
  return retry.success ? retry.data : DEFAULT_SETTINGS;
}

function pickValid(stored: Record<string, unknown>, badKeys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stored).filter(([k]) => !badKeys.includes(k)));
}

export async function saveSettings(db: Db, accountId: string, settings: Settings): Promise<void> {
  const json = JSON.stringify(settingsSchema.parse(settings));
  await db
    .insertInto('settings')
    .values({ account_id: accountId, settings: json })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ settings: json, updated_at: new Date() }))
    .execute();
}
