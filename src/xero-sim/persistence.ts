import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { IdempotencyStore, PersistedIdempotencyEntry } from './idempotency';
import type { SimApp } from './options';
import type {
  AccessTokenRec,
  AuthCodeRec,
  ConnectionRec,
  GrantRec,
  OrgRec,
  RefreshTokenRec,
  SimUser,
  Store,
} from './store';

/**
 * The simulator's state on disk (`npm start`'s demo keeps its organisations, documents and tokens
 * across restarts): one JSON snapshot, written whole to a temporary file and renamed over the old
 * one, a moment after each change and on close; read once at start. Maps, Buffers (attachments,
 * stored answers) and Dates are tagged so they come back as they were.
 *
 * Not kept: rate-limit windows, faults, the request log and webhook settings (a run's own business).
 * A snapshot that cannot be read, or of another version, is moved aside (`*.bad-<time>`) with a
 * warning and the simulator starts fresh: a broken file never stops the demo.
 */

export const SNAPSHOT_VERSION = 1;

interface SnapshotState {
  clockOffsetMs: number;
  user: SimUser;
  apps: Map<string, SimApp>;
  orgs: Map<string, OrgRec>;
  grants: Map<string, GrantRec>;
  refreshTokens: Map<string, RefreshTokenRec>;
  accessTokens: Map<string, AccessTokenRec>;
  authCodes: Map<string, AuthCodeRec>;
  connections: Map<string, ConnectionRec>;
  idempotency: PersistedIdempotencyEntry[];
}

// ---- encoding: JSON with tags for what JSON cannot say ----

type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

export function encodeValue(value: unknown): Encoded | undefined {
  if (value === null) return null;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return { $num: String(value) };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Buffer.isBuffer(value) || value instanceof Uint8Array)
    return { $buf: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString() };
  if (value instanceof Map)
    return { $map: [...value.entries()].map(([k, v]) => [encodeValue(k) ?? null, encodeValue(v) ?? null]) };
  if (value instanceof Set) return { $set: [...value].map((v) => encodeValue(v) ?? null) };
  if (Array.isArray(value)) return value.map((v) => encodeValue(v) ?? null);
  if (value instanceof Promise) return undefined;
  const out: { [key: string]: Encoded } = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const e = encodeValue(v);
    if (e !== undefined) out[k.startsWith('$') ? `$${k}` : k] = e;
  }
  return out;
}

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [key] = keys;
    const inner = obj[key!];
    switch (key) {
      case '$buf':
        if (typeof inner !== 'string') throw new Error('bad $buf');
        return Buffer.from(inner, 'base64');
      case '$date':
        if (typeof inner !== 'string') throw new Error('bad $date');
        return new Date(inner === 'Invalid' ? Number.NaN : inner);
      case '$map':
        if (!Array.isArray(inner)) throw new Error('bad $map');
        return new Map(
          inner.map((pair) => {
            if (!Array.isArray(pair) || pair.length !== 2) throw new Error('bad $map entry');
            return [decodeValue(pair[0]), decodeValue(pair[1])] as const;
          }),
        );
      case '$set':
        if (!Array.isArray(inner)) throw new Error('bad $set');
        return new Set(inner.map(decodeValue));
      case '$num':
        return Number(inner);
      case '$bigint':
        return BigInt(String(inner));
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k.startsWith('$$') ? k.slice(1) : k] = decodeValue(v);
  return out;
}

// ---- the snapshot ----

export function captureState(store: Store, idempotency: IdempotencyStore): SnapshotState {
  return {
    clockOffsetMs: store.clockOffsetMs(),
    user: store.user,
    apps: store.apps,
    orgs: store.orgs,
    grants: store.grants,
    refreshTokens: store.refreshTokens,
    accessTokens: store.accessTokens,
    authCodes: store.authCodes,
    connections: store.connections,
    idempotency: idempotency.exportEntries(),
  };
}

export function serializeSnapshot(state: SnapshotState, savedAt = new Date()): string {
  return JSON.stringify({ version: SNAPSHOT_VERSION, savedAt: savedAt.toISOString(), state: encodeValue(state) });
}

const MAP_FIELDS = [
  'apps',
  'orgs',
  'grants',
  'refreshTokens',
  'accessTokens',
  'authCodes',
  'connections',
] as const satisfies ReadonlyArray<keyof SnapshotState>;

/** Parses and checks a snapshot; throws with a reason when it cannot be used. */
export function parseSnapshot(text: string): SnapshotState {
  const raw = JSON.parse(text) as unknown;
  if (!raw || typeof raw !== 'object') throw new Error('not a JSON object');
  const version = (raw as { version?: unknown }).version;
  if (version !== SNAPSHOT_VERSION)
    throw new Error(`snapshot version ${JSON.stringify(version)}, this simulator reads version ${SNAPSHOT_VERSION}`);
  const state = decodeValue((raw as { state?: unknown }).state) as Partial<SnapshotState> | undefined;
  if (!state || typeof state !== 'object') throw new Error('no state');
  for (const field of MAP_FIELDS)
    if (!(state[field] instanceof Map)) throw new Error(`state.${field} is missing or not a map`);
  for (const org of state.orgs!.values()) {
    for (const field of ['contacts', 'invoices', 'creditNotes', 'payments', 'allocations', 'currencies'] as const)
      if (!(org[field] instanceof Map)) throw new Error(`organisation ${org.OrganisationID}: ${field} is not a map`);
    for (const field of ['accounts', 'taxRates', 'trackingCategories', 'brandingThemes', 'items'] as const)
      if (!Array.isArray(org[field])) throw new Error(`organisation ${org.OrganisationID}: ${field} is not a list`);
    for (const doc of [...org.invoices.values(), ...org.creditNotes.values()])
      for (const a of doc.attachments ?? [])
        if (!Buffer.isBuffer(a.bytes)) throw new Error(`attachment ${a.AttachmentID} has no bytes`);
  }
  if (typeof state.clockOffsetMs !== 'number') state.clockOffsetMs = 0;
  if (!Array.isArray(state.idempotency)) state.idempotency = [];
  return state as SnapshotState;
}

/** Replaces the store's persisted parts with the snapshot's; apps given at start win over stored ones. */
export function applyState(
  state: SnapshotState,
  store: Store,
  idempotency: IdempotencyStore,
  initialApps: SimApp[],
): void {
  store.setClockOffsetMs(state.clockOffsetMs);
  if (state.user && typeof state.user === 'object') store.user = state.user;
  const replace = <V>(target: Map<string, V>, source: Map<string, V>) => {
    target.clear();
    for (const [k, v] of source) target.set(k, v);
  };
  replace(store.apps, state.apps);
  for (const app of initialApps) store.apps.set(app.clientId, app);
  replace(store.orgs, state.orgs);
  replace(store.grants, state.grants);
  replace(store.refreshTokens, state.refreshTokens);
  replace(store.accessTokens, state.accessTokens);
  replace(store.authCodes, state.authCodes);
  replace(store.connections, state.connections);
  idempotency.importEntries(state.idempotency);
}

export interface PersistenceOptions {
  path: string;
  store: Store;
  idempotency: IdempotencyStore;
  initialApps: SimApp[];
  log: Logger;
  /** How long after a change the snapshot is written (changes meanwhile go in the same write). */
  debounceMs: number;
}

export class SimulatorPersistence {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private tmpCounter = 0;

  constructor(private readonly o: PersistenceOptions) {}

  get path(): string {
    return this.o.path;
  }

  /**
   * Reads the snapshot into the store when there is one. Returns what happened; never throws for a
   * bad file (it is moved aside and the simulator keeps its freshly seeded state).
   */
  load(): 'loaded' | 'absent' | 'moved-aside' {
    let text: string;
    try {
      text = readFileSync(this.o.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      return this.moveAside(err);
    }
    let state: SnapshotState;
    try {
      state = parseSnapshot(text);
    } catch (err) {
      return this.moveAside(err);
    }
    applyState(state, this.o.store, this.o.idempotency, this.o.initialApps);
    this.o.log.info({ path: this.o.path, organisations: state.orgs.size }, 'xero simulator state loaded');
    return 'loaded';
  }

  private moveAside(err: unknown): 'moved-aside' {
    const aside = `${this.o.path}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.o.path, aside);
      this.o.log.warn(
        { path: this.o.path, movedTo: aside, reason: (err as Error)?.message ?? String(err) },
        'xero simulator state could not be read: moved aside, starting with fresh demo organisations',
      );
    } catch (renameErr) {
      this.o.log.warn(
        { path: this.o.path, reason: (err as Error)?.message ?? String(err), renameError: String(renameErr) },
        'xero simulator state could not be read (nor moved aside): starting with fresh demo organisations',
      );
    }
    return 'moved-aside';
  }

  /** Something changed: the snapshot is written within `debounceMs`. */
  markDirty(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((err: unknown) =>
        this.o.log.warn({ err, path: this.o.path }, 'xero simulator state not saved'),
      );
    }, this.o.debounceMs);
    this.timer.unref();
  }

  /** Writes the snapshot now if anything changed since the last write. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.dirty) return this.writing;
    this.dirty = false;
    // Captured synchronously: the snapshot is one consistent moment of the store.
    const text = serializeSnapshot(captureState(this.o.store, this.o.idempotency));
    const next = this.writing.then(() => this.write(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Saves what is pending and stops scheduling writes. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /** Makes sure the directory exists (so a bad DATA_DIR shows at start, not on the first change). */
  prepare(): void {
    mkdirSync(path.dirname(this.o.path), { recursive: true });
  }

  private async write(text: string): Promise<void> {
    const dir = path.dirname(this.o.path);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.o.path}.tmp-${process.pid}-${++this.tmpCounter}`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.o.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
