import { temporalFailedSyncsUrl } from '../sync-log/failures';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Db } from '../db/database';
import { createApiKey, createHostApp } from '../access/api-keys';
import { upsertAccount } from '../access/accounts';
import { createAdminLink } from '../access/admin-links';
import type { OrderConvertedInput } from '../domain/order';

export const DEMO_HOST_APP = 'Demo host app';
export const DEMO_ACCOUNT = 'demo';

export interface Demo {
  apiKey: string;
  adminLink: string;
  sampleOrderFile: string;
  sampleOrderCurl: string;
}

/** A sample order as a host would send it (the number changes each start so it is always new). */
export function sampleOrderEvent(number: string): OrderConvertedInput {
  return {
    order: {
      number,
      date: new Date().toISOString().slice(0, 10),
      currency: 'NZD',
      customer: {
        type: 'organisation',
        id: 'cust-demo-1',
        name: 'Harbour View Cafe',
        email: 'accounts@harbourview.example',
      },
      lines: [
        { description: 'Call-out fee', quantity: 1, unitPrice: 95 },
        { description: 'Copper pipe 15mm (m)', quantity: 4, unitPrice: 12.5, discountRate: 10 },
      ],
      jobDescription: 'Replace hot water cylinder',
      customerReference: 'PO-4471',
      jobLocation: '12 Harbour St',
    },
  };
}

/**
 * What `npm start` needs to get a newcomer from nothing to a synced invoice: a demo host app with
 * a fresh API key (older demo keys are revoked, the key is shown once), a demo account, a
 * single-use admin link to connect it, and a ready-to-send sample order.
 */
export async function prepareDemo(
  db: Db,
  p: { sessionSecret: string; publicUrl: string; dataDir: string },
): Promise<Demo> {
  const existing = await db.selectFrom('host_apps').select('id').where('name', '=', DEMO_HOST_APP).executeTakeFirst();
  const hostAppId = existing?.id ?? (await createHostApp(db, { name: DEMO_HOST_APP })).id;
  await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`now()` })
    .where('host_app_id', '=', hostAppId)
    .where('revoked_at', 'is', null)
    .execute();
  const { key } = await createApiKey(db, hostAppId);
  const { account } = await upsertAccount(db, hostAppId, DEMO_ACCOUNT, {
    name: 'Demo Plumbing Ltd',
    options: { jobStatuses: ['Invoiced', 'Completed'] },
  });
  const { url } = await createAdminLink(db, { secret: p.sessionSecret, publicUrl: p.publicUrl, accountId: account.id });

  mkdirSync(p.dataDir, { recursive: true });
  const sampleOrderFile = path.join(p.dataDir, 'sample-order.json');
  writeFileSync(
    sampleOrderFile,
    `${JSON.stringify(sampleOrderEvent(`SO-${Date.now().toString(36).toUpperCase()}`), null, 2)}\n`,
  );
  const sampleOrderCurl = `curl -s -X POST ${p.publicUrl}/api/v1/accounts/${DEMO_ACCOUNT}/orders -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" --data @${sampleOrderFile}`;
  return { apiKey: key, adminLink: url, sampleOrderFile, sampleOrderCurl };
}

/** The sign-in pages' hint under `npm start`: the business app's way, and the demo's. */
export const DEMO_SIGN_IN_HINT =
  'Open the Xero settings again from your business app: it gives you a new sign-in link. ' +
  'Running the demo (npm start)? Run npm run admin-link in another terminal for a new link.';

/**
 * What `npm start` prints once everything is up: the admin link last (after every other start-up
 * line, so it does not scroll away), and the command that prints a new one while it runs.
 */
export function startupBanner(p: {
  demo: Demo;
  url: string;
  temporalUiUrl: string | undefined;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  database: string;
  xero: string;
}): string {
  return [
    '',
    'xero-sync is running',
    `  Health:           ${p.url}/healthz`,
    `  Temporal UI URL:  ${p.temporalUiUrl ?? '(not known: set TEMPORAL_UI_URL)'}`,
    ...(p.temporalUiUrl
      ? [
          // Failed syncs keep running (they wait for a retry): the list filtered by the engine's own status finds them.
          `  Failed syncs:     ${temporalFailedSyncsUrl({ url: p.temporalUiUrl, namespace: p.namespace })}`,
        ]
      : []),
    `  Temporal gRPC:    ${p.temporalAddress} (namespace ${p.namespace}, task queue ${p.taskQueue})`,
    `  Database:         ${p.database}`,
    `  Xero:             ${p.xero}`,
    `  Demo API key:     ${p.demo.apiKey}  (host app "${DEMO_HOST_APP}", account "${DEMO_ACCOUNT}"; shown once)`,
    '  Send a sample order once connected:',
    `    ${p.demo.sampleOrderCurl}`,
    '',
    `  Admin URL:        ${p.demo.adminLink}`,
    "                    the demo account's admin page: single use, valid 15 minutes; connect Xero and save Setup there.",
    '                    A new link while this runs: npm run admin-link (in another terminal)',
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
