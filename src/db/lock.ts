/**
 * The database lock: serializes every read-modify-write of the record tree, within one
 * process and across processes (daemon, CLI, import), so concurrent writers lose nothing.
 *
 * In-process: one async mutex per database directory (shared by every RecordStore on
 * it), re-entrant along one async call chain (AsyncLocalStorage), like open-iscsi's
 * reference-counted lock.
 *
 * Across processes, open-iscsi's link(2) scheme (reference §5.1) plus stale-holder
 * recovery, because a SIGKILLed holder must not block the database for good:
 *   - acquire: write "<pid> <starttime>\n" to a temp file, then link(temp, `<db>/.lock`);
 *     EEXIST means held: retry every `retryMs` (10 ms) up to `timeoutMs` (30 s), then fail
 *     with `DB_LOCK_TIMEOUT` (errno 6, retryable). The content is complete before the
 *     name exists, so a waiter never reads a half-written holder.
 *   - stale: the holder's pid is gone, or the pid was reused (its /proc start time
 *     differs), or the file is unreadable garbage older than 10 s.
 *   - breaking a stale lock is itself serialized by `<db>/.lock.break` (same link
 *     scheme): the breaker re-reads `.lock` under it and unlinks only if it still holds
 *     the same stale content, so a live holder's lock is never removed. A breaker that
 *     dies inside this tiny window leaves a stale `.lock.break`, which the next breaker
 *     moves aside with rename(2) after seeing its holder dead (the only remaining race:
 *     two breakers doing that at the same instant; both then re-verify `.lock`).
 *   - release: unlink `.lock` if it still names this process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IscsiError, ISCSI_ERR } from '../shared/errors.js';
import { errCode, isProcessAlive, processStartTime, tempPath } from './atomic.js';
import { dbError } from './warnings.js';

/** Lock tuning. */
export interface LockOptions {
  /** Give up after this long (default 30 000 ms, open-iscsi's 3000 × 10 ms). */
  readonly timeoutMs?: number;
  /** Poll interval while another process holds the lock (default 10 ms). */
  readonly retryMs?: number;
}

const GARBAGE_STALE_MS = 10_000;
const mutexes = new Map<string, Mutex>();
const held = new AsyncLocalStorage<Set<string>>();

/** A FIFO async mutex. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Run `fn` after every earlier caller finished. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** The lock of one database directory. */
export class DbLock {
  private readonly lockFile: string;
  private readonly breakFile: string;
  private readonly timeoutMs: number;
  private readonly retryMs: number;

  /** @param dir database directory (must exist; callers pass a resolved path). */
  constructor(private readonly dir: string, opts: LockOptions = {}) {
    this.lockFile = join(dir, '.lock');
    this.breakFile = join(dir, '.lock.break');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retryMs = opts.retryMs ?? 10;
  }

  /** Run `fn` holding the lock (re-entrant within one async call chain). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const mine = held.getStore();
    if (mine?.has(this.dir)) return fn();
    let mutex = mutexes.get(this.dir);
    if (!mutex) mutexes.set(this.dir, (mutex = new Mutex()));
    return mutex.run(async () => {
      await this.acquire(this.lockFile);
      try {
        return await held.run(new Set([...(mine ?? []), this.dir]), fn);
      } finally {
        await this.release();
      }
    });
  }

  /** Unlink `.lock` if it is still ours (never someone else's, e.g. after a wrong break). */
  private async release(): Promise<void> {
    if ((await readHolder(this.lockFile)) === (await holderId())) await unlink(this.lockFile).catch(() => undefined);
  }

  private async acquire(file: string): Promise<void> {
    const tmp = tempPath(this.dir);
    await writeFile(tmp, await holderId(), { mode: 0o644 }).catch((err: unknown) => {
      throw dbError('DB_LOCK_FAILED', `cannot create a lock file in ${this.dir}: ${errCode(err) ?? String(err)}`, { dir: this.dir }, err);
    });
    const deadline = Date.now() + this.timeoutMs;
    try {
      for (;;) {
        try {
          await link(tmp, file);
          return;
        } catch (err) {
          if (errCode(err) !== 'EEXIST') throw dbError('DB_LOCK_FAILED', `cannot create ${file}`, { file }, err);
        }
        if (file === this.lockFile && (await this.breakIfStale())) continue;
        if (Date.now() >= deadline) {
          throw new IscsiError('DB_LOCK_TIMEOUT', `Timeout on acquiring lock on DB (${file})`, {
            errno: ISCSI_ERR.IDBM, retryable: true, details: { file },
          });
        }
        await sleep(this.retryMs);
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Remove `.lock` if its holder is gone. Returns true when it was removed. */
  private async breakIfStale(): Promise<boolean> {
    const seen = await readHolder(this.lockFile);
    if (seen === undefined || !(await isStale(this.lockFile, seen))) return false;
    await this.clearDeadBreaker();
    const tmp = tempPath(this.dir);
    await writeFile(tmp, await holderId(), { mode: 0o644 });
    try {
      await link(tmp, this.breakFile);
    } catch {
      return false; // another process is breaking it; retry later
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    try {
      const again = await readHolder(this.lockFile);
      if (again !== seen || !(await isStale(this.lockFile, again))) return false;
      await unlink(this.lockFile).catch(() => undefined);
      return true;
    } finally {
      await unlink(this.breakFile).catch(() => undefined);
    }
  }

  private async clearDeadBreaker(): Promise<void> {
    const content = await readHolder(this.breakFile);
    if (content === undefined || !(await isStale(this.breakFile, content))) return;
    const aside = tempPath(this.dir);
    await rename(this.breakFile, aside).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
  }
}

let myId: { pid: number; id: string } | undefined;

/** This process's identity as written into lock files (pid + start time; cached per pid). */
async function holderId(): Promise<string> {
  if (myId?.pid !== process.pid) myId = { pid: process.pid, id: `${process.pid} ${(await processStartTime(process.pid)) ?? '-'}\n` };
  return myId.id;
}

async function readHolder(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether the holder recorded in `content` is gone (see module comment). */
async function isStale(file: string, content: string): Promise<boolean> {
  const m = /^(\d+) (\S+)\n$/.exec(content);
  if (!m) {
    const st = await stat(file).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs > GARBAGE_STALE_MS;
  }
  const pid = Number(m[1]);
  if (!isProcessAlive(pid)) return true;
  const start = m[2];
  if (start === '-') return false;
  const now = await processStartTime(pid);
  return now !== undefined && now !== start;
}
