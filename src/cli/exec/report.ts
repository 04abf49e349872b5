/**
 * Failure reporting shared by the executors: iscsiadm's error lines on stderr, the
 * `error` document with `--json`, and the exit status (an ISCSI_ERR_* number).
 */
import { IscsiError } from '../../shared/errors.js';
import { errorJson } from '../render/json.js';
import { errText } from '../render/messages.js';
import { ERR_PREFIX, errorLine } from '../render/text.js';
import type { Rendered } from '../render/types.js';
import { isConnectError } from './api.js';
import type { ExecContext, Io } from './context.js';

/** The text of an error document: the stderr lines without `iscsiadm: `, else errText. */
export function messageOf(r: Rendered, errno: number): string {
  const text = r.stderr.map((l) => (l.startsWith(ERR_PREFIX) ? l.slice(ERR_PREFIX.length) : l)).join('\n');
  return text === '' ? errText(errno) : text;
}

/** Print `r`, add the `error` document with `--json`, and return `errno` (the exit status). */
export function fail(ctx: Pick<ExecContext, 'io'>, errno: number, r: Rendered): number {
  ctx.io.text(r);
  ctx.io.doc(() => errorJson(errno, messageOf(r, errno)));
  return errno;
}

/** `fail` with one or more `iscsiadm: <text>` lines. */
export function failWith(ctx: Pick<ExecContext, 'io'>, errno: number, ...texts: string[]): number {
  return fail(ctx, errno, { stdout: [], stderr: texts.map((t) => `${ERR_PREFIX}${t}`) });
}

/** The daemon's stable error code, if `err` is one of ours. */
export function codeOf(err: unknown): string | undefined {
  return err instanceof IscsiError ? err.code : undefined;
}

/** A detail field of a daemon error, as text. */
export function detailOf(err: unknown, key: string): string {
  const v = err instanceof IscsiError ? err.details[key] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

/** Linux errno numbers of the connect(2) failures the client reports (node:os is not loaded for this). */
const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EAGAIN: 11, EACCES: 13, ENOTDIR: 20, ENOTSOCK: 88, EPROTOTYPE: 91, ECONNRESET: 104, ETIMEDOUT: 110, ECONNREFUSED: 111,
};

/**
 * What iscsiadm prints when it cannot reach iscsid: for a daemon that is not there, the
 * startup hint and `can not connect to iSCSI daemon (<errno>)!`; otherwise, or when
 * iscsiadm did not try to start iscsid (`-k`, `autostart` false), the second line alone
 * (the number is the connect(2) errno, e.g. 111 ECONNREFUSED, 13 EACCES).
 */
export function connectFailure(err: IscsiError, autostart = true): Rendered {
  const sys = typeof err.details.syscallCode === 'string' ? err.details.syscallCode : '';
  // iscsiadm's abstract socket has no file: nobody listening is always ECONNREFUSED (111).
  // Our socket file is missing (ENOENT) when the daemon never ran: the same situation.
  const num = err.code === 'DAEMON_NOT_RUNNING' ? ERRNO.ECONNREFUSED! : ERRNO[sys] ?? 0;
  const last = `can not connect to iSCSI daemon (${num})!`;
  if (err.code !== 'DAEMON_NOT_RUNNING' || !autostart) return errorLine(last);
  return {
    stdout: [],
    stderr: [
      `${ERR_PREFIX}iscsid is not running. Could not start it up automatically using the startup command in the iscsid.conf iscsid.startup setting. Please check that the file exists or that your init scripts have started iscsid.`,
      `${ERR_PREFIX}${last}`,
    ],
  };
}

/**
 * An error no executor mapped: `iscsiadm: <message>` and its errno. A connect failure
 * was already reported when it happened, so only its exit status (and document) follow.
 */
export function unexpected(ctx: Pick<ExecContext, 'io'>, err: unknown): number {
  if (isConnectError(err)) {
    ctx.io.doc(() => errorJson(err.errno, errText(err.errno)));
    return err.errno;
  }
  if (err instanceof IscsiError) return failWith(ctx, err.errno, err.message);
  const text = err instanceof Error ? err.message : String(err);
  return failWith(ctx, 9, `internal error: ${text}`);
}

/** Write stderr notices (warnings iscsiadm prints before acting). */
export function notices(io: Io, lines: readonly string[]): void {
  if (lines.length > 0) io.text({ stdout: [], stderr: lines });
}

/** Print a CliError (argument error, or a deferred one after its state check passed). */
export function cliFailure(ctx: Pick<ExecContext, 'io'>, e: { exitCode: number; stdout: readonly string[]; stderr: readonly string[] }): number {
  ctx.io.text({ stdout: e.stdout, stderr: e.stderr });
  ctx.io.doc(() => errorJson(e.exitCode, messageOf({ stdout: [], stderr: [...e.stderr, ...e.stdout] }, e.exitCode)));
  return e.exitCode;
}
