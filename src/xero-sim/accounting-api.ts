import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { matchRoute, scopeAllows } from './accounting-routes';
import type { ApiContext, EventCategory } from './api-context';
import { notFound, postDataInvalid, problem, serializeBody, serverError, type SimResponse } from './answers';
import type { Faults } from './faults';
import { fingerprintOf, type IdempotencyStore, MAX_KEY_LENGTH, type StoredAnswer } from './idempotency';
import { newId } from './ids';
import type { RateLimiter } from './rate-limits';
import type { Store } from './store';
import { checkAccessToken } from './tokens';
import type { WebhookSender } from './webhooks';
import { usDateTime } from './xero-dates';

/**
 * One accounting call, in the order Xero's gateway applies its checks: the Bearer token (401),
 * the tenant (403), the scope (401), the rate limits (429, and the remaining-calls headers on every
 * answer), then injected faults, the body, Idempotency-Key, the endpoint itself, and finally the
 * answer — unless a drop-after-commit fault throws it away.
 */

export const API_PREFIX = '/api.xro/2.0';
const JSON_LIMIT = 3.5 * 1024 * 1024;
const ATTACHMENT_LIMIT = 10 * 1024 * 1024 + 1;

export interface AccountingDeps {
  store: Store;
  limiter: RateLimiter;
  idempotency: IdempotencyStore;
  faults: Faults;
  webhooks: WebhookSender;
  log: Logger;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Raises Xero's webhook event for a change to one document of one organisation. */
export function webhookEmitter(store: Store, webhooks: WebhookSender, tenantId: string): ApiContext['emit'] {
  return (category: EventCategory, type, resourceId) => {
    const resourcePath = category === 'INVOICE' ? 'Invoices' : category === 'CONTACT' ? 'Contacts' : 'CreditNotes';
    webhooks.emit({
      resourceUrl: `${store.baseUrl}${API_PREFIX}/${resourcePath}/${resourceId}`,
      resourceId,
      eventDateUtc: new Date(store.now()).toISOString().replace('Z', ''),
      eventType: type,
      eventCategory: category,
      tenantId,
      tenantType: 'ORGANISATION',
    });
  };
}

export function accountingHandler(deps: AccountingDeps) {
  const { store, limiter, idempotency, faults, webhooks, log } = deps;

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.slice(API_PREFIX.length) || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const tenantId = header(req, 'xero-tenant-id')?.trim().toLowerCase();
    const idempotencyKey = method === 'PUT' || method === 'POST' ? header(req, 'idempotency-key') : undefined;
    // eslint-disable-next-line prefer-const -- finish() (below) logs it whether or not the request got past the token
    let clientId: string | undefined;
    const extraHeaders: Record<string, string> = { 'Xero-Correlation-Id': newId() };
    let faultIds: string[] | undefined;
    let replay = false;

    const finish = (answer: SimResponse | StoredAnswer, dropped = false) => {
      const { body, contentType } =
        'body' in answer ? { body: answer.body, contentType: answer.contentType } : serializeBody(answer);
      if (store.options.recordResponses && !dropped) {
        let parsed: unknown = body.toString('utf8');
        if (contentType.includes('json')) {
          try {
            parsed = JSON.parse(parsed as string);
          } catch {
            /* recorded as text */
          }
        } else if (!contentType.startsWith('text/')) parsed = `<${body.length} bytes>`;
        store.recorded.push({
          method,
          path,
          query: Object.fromEntries(url.searchParams),
          status: answer.status,
          contentType,
          body: parsed,
        });
      }
      store.logRequest({
        at: new Date(store.now()).toISOString(),
        method,
        path: `${API_PREFIX}${path}${url.search}`,
        status: answer.status,
        tenantId,
        clientId,
        idempotencyKey,
        idempotentReplay: replay || undefined,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        fault: faultIds?.join(','),
        dropped: dropped || undefined,
      });
      if (dropped) {
        res.socket?.destroy();
        return;
      }
      const headers: Record<string, string | number> = {
        ...extraHeaders,
        'Content-Type': contentType,
        'Content-Length': body.length,
      };
      if ('headers' in answer && answer.headers) Object.assign(headers, answer.headers);
      res.writeHead(answer.status, headers);
      res.end(body);
    };

    // 1. The token.
    const auth = header(req, 'authorization');
    const token = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
    const access = checkAccessToken(store, token);
    if (!access.ok) {
      const detail =
        access.expiredAt !== undefined
          ? `TokenExpired: token expired at ${usDateTime(access.expiredAt)}`
          : 'AuthenticationUnsuccessful';
      const wwwAuth =
        access.expiredAt !== undefined
          ? `Bearer error="invalid_token", error_description="The token expired at '${usDateTime(access.expiredAt)}'"`
          : 'Bearer error="invalid_token"';
      return finish(problem(401, 'Unauthorized', detail, { 'WWW-Authenticate': wwwAuth }));
    }
    clientId = access.grant.clientId;
    const app = store.apps.get(clientId);

    // 2. The tenant: known, and connected to this app for this user.
    const org = tenantId ? store.org(tenantId) : undefined;
    const connected =
      org !== undefined &&
      [...store.connections.values()].some(
        (c) => c.tenantId === org.OrganisationID && c.clientId === clientId && c.userId === access.grant.userId,
      );
    if (!org || !connected || !app) return finish(problem(403, 'Forbidden', 'AuthenticationUnsuccessful'));

    // 3. The endpoint and the scope it needs.
    const segments = path
      .split('/')
      .filter(Boolean)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    const match = matchRoute(method, segments);
    if (match && !scopeAllows(match.route, access.grant.scope)) {
      return finish(
        problem(401, 'Unauthorized', 'AuthorizationUnsuccessful', {
          'WWW-Authenticate': 'Bearer error="insufficient_scope"',
        }),
      );
    }

    // 4. Rate limits.
    const admission = limiter.admit(clientId, org.OrganisationID, store.now());
    Object.assign(extraHeaders, admission.headers);
    if (!admission.ok) {
      extraHeaders['Retry-After'] = String(admission.retryAfterSeconds);
      extraHeaders['X-Rate-Limit-Problem'] = admission.problem;
      return finish(problem(429, 'Too Many Requests', `Rate limit exceeded: ${admission.problem}`));
    }
    res.once('close', admission.release);

    try {
      // 5. Injected faults.
      const fault = faults.decide(method, path, org.OrganisationID);
      faultIds = fault?.ids;
      if (fault && fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault?.status) return finish(serverError(fault.status));

      if (!match) return finish(notFound());

      // 6. The body.
      let rawBody: Buffer = Buffer.alloc(0);
      if (method === 'PUT' || method === 'POST') {
        try {
          rawBody = await readBody(req, match.route.rawBody ? ATTACHMENT_LIMIT : JSON_LIMIT);
        } catch (err) {
          if (err instanceof BodyTooLarge)
            return finish({ status: 413, raw: 'Request Entity Too Large', contentType: 'text/plain; charset=utf-8' });
          throw err;
        }
      }
      let body: unknown;
      if (!match.route.rawBody && rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          return finish(postDataInvalid('JSON for post data was invalid, could not parse the request body'));
        }
      }

      // 7. Idempotency-Key.
      let complete: ((a: StoredAnswer | undefined) => void) | undefined;
      if (idempotencyKey !== undefined) {
        if (idempotencyKey.length > MAX_KEY_LENGTH || idempotencyKey.trim() === '') {
          return finish(
            problem(
              400,
              'Bad Request',
              `The Idempotency-Key header must be between 1 and ${MAX_KEY_LENGTH} characters.`,
            ),
          );
        }
        const fingerprint = fingerprintOf(method, path.toLowerCase(), url.search, rawBody);
        const scope = `${clientId}\u0000${org.OrganisationID}`;
        for (;;) {
          const found = idempotency.lookup(scope, idempotencyKey, fingerprint, store.now());
          if (found.kind === 'mismatch') {
            return finish(
              problem(400, 'Bad Request', 'The Idempotency-Key has already been used with a different request.'),
            );
          }
          if (found.kind === 'replay') {
            replay = true;
            return finish(found.answer, fault?.dropAfterCommit);
          }
          if (found.kind === 'wait') {
            const answer = await found.answer;
            if (answer) {
              replay = true;
              return finish(answer, fault?.dropAfterCommit);
            }
            continue;
          }
          complete = found.complete;
          break;
        }
      }

      // 8. The endpoint.
      const ctx: ApiContext = {
        store,
        org,
        app,
        clientId,
        method,
        path,
        segments,
        query: url.searchParams,
        headers: req.headers,
        body,
        rawBody,
        now: store.now(),
        emit: webhookEmitter(store, webhooks, org.OrganisationID),
      };
      let answer: SimResponse;
      try {
        answer = match.route.handler(ctx, match.params);
      } catch (err) {
        log.error({ err, method, path }, 'simulator handler failed');
        complete?.(undefined);
        return finish(serverError(500));
      }
      const serialized = serializeBody(answer);
      const stored: StoredAnswer = {
        status: answer.status,
        contentType: serialized.contentType,
        body: serialized.body,
      };
      complete?.(answer.status < 500 ? stored : undefined);
      if (answer.headers) Object.assign(extraHeaders, answer.headers);
      finish(stored, fault?.dropAfterCommit);
    } catch (err) {
      log.error({ err, method, path }, 'simulator request failed');
      if (!res.headersSent) finish(serverError(500));
    }
  };
}
