/**
 * Node-record edits shared by node mode and session mode (`-r N -o update|delete`):
 * iscsiadm's messages for bad keys and values, records in use, and the summary
 * `Could not execute operation on all records: <error>` after any per-record failure.
 */
import { actionJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { concat, NOTHING } from '../render/text.js';
import type { Rendered } from '../render/types.js';
import type { ExecContext } from './context.js';
import { codeOf, detailOf, fail, failWith, unexpected } from './report.js';
import { loginTarget, patchOf, type NodeKey } from './views.js';

/** Which node records (open-iscsi's matching rule; absent fields match anything). */
export interface Selector {
  target?: string;
  address?: string;
  port?: number;
  iface?: string;
}

type ItemError = { errno: number; code: string; message: string };

const ALL_RECORDS = 'Could not execute operation on all records: ';

/** A daemon error about a key/value of `-n/-v`, in iscsiadm's words; undefined if it is not one. */
export function keyError(ctx: ExecContext, err: unknown, summary: string | undefined): number | undefined {
  const key = detailOf(err, 'key');
  const tail = summary === undefined ? [] : [summary];
  switch (codeOf(err)) {
    case 'UNKNOWN_KEY':
      return failWith(ctx, 7, `Cannot modify ${key}. Invalid param name.`, ...tail);
    case 'READ_ONLY_KEY':
      return failWith(ctx, 7, `Cannot modify ${key}. It is used to look up the record and cannot be changed.`, ...tail);
    case 'INVALID_VALUE':
      return failWith(ctx, 7, `unknown value format '${detailOf(err, 'value')}' for parameter name '${key}'`, `Unknown parameter ${key}.`, ...tail);
    case 'KEY_OWNED_BY_OTHER_MODE':
      return failWith(ctx, 7, `Cannot modify ${key}. Use iface mode to update this value.`);
    default:
      return undefined;
  }
}

function itemLine(node: NodeKey, e: ItemError, op: 'update' | 'delete'): Rendered {
  if (e.code === 'SESSION_EXISTS') {
    return op === 'delete'
      ? msg.recordInUse(loginTarget(node))
      : msg.error('Cannot modify node/iface transport name while a session is using it. Log out the session then update record.');
  }
  return msg.error(e.message);
}

function report(ctx: ExecContext, op: 'update' | 'delete', r: { results: Array<{ node: NodeKey; error?: ItemError | undefined }>; firstErrno: number }): number {
  const failed = r.results.filter((x) => x.error !== undefined);
  ctx.io.text(concat(
    ...failed.map((x) => itemLine(x.node, x.error!, op)),
    failed.length > 0 ? msg.error(`${ALL_RECORDS}${msg.errText(r.firstErrno)}`) : NOTHING,
  ));
  ctx.io.doc(() => actionJson(`node.${op}`, r.results.map((x) => ({
    object: { ...x.node }, ok: !x.error, errno: x.error?.errno ?? 0, error: x.error ? msg.errText(x.error.errno) : '',
  })), r.firstErrno));
  return r.firstErrno;
}

/** `-o update -n k -v v` on the matching records (prints nothing on success, like iscsiadm). */
export async function updateNodes(ctx: ExecContext, selector: Selector, params: ReadonlyArray<{ name: string; value: string }>): Promise<number> {
  try {
    const r = await ctx.api.call('node.update', { ...selector, values: patchOf(params) });
    return report(ctx, 'update', r);
  } catch (err) {
    if (codeOf(err) === 'NO_RECORDS_FOUND') return fail(ctx, 21, msg.noRecordsFound());
    return keyError(ctx, err, `${ALL_RECORDS}${msg.errText(7)}`) ?? unexpected(ctx, err);
  }
}

/** `-o delete` on the matching records (records a session uses are kept: exit 15). */
export async function deleteNodes(ctx: ExecContext, selector: Selector): Promise<number> {
  try {
    return report(ctx, 'delete', await ctx.api.call('node.delete', { ...selector }));
  } catch (err) {
    if (codeOf(err) === 'NO_RECORDS_FOUND') return fail(ctx, 21, msg.noRecordsFound());
    return unexpected(ctx, err);
  }
}
