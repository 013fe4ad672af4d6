import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { AccountingApi } from 'xero-node';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  startXeroSimulator,
  type RunningXeroSimulator,
  type XeroSimulatorOptions,
} from '../../src/xero-sim/server';
import { assertConformance } from './openapi-conformance';

/**
 * Shared by the simulator's tests: a simulator per file (recording its answers, which are checked
 * against Xero's OpenAPI description when the file ends), tokens through the real consent flow,
 * and xero-node's AccountingApi aimed at it.
 */

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const basic = (id = DEMO_CLIENT_ID, secret = DEMO_CLIENT_SECRET) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

export interface TestSim extends RunningXeroSimulator {
  api: AccountingApi;
  tokens: TokenSet;
  tenantId: string;
  otherTenantId: string;
  apiWith(accessToken: string): AccountingApi;
}

export const SCOPE =
  'openid profile email offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings accounting.attachments';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The consent page's form, submitted as the browser would; returns the redirect's query. */
export async function consent(
  url: string,
  opts: {
    tenants?: string[];
    decision?: 'allow' | 'deny';
    scope?: string;
    challenge?: string;
    clientId?: string;
    redirectUri?: string;
    state?: string;
  } = {},
) {
  const form = new URLSearchParams({
    response_type: 'code',
    client_id: opts.clientId ?? DEMO_CLIENT_ID,
    redirect_uri: opts.redirectUri ?? REDIRECT_URI,
    scope: opts.scope ?? SCOPE,
    state: opts.state ?? 'st-123',
    decision: opts.decision ?? 'allow',
  });
  if (opts.challenge) {
    form.set('code_challenge', opts.challenge);
    form.set('code_challenge_method', 'S256');
  }
  for (const t of opts.tenants ?? []) form.append('tenant', t);
  const res = await fetch(`${url}/identity/connect/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location') ?? '',
    query: new URL(res.headers.get('location') ?? 'http://x/').searchParams,
  };
}

export async function tokenRequest(
  url: string,
  form: Record<string, string>,
  authorization: string | undefined = basic(),
) {
  const res = await fetch(`${url}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The whole authorization-code flow with PKCE, as the engine does it. */
export async function connectViaConsent(url: string, tenants: string[], scope = SCOPE): Promise<TokenSet> {
  const { verifier, challenge } = pkcePair();
  const { query } = await consent(url, { tenants, challenge, scope });
  const code = query.get('code');
  assert.ok(code, 'consent gave a code');
  const res = await tokenRequest(url, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as unknown as TokenSet;
}

export function accountingApi(url: string, accessToken: string): AccountingApi {
  const api = new AccountingApi(`${url}/api.xro/2.0`);
  api.accessToken = accessToken;
  return api;
}

/** Starts a simulator for one test file, connected to both seeded organisations. */
export async function startTestSim(options: XeroSimulatorOptions = {}): Promise<TestSim> {
  const running = await startXeroSimulator({ recordResponses: true, ...options });
  const orgs = running.sim.organisations();
  const tenantId = orgs[0]!.tenantId;
  const otherTenantId = orgs[1]!.tenantId;
  const tokens = await connectViaConsent(running.url, [tenantId, otherTenantId]);
  const sim: TestSim = {
    ...running,
    api: accountingApi(running.url, tokens.access_token),
    tokens,
    tenantId,
    otherTenantId,
    apiWith: (token) => accountingApi(running.url, token),
  };
  after(async () => {
    await running.close();
    await assertConformance(running.sim.recordedResponses());
  });
  return sim;
}

/** What xero-node threw (a JSON string), parsed. */
export interface XeroNodeError {
  response: { statusCode: number; body: unknown; headers: Record<string, string> };
  body: unknown;
}

export async function rejection(promise: Promise<unknown>): Promise<XeroNodeError> {
  try {
    await promise;
  } catch (err) {
    assert.equal(typeof err, 'string', 'xero-node rejects with a JSON string');
    return JSON.parse(err as string) as XeroNodeError;
  }
  assert.fail('expected the call to fail');
}

/** The messages of a 400 ValidationException, after checking its shape. */
export function validationMessages(error: XeroNodeError): string[] {
  assert.equal(error.response.statusCode, 400);
  const body = error.response.body as {
    ErrorNumber: number;
    Type: string;
    Message: string;
    Elements: Array<{ ValidationErrors: Array<{ Message: string }> }>;
  };
  assert.equal(body.ErrorNumber, 10);
  assert.equal(body.Type, 'ValidationException');
  assert.equal(body.Message, 'A validation exception occurred');
  assert.ok(Array.isArray(body.Elements) && body.Elements.length > 0);
  return body.Elements.flatMap((e) => e.ValidationErrors.map((v) => v.Message));
}

/** A plain fetch to the accounting API (for headers and bodies xero-node hides). */
export async function rawApi(
  sim: { url: string; tokens: TokenSet; tenantId: string },
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string>; tenantId?: string; token?: string } = {},
) {
  const res = await fetch(`${sim.url}/api.xro/2.0${path}`, {
    method,
    headers: {
      authorization: `Bearer ${init.token ?? sim.tokens.access_token}`,
      'xero-tenant-id': init.tenantId ?? sim.tenantId,
      accept: 'application/json',
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as any };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One webhook POST as a receiver saw it. */
export interface ReceivedWebhook {
  signatureOk: boolean;
  body: {
    events: Array<{
      resourceUrl: string;
      resourceId: string;
      eventDateUtc: string;
      eventType: string;
      eventCategory: string;
      tenantId: string;
      tenantType: string;
    }>;
    firstEventSequence: number;
    lastEventSequence: number;
    entropy: string;
  };
}

/**
 * A webhook receiver as Xero requires one (200 when `x-xero-signature` is the base64 HMAC-SHA256 of
 * the raw body with `key` — or with what `key()` gives when it is only known later — else 401), keeping
 * what it received. Closed when the file ends.
 */
export async function webhookReceiver(key: string | (() => string)) {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac('sha256', typeof key === 'string' ? key : key())
        .update(raw)
        .digest();
      const given = Buffer.from(String(req.headers['x-xero-signature'] ?? ''), 'base64');
      const signatureOk = given.length === expected.length && timingSafeEqual(given, expected);
      received.push({ signatureOk, body: JSON.parse(raw.toString()) as ReceivedWebhook['body'] });
      res.writeHead(signatureOk ? 200 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/xero`,
    received,
    /** Every event received so far, flattened. */
    events: () => received.flatMap((r) => r.body.events),
  };
}
