/**
 * Helpers for the executor unit tests: a fake daemon API (handlers per method, every
 * call recorded), a context writing into buffers, command parsing through the real
 * argv layer, and daemon-shaped fixtures (sessions, record dumps, login outcomes).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCliError, parseCommandLine, type Command } from '../../../src/cli/argv/index.js';
import type { Api, MethodName, Params, Result } from '../../../src/cli/exec/api.js';
import { bufferIo, type ExecContext } from '../../../src/cli/exec/context.js';
import type { Progress } from '../../../src/cli/exec/progress.js';
import type { SessionInfo } from '../../../src/cli/exec/views.js';
import { IscsiError, type IscsiErrNumber } from '../../../src/shared/errors.js';

type Handler<M extends MethodName> = (params: Params<M>) => Result<M> | Promise<Result<M>>;
export type Handlers = { [M in MethodName]?: Handler<M> };

/** A fake API: unknown methods fail the test loudly. */
export function fakeApi(handlers: Handlers, extra: { methods?: string[]; any?: Record<string, (p: object) => unknown> } = {}) {
  const calls: Array<{ method: string; params: unknown }> = [];
  const events: Array<(e: { type: string }) => void> = [];
  const api: Api & { calls: typeof calls; emit: (e: { type: string }) => void } = {
    calls,
    emit: (e) => events.forEach((cb) => cb(e)),
    async call(method, params) {
      calls.push({ method, params });
      const h = handlers[method] as ((p: unknown) => unknown) | undefined;
      if (!h) throw new Error(`unexpected call ${method}`);
      return (await h(params)) as never;
    },
    async callAny(method, params) {
      calls.push({ method, params });
      const h = extra.any?.[method];
      if (!h) throw new Error(`unexpected call ${method}`);
      return h(params);
    },
    async methods() {
      return extra.methods ?? Object.keys(handlers);
    },
    async subscribe(_types, onEvent) {
      events.push(onEvent as (e: { type: string }) => void);
      return async () => undefined;
    },
    close() {},
  };
  return api;
}

/** A daemon error as the client rebuilds it. */
export function daemonError(code: string, errno: number, details: Record<string, unknown> = {}, message = code.toLowerCase()): IscsiError {
  return new IscsiError(code, message, { errno: errno as IscsiErrNumber, details });
}

/** A context over buffers. */
export function context(api: Api, opts: { json?: boolean; sysfs?: string; progress?: Progress } = {}) {
  const io = bufferIo(opts.json ?? false);
  const ctx: ExecContext = {
    api, io, json: opts.json ?? false, dbRoot: '/var/lib/tsiscsi', sysfs: opts.sysfs ?? emptyDir(),
    ...(opts.progress ? { progress: opts.progress } : {}),
  };
  return { ctx, io };
}

/** An empty temp directory (a sysfs without iSCSI hosts or firmware). */
export function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsiscsiadm-sys-'));
}

/** Parse a command line with the real argv layer; fails the test on a CliError. */
export function command<M extends Command['mode']>(mode: M, argv: string[]): Extract<Command, { mode: M }> {
  const c = parseCommandLine(argv);
  if (isCliError(c)) throw new Error(`argv error: ${c.stderr.join(' | ')}`);
  if (c.mode !== mode) throw new Error(`expected mode ${mode}, got ${c.mode}`);
  return c as Extract<Command, { mode: M }>;
}

export const T1 = 'iqn.2024-01.org.example:t1';
export const T2 = 'iqn.2024-01.org.example:t2';

/** A node record identity. */
export function node(target: string, address = '10.0.0.1', port = 3260, tpgt = 1, iface = 'default') {
  return { target, address, port, tpgt, iface };
}

/** A logged-in usertcp session as session.list reports it. */
export function session(sid: number, target: string, over: Partial<SessionInfo> = {}): SessionInfo {
  const n = node(target);
  return {
    sid, target, tpgt: 1, transport: 'tcp', dataPath: 'usertcp', flash: false,
    currentPortal: { address: n.address, port: n.port }, persistentPortal: { address: n.address, port: n.port },
    iface: { name: 'default', transport: 'tcp', initiatorName: 'iqn.2016-04.com.tsiscsi:abc', ipAddress: '10.0.0.9', hwAddress: '', netdev: '' },
    states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
    timeouts: { recovery: 120, targetReset: 30, lunReset: 30, abort: 15, login: 15, logout: 15, noopOutInterval: 5, noopOutTimeout: 5 },
    chap: { username: '', password: '', usernameIn: '', passwordIn: '' },
    negotiated: {
      headerDigest: 'None', dataDigest: 'CRC32C', maxRecvDataSegmentLength: 262144, maxXmitDataSegmentLength: 8192,
      firstBurstLength: 65536, maxBurstLength: 262144, immediateData: true, initialR2T: false, maxOutstandingR2T: 1,
      maxConnections: 1, defaultTime2Wait: 2, defaultTime2Retain: 0, errorRecoveryLevel: 0, dataPDUInOrder: true, dataSequenceInOrder: true,
    },
    node: n, startup: 'manual', isid: '00023d000001', tsih: 1, loggedInAt: '2026-01-01T00:00:00.000Z',
    scsi: {
      hostNumber: null, hostState: 'running', scannedAt: '2026-01-01T00:00:00.000Z',
      luns: [{
        lun: 1, channel: 0, targetId: 0, deviceType: 0, deviceTypeName: 'Direct-Access', vendor: 'IET', product: 'VIRTUAL-DISK',
        revision: '0001', sizeBytes: 67108864, blocks: 131072, blockLength: 512, serial: 'beaf11', blockDevice: null, state: 'running',
      }],
    },
    ...over,
  };
}

/** A record dump in the daemon's display form. */
export function dump(version: string, entries: Array<[string, string]>) {
  const text = [`# BEGIN RECORD ${version}`, ...entries.map(([k, v]) => `${k} = ${v}`), '# END RECORD', ''].join('\n');
  return { entries, text };
}

/** A progress recorder. */
export function recordingProgress() {
  const log: string[] = [];
  const p: Progress = {
    start: (label, total) => log.push(`start ${label} ${total}`),
    tick: () => log.push('tick'),
    done: () => log.push('done'),
  };
  return { p, log };
}
