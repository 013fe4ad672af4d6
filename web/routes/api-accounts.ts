import { Router, type RequestHandler } from 'express';
import { accountInput, upsertAccount } from '../../src/access/accounts';
import { createAdminLink } from '../../src/access/admin-links';
import { runAccessHook, type AdminAccess } from '../../src/access/wiring';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import { checkSettingsAgainstXero } from '../../src/domain/settings-checks';
import { missingForInvoices, settingsSchema, type Settings } from '../../src/domain/settings';
import type { Logger } from '../../src/log';
import { loadSettings, saveSettings } from '../../src/settings/store';
import { NotConnectedError } from '../../src/xero/access';
import { connectionState, disconnect } from '../../src/xero/connections';
import { XeroApiError } from '../../src/xero/errors';
import { xeroBudgetResponse } from '../../src/xero/budget';
import { accountXeroBudget, budgetResponse } from '../../src/xero/budget-queries';
import { XERO_LIMITS } from '../../src/xero/rate-limiter';
import { hostAccountIdSchema, loadHostAccount } from '../api/auth';
import { friendlyFieldErrors, sendApiError } from '../api/errors';

/** An account's name is shown in Xero's and our pages: one line, no control characters. */
const accountBody = accountInput;

/**
 * The host-facing account API (mounted under /api/v1 behind `requireApiKey`): accounts, admin links,
 * settings, the connection's status and end, and the organisation's Xero budget.
 */
export function apiAccountsRouter(deps: { db: Db; log: Logger; access: AdminAccess }): Router {
  const { db } = deps;
  // Bodies arrive parsed (web/api/json-body.ts, 100 kB here).
  const router = Router();

  const accountView = async (account: Account) => {
    const connection = await connectionState(db, account.id);
    return {
      accountId: account.external_id,
      // The engine's own id: the AccountId search attribute in Temporal, and in workflow ids.
      engineId: account.id,
      name: account.name,
      options: account.options,
      connection:
        connection.status === 'not_connected'
          ? { status: connection.status }
          : {
              status: connection.status,
              organisation: connection.tenantName,
              tenantId: connection.tenantId,
              connectedAt: connection.connectedAt,
              reason: connection.reason,
            },
    };
  };

  router.put('/accounts/:accountId', async (req, res) => {
    const id = hostAccountIdSchema.safeParse(req.params.accountId);
    if (!id.success)
      return sendApiError(res, 400, 'invalid_account_id', 'The account id in the URL is not valid.', {
        accountId: id.error.issues[0]?.message ?? 'invalid',
      });
    const body = accountBody.safeParse(req.body);
    if (!body.success)
      return sendApiError(res, 400, 'invalid_request', 'The account is not valid.', friendlyFieldErrors(body.error));
    const { account, created } = await upsertAccount(db, res.locals.hostAppId as string, id.data, body.data);
    res.status(created ? 201 : 200).json(await accountView(account));
  });

  router.use('/accounts/:accountId', loadHostAccount(db));

  router.get('/accounts/:accountId', async (_req, res) => {
    res.json(await accountView(res.locals.account as Account));
  });

  router.post('/accounts/:accountId/admin-link', async (_req, res) => {
    const account = res.locals.account as Account;
    const link = await createAdminLink(db, {
      secret: deps.access.sessionSecret,
      publicUrl: deps.access.publicUrl,
      accountId: account.id,
    });
    res.status(201).json({ url: link.url, expiresAt: link.expiresAt.toISOString(), singleUse: true });
  });

  const settingsView = (settings: Settings) => ({ settings, missingForInvoices: missingForInvoices(settings) });

  router.get('/accounts/:accountId/settings', async (_req, res) => {
    res.json(settingsView(await loadSettings(db, (res.locals.account as Account).id)));
  });

  /** Validates, checks against the live organisation when connected, saves. PUT replaces, PATCH merges. */
  const writeSettings =
    (merge: boolean): RequestHandler =>
    async (req, res) => {
      const account = res.locals.account as Account;
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
        return sendApiError(res, 400, 'invalid_request', 'Send the settings as a JSON object.');
      }
      const input = merge ? { ...(await loadSettings(db, account.id)), ...req.body } : req.body;
      const parsed = settingsSchema.strict().safeParse(input);
      if (!parsed.success)
        return sendApiError(
          res,
          400,
          'invalid_settings',
          'Some settings are not valid.',
          friendlyFieldErrors(parsed.error),
        );
      const warnings: string[] = [];
      try {
        const fields = checkSettingsAgainstXero(parsed.data, await deps.access.referenceData.read(account.id));
        if (Object.keys(fields).length > 0)
          return sendApiError(
            res,
            422,
            'settings_not_in_xero',
            'Some settings do not match the connected Xero organisation.',
            fields,
          );
      } catch (err) {
        if (err instanceof NotConnectedError) warnings.push('not checked against Xero: the account is not connected');
        else if (err instanceof XeroApiError) warnings.push(`not checked against Xero: ${err.message}`);
        else throw err;
      }
      await saveSettings(db, account.id, parsed.data);
      await runAccessHook(
        deps.log,
        'onSettingsSaved',
        deps.access.onSettingsSaved && (() => deps.access.onSettingsSaved!(account.id, parsed.data)),
      );
      res.json({ ...settingsView(parsed.data), ...(warnings.length > 0 ? { warnings } : {}) });
    };
  router.put('/accounts/:accountId/settings', writeSettings(false));
  router.patch('/accounts/:accountId/settings', writeSettings(true));

  /**
   * The organisation's Xero budget: calls in the rolling minute and day against the limits, in
   * flight, Xero's Retry-After block, the documents waiting for Xero and when they will be done.
   */
  router.get('/accounts/:accountId/xero-budget', async (_req, res) => {
    const account = res.locals.account as Account;
    const budget = await accountXeroBudget(db, account.id, { limits: deps.access.xeroLimits ?? XERO_LIMITS });
    res.set('Cache-Control', 'no-store');
    res.json(xeroBudgetResponse.parse(budgetResponse(account.external_id, budget)));
  });

  router.delete('/accounts/:accountId/connection', async (_req, res) => {
    const account = res.locals.account as Account;
    const result = await disconnect(
      { db, cipher: deps.access.cipher, identity: deps.access.identity, log: deps.log },
      account.id,
    );
    if (result.disconnected)
      await runAccessHook(
        deps.log,
        'onDisconnected',
        deps.access.onDisconnected && (() => deps.access.onDisconnected!(account.id)),
      );
    res.json(result);
  });

  return router;
}
