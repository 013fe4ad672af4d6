import { createHash, randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { sql } from 'kysely';
import type { Db } from '../../src/db/database';
import { sendApiError } from './errors';

/**
 * `Idempotency-Key` on every write under /api/v1 (POST, PUT, PATCH, DELETE), for routes of any router:
 * mounted in front of them, it captures whatever they answer by wrapping `res.send` and `res.end`.
 *
 * Per host app and key, the first request is answered normally and its answer (status, JSON body)
 * stored; the same key with the same request (method, path, body — compared as a hash of the
 * canonical request, so key order in the JSON does not matter) gets that answer again with
 * `Idempotent-Replayed: true` and nothing is done; with another request, 422. While the first is still
 * being answered, 409 (the client retries). A 5xx answer is not stored: the row is deleted and the
 * key can be used again for the same request. Keys are kept at least 24 hours.
 *
 * The answer is stored *before* it is sent, so a client that retries the moment it hears back finds
 * it stored, never in progress.
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const VALID_KEY = /^[\x20-\x7E]{1,255}$/;
const KEEP = sql`interval '24 hours'`;
/**
 * How long a request may take before another one with its key may take over; only a request that
 * died unanswered (a crashed process) is that slow, and until then its retries hear 409.
 */
export const DEFAULT_LEASE_MS = 120_000;
/** Rows older than KEEP deleted per new key: bounded, so a backlog costs no request more than a moment. */
const SWEEP_BATCH = 100;

/** JSON with object keys sorted: two bodies that mean the same hash the same. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

export interface StoredAnswer {
  status: number;
  contentType: string | null;
  body: string | null;
}

export type Claim =
  | { kind: 'owner'; owner: string }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'reused' }
  | { kind: 'in_progress' };

export interface IdempotencyRequest {
  hostAppId: string;
  key: string;
  method: string;
  path: string;
  hash: string;
}

export interface IdempotencyStore {
  /** Decides what a request with this key does: answer it (as owner), replay, or refuse. */
  claim(r: IdempotencyRequest): Promise<Claim>;
  /** The owner's answer: stored (2xx–4xx), or forgotten so the key can be retried (5xx). */
  finish(r: Pick<IdempotencyRequest, 'hostAppId' | 'key'>, owner: string, answer: StoredAnswer): Promise<void>;
}

export function createIdempotencyStore(db: Db, opts: { leaseMs?: number } = {}): IdempotencyStore {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const lockedUntil = sql<Date>`now() + (${leaseMs}::integer * interval '1 millisecond')`;
  const ofKey = (hostAppId: string, key: string) =>
    db.selectFrom('api_idempotency_keys').where('host_app_id', '=', hostAppId).where('idempotency_key', '=', key);

  async function sweep(): Promise<void> {
    // SKIP LOCKED: two requests sweeping at once split the work instead of waiting on each other.
    await db
      .deleteFrom('api_idempotency_keys')
      .where((eb) =>
        eb(
          eb.refTuple('host_app_id', 'idempotency_key'),
          'in',
          eb
            .selectFrom('api_idempotency_keys')
            .select(['host_app_id', 'idempotency_key'])
            .where('created_at', '<', sql<Date>`now() - ${KEEP}`)
            .orderBy('created_at')
            .limit(SWEEP_BATCH)
            .forUpdate()
            .skipLocked()
            .$asTuple('host_app_id', 'idempotency_key'),
        ),
      )
      .execute();
  }

  async function insert(r: IdempotencyRequest): Promise<string | undefined> {
    const owner = randomUUID();
    const row = await db
      .insertInto('api_idempotency_keys')
      .values({
        host_app_id: r.hostAppId,
        idempotency_key: r.key,
        request_hash: r.hash,
        method: r.method,
        path: r.path,
        owner,
        locked_until: lockedUntil,
      })
      .onConflict((oc) => oc.columns(['host_app_id', 'idempotency_key']).doNothing())
      .returning('owner')
      .executeTakeFirst();
    return row ? owner : undefined;
  }

  return {
    async claim(r) {
      await sweep();
      // Twice at most: a row deleted between our insert and our read (a 5xx, an expiry) frees the key.
      for (let attempt = 0; attempt < 2; attempt++) {
        const inserted = await insert(r);
        if (inserted) return { kind: 'owner', owner: inserted };
        const row = await ofKey(r.hostAppId, r.key)
          .select([
            'request_hash',
            'response_status',
            'response_type',
            'response_body',
            'created_at',
            sql<boolean>`created_at < now() - ${KEEP}`.as('expired'),
            sql<boolean>`coalesce(locked_until > now(), false)`.as('leased'),
          ])
          .executeTakeFirst();
        if (!row) continue;
        if (row.expired) {
          await db
            .deleteFrom('api_idempotency_keys')
            .where('host_app_id', '=', r.hostAppId)
            .where('idempotency_key', '=', r.key)
            .where('created_at', '=', row.created_at)
            .execute();
          continue;
        }
        if (row.request_hash !== r.hash) return { kind: 'reused' };
        if (row.response_status !== null)
          return {
            kind: 'replay',
            answer: { status: row.response_status, contentType: row.response_type, body: row.response_body },
          };
        if (row.leased) return { kind: 'in_progress' };
        // The first request died unanswered (its process crashed): this one answers instead.
        const owner = randomUUID();
        const taken = await db
          .updateTable('api_idempotency_keys')
          .set({ owner, locked_until: lockedUntil })
          .where('host_app_id', '=', r.hostAppId)
          .where('idempotency_key', '=', r.key)
          .where('response_status', 'is', null)
          .where(sql<boolean>`coalesce(locked_until <= now(), true)`)
          .returning('owner')
          .executeTakeFirst();
        return taken ? { kind: 'owner', owner } : { kind: 'in_progress' };
      }
      return { kind: 'in_progress' };
    },

    async finish(r, owner, answer) {
      if (answer.status >= 500) {
        await db
          .deleteFrom('api_idempotency_keys')
          .where('host_app_id', '=', r.hostAppId)
          .where('idempotency_key', '=', r.key)
          .where('owner', '=', owner)
          .execute();
        return;
      }
      await db
        .updateTable('api_idempotency_keys')
        .set({
          response_status: answer.status,
          response_type: answer.contentType,
          response_body: answer.body,
          owner: null,
          locked_until: null,
        })
        .where('host_app_id', '=', r.hostAppId)
        .where('idempotency_key', '=', r.key)
        .where('owner', '=', owner)
        .execute();
    },
  };
}

function bodyText(chunk: unknown): string | null {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return null;
  if (Buffer.isBuffer(chunk)) return chunk.toString('utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString('utf8');
  return String(chunk);
}

/**
 * Holds the answer back until it is stored (or, for a 5xx, the key released), then sends it. Wraps
 * `send` (what `json`, `sendStatus` and friends end in) and `end` (an answer without a body).
 */
function captureAnswer(res: Response, onAnswer: (answer: StoredAnswer) => Promise<void>): void {
  const send = res.send.bind(res);
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let captured = false;
  const hold = (answer: StoredAnswer, release: () => void) => {
    captured = true;
    void onAnswer(answer).finally(release);
    return res;
  };
  res.send = ((body?: unknown) => {
    if (captured) return send(body);
    // An object goes through res.json, which calls send again with the JSON text: captured then.
    if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && !(body instanceof Uint8Array))
      return send(body);
    return hold({ status: res.statusCode, contentType: res.get('Content-Type') ?? null, body: bodyText(body) }, () =>
      send(body),
    );
  }) as Response['send'];
  res.end = ((...args: unknown[]) => {
    if (captured) return end(...args);
    return hold({ status: res.statusCode, contentType: res.get('Content-Type') ?? null, body: bodyText(args[0]) }, () =>
      end(...args),
    );
  }) as Response['end'];
}

export function idempotency(deps: { db: Db; leaseMs?: number }): RequestHandler {
  const store = createIdempotencyStore(deps.db, { leaseMs: deps.leaseMs });
  return async (req, res, next) => {
    if (!WRITE_METHODS.has(req.method)) return next();
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    if (!VALID_KEY.test(key))
      return sendApiError(
        res,
        400,
        'invalid_idempotency_key',
        `The ${IDEMPOTENCY_HEADER} header must be 1 to 255 printable ASCII characters.`,
        { [IDEMPOTENCY_HEADER]: '1 to 255 printable ASCII characters (letters, digits, punctuation, spaces)' },
      );
    const scope = { hostAppId: res.locals.hostAppId as string, key };
    const claim = await store.claim({
      ...scope,
      method: req.method,
      path: req.originalUrl,
      hash: requestHash(req.method, req.originalUrl, req.body),
    });
    switch (claim.kind) {
      case 'reused':
        return sendApiError(
          res,
          422,
          'idempotency_key_reused',
          `This ${IDEMPOTENCY_HEADER} was used with another request (method, path or body) in the last 24 hours; send a new request with a new key.`,
        );
      case 'in_progress':
        res.set('Retry-After', '1');
        return sendApiError(
          res,
          409,
          'idempotency_key_in_progress',
          `A request with this ${IDEMPOTENCY_HEADER} is still being answered; retry in a moment.`,
        );
      case 'replay': {
        const { status, contentType, body } = claim.answer;
        res.status(status).set(REPLAYED_HEADER, 'true');
        if (contentType) res.set('Content-Type', contentType);
        res.send(body ?? '');
        return;
      }
      case 'owner':
        captureAnswer(res, async (answer) => {
          try {
            await store.finish(scope, claim.owner, answer);
          } catch (err) {
            // The answer still goes out; the key stays "in progress" until its lease ends.
            req.log.error({ err, idempotencyKey: key }, 'could not store the answer for an Idempotency-Key');
          }
        });
        return next();
    }
  };
}
