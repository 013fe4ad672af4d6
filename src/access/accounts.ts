import { z } from 'zod';
import type { Db } from '../db/database';
import type { Account } from '../db/schema';
import { identifier } from '../domain/text';

/** A host's customer, named by the host's own id; unique per host app. */

export const externalAccountId = identifier(200, { empty: 'required' }).regex(/^[^\s/]+$/, 'no spaces or slashes');

export const accountInput = z.object({
  name: identifier(200, { empty: 'required' }),
  /** Free-form options for this account; `costCentres` and `jobStatuses` (string lists) prefill the Setup page. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type AccountInput = z.input<typeof accountInput>;

export async function upsertAccount(
  db: Db,
  hostAppId: string,
  externalId: string,
  input: z.infer<typeof accountInput>,
): Promise<{ account: Account; created: boolean }> {
  const existing = await findAccount(db, hostAppId, externalId);
  const account = await db
    .insertInto('accounts')
    .values({
      host_app_id: hostAppId,
      external_id: externalId,
      name: input.name,
      options: JSON.stringify(input.options),
    })
    .onConflict((oc) =>
      oc
        .columns(['host_app_id', 'external_id'])
        .doUpdateSet({ name: input.name, options: JSON.stringify(input.options), updated_at: new Date() }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return { account, created: !existing };
}

export function findAccount(db: Db, hostAppId: string, externalId: string): Promise<Account | undefined> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('host_app_id', '=', hostAppId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export function getAccount(db: Db, accountId: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
}

/** A list of strings the host put in the account's options, e.g. its cost centre names. */
export function optionList(account: Account, key: 'costCentres' | 'jobStatuses'): string[] {
  const parsed = z.array(z.string().trim().min(1)).safeParse(account.options[key]);
  return parsed.success ? parsed.data : [];
}
