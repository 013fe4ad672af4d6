import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Client } from '@temporalio/client';
import helmet from 'helmet';
import { getAccount } from '../../src/access/accounts';
import { redeemAdminLink } from '../../src/access/admin-links';
import { createAdminSession, endAdminSession } from '../../src/access/admin-sessions';
import { runAccessHook, type AdminAccess } from '../../src/access/wiring';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import { missingForInvoices } from '../../src/domain/settings';
import { checkSettingsAgainstXero } from '../../src/domain/settings-checks';
import type { Logger } from '../../src/log';
import { loadSettings, saveSettings } from '../../src/settings/store';
import { NotConnectedError } from '../../src/xero/access';
import {
  chooseOrganisation,
  completeConnect,
  pendingChoice,
  startConnect,
  type ConnectFlowDeps,
} from '../../src/xero/connect-flow';
import { connectionState, disconnect, type ConnectionState } from '../../src/xero/connections';
import { XeroApiError } from '../../src/xero/errors';
import type { ReferenceData } from '../../src/xero/reference-data';
import { adminCsrf } from '../admin/csrf';
import { noticeFor } from '../admin/notices';
import { clearSessionCookie, readAdminSession, setSessionCookie } from '../admin/session';
import { settingsFromValues, valuesFromBody, valuesFromSettings, type SetupFormValues } from '../admin/settings-form';
import { MISSING_LABELS, setupPageModel } from '../admin/setup-page';
import { renderPage } from '../views/render';
import { optionList } from '../../src/access/accounts';
import { failuresSection, registerSyncPages, type AdminSyncDeps } from '../admin/sync-pages';
import { contactsSection, registerContactPages, type AdminContactsDeps } from '../admin/contacts-pages';
import { itemsSection } from '../admin/items-card';
import { registerExportPages } from '../admin/exports-pages';
import { accountDashboard } from '../admin/dashboard';
import { budgetSection } from '../admin/budget-card';
import { XERO_LIMITS } from '../../src/xero/rate-limiter';
import { registerReconciliationPages } from '../admin/reconciliation-pages';
import { countOpenDrifts } from '../../src/xero-changes/drift-queries';

/**
 * The admin's pages (/admin) and Xero's redirect back (/connect/callback). Only two routes answer
 * without a session: link redemption (the signed link is the credential) and the callback (its
 * `state` must belong to the session presenting it). Everything under /admin/accounts/:accountId
 * needs a session for that very account.
 */

export interface AdminRouterDeps {
  db: Db;
  log: Logger;
  access: AdminAccess;
  /** Failures (with Retry) on the home page and the Sync log page; absent in tests of the connect flow alone. */
  sync?: AdminSyncDeps;
  /** The "Xero contacts" card (import, sync now, last run); absent in tests of the connect flow alone. */
  contacts?: AdminContactsDeps;
  /** The Reconciliation page's actions and "Reconcile now"; absent in tests of the connect flow alone. */
  reconciliation?: { temporal: Client; taskQueue: string };
}

export const CALLBACK_PATH = '/connect/callback';

interface PageLocals {
  account: Account;
  connection: ConnectionState;
}

const REDEEM_FAILURES = {
  invalid: { status: 400, heading: 'This link is not valid', text: 'The sign-in link is incomplete or was changed.' },
  expired: { status: 410, heading: 'This link has expired', text: 'Sign-in links work for 15 minutes.' },
  used: { status: 410, heading: 'This link was already used', text: 'Each sign-in link works once.' },
} as const;

export function adminRouters(deps: AdminRouterDeps): { admin: Router; connect: Router } {
  const { db, access } = deps;
  const csrf = adminCsrf(access.sessionSecret, access.publicUrl);
  const flow: ConnectFlowDeps = { db, cipher: access.cipher, identity: access.identity, log: deps.log };
  const redirectUri = `${access.publicUrl}${CALLBACK_PATH}`;

  const common: RequestHandler[] = [
    (_req, res, next) => {
      res.set('Cache-Control', 'no-store');
      next();
    },
    // "Connect to Xero" is a form whose answer redirects to Xero's sign-in page: CSP's form-action
    // covers that redirect, so Xero's login origin is allowed next to our own.
    helmet.contentSecurityPolicy({ directives: { formAction: ["'self'", new URL(access.identity.loginUrl).origin] } }),
    cookieParser(),
    express.urlencoded({ extended: false, limit: '50kb', parameterLimit: 500 }),
    readAdminSession(db, access.publicUrl),
  ];

  const page = (req: Request, res: Response, extra: object = {}) => {
    const { account, connection } = res.locals as PageLocals;
    return {
      account: { id: account.id, name: account.name },
      connection,
      // The navigation's Reconciliation tab and its count of open drifts.
      ...(typeof res.locals.openDrifts === 'number' ? { reconciliationOpen: res.locals.openDrifts } : {}),
      csrfToken: csrf.token(req, res),
      notice: noticeFor(
        req.query as Record<string, unknown>,
        connection.status === 'not_connected' ? undefined : connection.tenantName,
      ),
      ...extra,
    };
  };
  const message = (
    res: Response,
    status: number,
    m: { title?: string; heading: string; text: string; hint?: string; backUrl?: string; backLabel?: string },
    req?: Request,
  ) =>
    renderPage(
      res,
      'message',
      { title: m.title ?? m.heading, ...m, ...(req && res.locals.account ? page(req, res) : {}) },
      status,
    );
  const signInAgain =
    access.signInHint ?? 'Open the Xero settings again from your business app: it gives you a new sign-in link.';

  const admin = Router();
  admin.use(common);

  admin.get('/enter', async (req, res) => {
    const result = await redeemAdminLink(
      db,
      access.sessionSecret,
      typeof req.query.token === 'string' ? req.query.token : '',
    );
    if (!result.ok) {
      const f = REDEEM_FAILURES[result.reason];
      return message(res, f.status, { heading: f.heading, text: f.text, hint: signInAgain });
    }
    // A new session each time: the link's account, and only it.
    if (req.adminSession) await endAdminSession(db, req.adminSession.id);
    const { token } = await createAdminSession(db, result.accountId);
    setSessionCookie(res, access.publicUrl, token);
    res.redirect(303, `/admin/accounts/${result.accountId}`);
  });

  admin.post('/logout', csrf.protect, async (req, res) => {
    if (req.adminSession) await endAdminSession(db, req.adminSession.id);
    clearSessionCookie(res, access.publicUrl);
    message(res, 200, { heading: 'Signed out', text: 'You have signed out of the Xero settings.', hint: signInAgain });
  });

  const requireAccountSession: RequestHandler = async (req, res, next) => {
    const session = req.adminSession;
    if (!session)
      return message(res, 401, {
        heading: 'Please sign in again',
        text: 'Your session has ended or this browser has not signed in.',
        hint: signInAgain,
      });
    if (session.accountId !== req.params.accountId) {
      return message(res, 403, {
        heading: 'Not available',
        text: 'You are signed in for a different account, and cannot see or change this one.',
        hint: signInAgain,
      });
    }
    const account = await getAccount(db, session.accountId);
    if (!account) return message(res, 404, { heading: 'Account not found', text: 'This account no longer exists.' });
    res.locals.account = account;
    res.locals.connection = await connectionState(db, account.id);
    if (deps.reconciliation && req.method === 'GET') res.locals.openDrifts = await countOpenDrifts(db, account.id);
    next();
  };
  admin.use('/accounts/:accountId', requireAccountSession);

  const base = (req: Request) => `/admin/accounts/${req.params.accountId}`;

  admin.get('/accounts/:accountId', async (req, res) => {
    const { account, connection } = res.locals as PageLocals;
    const missing =
      connection.status === 'active'
        ? missingForInvoices(await loadSettings(db, account.id)).map((m) => MISSING_LABELS[m] ?? m)
        : [];
    const connectedSince =
      connection.status === 'not_connected'
        ? ''
        : `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(connection.connectedAt)} UTC`;
    const failures = deps.sync ? await failuresSection(db, account.id, deps.sync.temporalUi) : undefined;
    const contacts =
      deps.contacts && connection.status !== 'not_connected'
        ? await contactsSection(db, deps.contacts.temporal, account.id)
        : undefined;
    const items = connection.status !== 'not_connected' ? await itemsSection(db, account.id) : undefined;
    // The health line, latest syncs and plain-words scopes (web/admin/dashboard.ts).
    const dashboard = await accountDashboard(db, account.id, connection, failures?.length ?? 0, deps.sync?.temporalUi);
    // The "Xero budget" panel: calls against Xero's limits, the documents waiting and when they are done.
    const budget = await budgetSection(db, account.id, connection, access.xeroLimits ?? XERO_LIMITS);
    renderPage(
      res,
      'account',
      page(req, res, {
        title: 'Xero connection',
        nav: 'overview',
        missing,
        connectedSince,
        failures,
        contacts,
        items,
        dashboard,
        budget,
      }),
    );
  });

  admin.post('/accounts/:accountId/connect', csrf.protect, async (req, res) => {
    const url = await startConnect(flow, {
      accountId: (res.locals as PageLocals).account.id,
      sessionId: req.adminSession!.id,
      redirectUri,
    });
    res.redirect(303, url);
  });

  admin.get('/accounts/:accountId/organisation', async (req, res) => {
    const tenants = await pendingChoice(db, req.params.accountId as string, req.adminSession!.id);
    if (!tenants) return res.redirect(303, `${base(req)}?notice=choice_expired`);
    renderPage(res, 'organisation', page(req, res, { title: 'Choose the organisation', nav: 'overview', tenants }));
  });

  admin.post('/accounts/:accountId/organisation', csrf.protect, async (req, res) => {
    const tenantId = typeof req.body.tenantId === 'string' ? req.body.tenantId : '';
    const result = await chooseOrganisation(flow, {
      accountId: req.params.accountId as string,
      sessionId: req.adminSession!.id,
      tenantId,
    });
    if (result.ok) {
      await runAccessHook(
        deps.log,
        'onConnected',
        access.onConnected && (() => access.onConnected!(req.params.accountId as string)),
      );
      return res.redirect(303, `${base(req)}/setup?notice=connected`);
    }
    if (result.reason === 'choice_expired') return res.redirect(303, `${base(req)}?notice=choice_expired`);
    const tenants = (await pendingChoice(db, req.params.accountId as string, req.adminSession!.id)) ?? [];
    renderPage(
      res,
      'organisation',
      page(req, res, {
        title: 'Choose the organisation',
        nav: 'overview',
        tenants,
        error: 'Choose one of the organisations listed.',
      }),
      422,
    );
  });

  /** Live Xero data for the setup page, or a page explaining why it cannot be had. */
  const referenceDataOrExplain = async (req: Request, res: Response): Promise<ReferenceData | undefined> => {
    try {
      return await access.referenceData.read((res.locals as PageLocals).account.id);
    } catch (err) {
      if (err instanceof NotConnectedError) {
        if (err.reason === 'not_connected') res.redirect(303, `${base(req)}?notice=not_connected`);
        else
          message(
            res,
            409,
            {
              heading: 'Reconnect to Xero first',
              text: 'Setup lists come from your Xero organisation, which no longer accepts this connection.',
              backUrl: base(req),
              backLabel: 'Go to the connection page',
            },
            req,
          );
        return undefined;
      }
      if (err instanceof XeroApiError) {
        deps.log.warn(
          { accountId: req.params.accountId, kind: err.kind, status: err.status },
          'could not read Xero reference data',
        );
        message(
          res,
          502,
          {
            heading: 'Xero could not be reached',
            text: `The lists for this page come from Xero, which did not answer properly (${err.message}). Nothing was changed.`,
            hint: 'Try again in a minute.',
            backUrl: `${base(req)}/setup`,
            backLabel: 'Try again',
          },
          req,
        );
        return undefined;
      }
      throw err;
    }
  };

  const renderSetup = (
    req: Request,
    res: Response,
    ref: ReferenceData,
    values: SetupFormValues,
    errors: Record<string, string>,
    status = 200,
  ) =>
    renderPage(
      res,
      'setup',
      page(req, res, {
        title: 'Setup',
        nav: 'setup',
        ...setupPageModel((res.locals as PageLocals).account, ref, values, errors),
      }),
      status,
    );

  admin.get('/accounts/:accountId/setup', async (req, res) => {
    const { account } = res.locals as PageLocals;
    const ref = await referenceDataOrExplain(req, res);
    if (!ref) return;
    renderSetup(
      req,
      res,
      ref,
      valuesFromSettings(await loadSettings(db, account.id), optionList(account, 'costCentres')),
      {},
    );
  });

  admin.post('/accounts/:accountId/setup', csrf.protect, async (req, res) => {
    const { account } = res.locals as PageLocals;
    const ref = await referenceDataOrExplain(req, res);
    if (!ref) return;
    const values = valuesFromBody(req.body as Record<string, unknown>);
    const parsed = settingsFromValues(values);
    const checked = parsed.ok ? parsed.settings : parsed.rest;
    const errors = { ...(checked ? checkSettingsAgainstXero(checked, ref) : {}), ...(parsed.ok ? {} : parsed.errors) };
    if (!parsed.ok || Object.keys(errors).length > 0) return renderSetup(req, res, ref, values, errors, 422);
    await saveSettings(db, account.id, parsed.settings);
    deps.log.info({ accountId: account.id }, 'settings saved');
    await runAccessHook(
      deps.log,
      'onSettingsSaved',
      access.onSettingsSaved && (() => access.onSettingsSaved!(account.id, parsed.settings)),
    );
    res.redirect(303, `${base(req)}/setup?notice=saved`);
  });

  admin.get('/accounts/:accountId/disconnect', (req, res) => {
    if ((res.locals as PageLocals).connection.status === 'not_connected') return res.redirect(303, base(req));
    renderPage(res, 'disconnect', page(req, res, { title: 'Disconnect', nav: 'overview' }));
  });

  admin.post('/accounts/:accountId/disconnect', csrf.protect, async (req, res) => {
    const { account } = res.locals as PageLocals;
    const result = await disconnect(
      { db, cipher: access.cipher, identity: access.identity, log: deps.log },
      account.id,
    );
    access.referenceData.invalidate(account.id);
    if (result.disconnected)
      await runAccessHook(
        deps.log,
        'onDisconnected',
        access.onDisconnected && (() => access.onDisconnected!(account.id)),
      );
    res.redirect(
      303,
      `${base(req)}?notice=${result.disconnected && !result.revokedAtXero ? 'disconnected_locally' : 'disconnected'}`,
    );
  });

  if (deps.contacts)
    registerContactPages(admin, {
      ...deps.contacts,
      db,
      log: deps.log,
      protect: csrf.protect,
      accountId: (res) => (res.locals as PageLocals).account.id,
    });
  if (deps.sync)
    registerSyncPages(admin, {
      ...deps.sync,
      db,
      log: deps.log,
      protect: csrf.protect,
      page,
      accountId: (res) => (res.locals as PageLocals).account.id,
      xeroLimits: access.xeroLimits ?? XERO_LIMITS,
    });
  // Exports (list, progress, Retry failed, Cancel): on the same Temporal client as the failures' Retry.
  if (deps.sync)
    registerExportPages(admin, {
      db,
      temporal: deps.sync.temporal,
      log: deps.log,
      protect: csrf.protect,
      page,
      accountId: (res) => (res.locals as PageLocals).account.id,
    });

  if (deps.reconciliation)
    registerReconciliationPages(admin, {
      ...deps.reconciliation,
      db,
      log: deps.log,
      protect: csrf.protect,
      page,
      accountId: (res) => (res.locals as PageLocals).account.id,
    });

  const connect = Router();
  connect.use(common);
  connect.get('/callback', async (req, res) => {
    const q = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);
    const result = await completeConnect(flow, req.adminSession?.id, {
      state: q('state'),
      code: q('code'),
      error: q('error'),
    });
    if (result.kind === 'connected') {
      await runAccessHook(deps.log, 'onConnected', access.onConnected && (() => access.onConnected!(result.accountId)));
      return res.redirect(303, `/admin/accounts/${result.accountId}/setup?notice=connected`);
    }
    if (result.kind === 'choose') return res.redirect(303, `/admin/accounts/${result.accountId}/organisation`);
    deps.log.info({ reason: result.reason, xeroError: result.xeroError }, 'Xero connect attempt failed');
    const accountId = result.accountId ?? req.adminSession?.accountId;
    if (!accountId)
      return message(res, 400, {
        heading: 'Nothing was connected',
        text: 'This Xero sign-in could not be verified: it was altered, already used, or started in another browser.',
        hint: signInAgain,
      });
    res.redirect(
      303,
      `/admin/accounts/${accountId}?notice=${result.reason}${result.xeroError ? `&code=${result.xeroError}` : ''}`,
    );
  });

  const onError: ErrorRequestHandler = (err, req, res, next) => {
    if (!csrf.isCsrfError(err)) return next(err);
    message(
      res,
      403,
      {
        heading: 'Please try again',
        text: 'This form had expired or did not come from this page, so nothing was changed.',
        hint: 'Go back, reload the page and submit it again.',
      },
      res.locals.account ? req : undefined,
    );
  };
  admin.use(onError);
  connect.use(onError);
  return { admin, connect };
}
