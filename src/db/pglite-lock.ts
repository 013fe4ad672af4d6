import { openSync, readFileSync, rmSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * PGlite serves one process at a time and has no lock of its own: a second process opening the
 * same directory sees a stale copy (what it writes the first one never reads) or corrupts it. So
 * whoever opens the embedded database holds `<dir>.lock` (the holder's pid) while it is open, and
 * every other opener refuses with a sentence saying what to do.
 */
export class EmbeddedDatabaseInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by another process (pid ${pid}, e.g. npm start): ` +
        'PGlite serves one process at a time. Stop that process first (Ctrl-C), or set DATABASE_URL to a ' +
        'PostgreSQL database that several processes can share.',
    );
    this.name = 'EmbeddedDatabaseInUseError';
  }
}

export interface PgliteLock {
  release(): void;
}

export function lockFilePath(dataDir: string): string {
  return `${path.resolve(dataDir)}.lock`;
}

/** The pid holding the embedded database in `dataDir`, if a live process does. */
export function embeddedDatabaseHolder(dataDir: string): number | undefined {
  const pid = readPid(lockFilePath(dataDir));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** Takes the lock of the embedded database in `dataDir`, or throws EmbeddedDatabaseInUseError. */
export function lockEmbeddedDatabase(dataDir: string): PgliteLock {
  const file = lockFilePath(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = readPid(file);
      if (holder !== undefined && holder !== process.pid && isAlive(holder))
        throw new EmbeddedDatabaseInUseError(path.resolve(dataDir), holder);
      // Left by a process that ended without releasing it (killed): take it over.
      rmSync(file, { force: true });
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    if (readPid(file) === process.pid) rmSync(file, { force: true });
  };
  process.once('exit', release);
  return { release };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
