/**
 * The small process pieces: pid file, signal table, privilege drop order.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPidFile, writePidFile } from '../../../src/daemon/pidfile.js';
import { dropPrivileges, type IdentityCalls } from '../../../src/daemon/privileges.js';
import { FORCE_EXIT_AFTER, installSignalHandlers, type SignalTarget } from '../../../src/daemon/signals.js';
import { IscsiError } from '../../../src/shared/errors.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { tempRoot } from './helpers.js';

const root = tempRoot();
afterAll(() => root.rm());

describe('pid file', () => {
  it('writes "<pid>\\n" with mode 0644 even under umask 0077, and removes only its own', async () => {
    const path = join(root.dir, 'a.pid');
    const old = process.umask(0o077);
    try {
      const pf = await writePidFile(path, 4242);
      expect(readFileSync(path, 'utf8')).toBe('4242\n');
      expect(statSync(path).mode & 0o777).toBe(0o644);
      writeFileSync(path, '999999\n'); // someone else took it over
      await pf.remove();
      expect(existsSync(path)).toBe(true);
      writeFileSync(path, '4242\n');
      await pf.remove();
      expect(existsSync(path)).toBe(false);
    } finally {
      process.umask(old);
    }
  });

  it('replaces a stale pid file and refuses one naming a live process', async () => {
    const path = join(root.dir, 'b.pid');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((res) => dead.once('exit', res));
    writeFileSync(path, `${dead.pid}\n`);
    await writePidFile(path, 4243);
    expect(await readPidFile(path)).toBe(4243);
    writeFileSync(path, `${process.pid}\n`); // alive: this test process
    const err = await writePidFile(path, 4244).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IscsiError);
    expect((err as IscsiError).code).toBe('DAEMON_ALREADY_RUNNING');
    expect(await readPidFile(path)).toBe(process.pid);
  });

  it('reports an unwritable location with a typed error', async () => {
    const err = await writePidFile(join(root.dir, 'no/such/dir/c.pid'), 1).catch((e: unknown) => e);
    expect((err as IscsiError).code).toBe('PID_FILE_WRITE_FAILED');
  });
});

class FakeProcess implements SignalTarget {
  readonly handlers = new Map<string, Array<() => void>>();
  exitCode: number | undefined;
  on(sig: NodeJS.Signals, fn: () => void): this {
    this.handlers.set(sig, [...(this.handlers.get(sig) ?? []), fn]);
    return this;
  }
  off(sig: NodeJS.Signals, fn: () => void): this {
    this.handlers.set(sig, (this.handlers.get(sig) ?? []).filter((f) => f !== fn));
    return this;
  }
  exit(code: number): never {
    this.exitCode = code;
    return undefined as never;
  }
  raise(sig: NodeJS.Signals): void {
    for (const f of this.handlers.get(sig) ?? []) f();
  }
}

describe('signals', () => {
  it('SIGTERM and SIGINT stop once, SIGHUP reloads, repeated stops force exit 1', () => {
    const p = new FakeProcess();
    const calls: string[] = [];
    const uninstall = installSignalHandlers({ stop: (s) => calls.push(`stop:${s}`), reload: () => calls.push('reload') }, nullLogger, p);
    p.raise('SIGHUP');
    p.raise('SIGTERM');
    p.raise('SIGINT');
    expect(calls).toEqual(['reload', 'stop:SIGTERM']);
    expect(p.exitCode).toBeUndefined();
    for (let i = 2; i < FORCE_EXIT_AFTER; i++) p.raise('SIGTERM');
    expect(p.exitCode).toBe(1);
    uninstall();
    expect([...p.handlers.values()].every((l) => l.length === 0)).toBe(true);
  });

  it('SIGPIPE is handled (ignored) and does not stop', () => {
    const p = new FakeProcess();
    const calls: string[] = [];
    installSignalHandlers({ stop: () => calls.push('stop'), reload: () => calls.push('reload') }, nullLogger, p);
    p.raise('SIGPIPE');
    expect(p.handlers.get('SIGPIPE')).toHaveLength(1);
    expect(calls).toEqual([]);
  });
});

function fakeIds(euid: number, fail?: string): IdentityCalls & { calls: string[] } {
  const calls: string[] = [];
  let uid = euid;
  let gid = euid;
  const maybeFail = (what: string): void => {
    if (what === fail) throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
  };
  return {
    calls,
    geteuid: () => uid,
    getuid: () => uid,
    getgid: () => gid,
    setgid: (g) => { maybeFail('setgid'); calls.push(`setgid ${g}`); gid = g; },
    setgroups: (gs) => { maybeFail('setgroups'); calls.push(`setgroups [${gs.join(',')}]`); },
    setuid: (u) => { maybeFail('setuid'); calls.push(`setuid ${u}`); uid = u; },
  };
}

describe('dropPrivileges', () => {
  it('as root: setgid, drop supplementary groups, then setuid', () => {
    const ids = fakeIds(0);
    expect(dropPrivileges({ uid: 65534, gid: 65534 }, nullLogger, ids)).toEqual({ groupsDropped: true });
    expect(ids.calls).toEqual(['setgid 65534', 'setgroups []', 'setuid 65534']);
  });

  it('as root without -u/-g still drops supplementary groups (iscsid does)', () => {
    const ids = fakeIds(0);
    dropPrivileges({}, nullLogger, ids);
    expect(ids.calls).toEqual(['setgroups []']);
  });

  it('not root: no setgroups; setuid failure is PRIVILEGE_DROP_FAILED naming the step', () => {
    const ids = fakeIds(1000, 'setuid');
    const err = (() => {
      try {
        dropPrivileges({ uid: 0 }, nullLogger, ids);
      } catch (e) {
        return e as IscsiError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('PRIVILEGE_DROP_FAILED');
    expect(err.details.step).toBe('setuid');
    expect(ids.calls).toEqual([]);
  });
});
