/**
 * `-m host -H N -C chap|flashnode|stats` (reference §6.7) through the daemon's
 * host.* methods. Text output and exit codes follow iscsiadm 2.1.8
 * (exec_host_chap_op, exec_flashnode_op, exec_host_stats_op): a kernel refusal prints
 * netlink.c's `Received iferror` line (not for -ENOSYS), then the operation's message;
 * -EBUSY on CHAP set/delete is exit 28, every other kernel failure exit 1.
 */
import type { HostCommand } from '../argv/types.js';
import { hostStatsJson, jsonDocument, recordsJson } from '../render/json.js';
import { flashnodeLine, hostRecords, kernelFailure } from '../render/host-offload.js';
import { renderRecords } from '../render/record.js';
import { renderHostStats } from '../render/stats.js';
import type { ExecContext } from './context.js';
import { codeOf, fail, failWith, unexpected } from './report.js';
import { IscsiError } from '../../shared/errors.js';

/** iscsiadm's default -x for CHAP (MAX_CHAP_ENTRIES + 1: "no index given"). */
const CHAP_DEFAULT_INDEX = 2049;
const EBUSY = -16;

/** The kernel's errno of a refused request (negative), when the daemon error carries one. */
function kernelErrno(err: unknown): number | undefined {
  if (!(err instanceof IscsiError) || !err.code.startsWith('KERNEL_')) return undefined;
  const v = err.details.errno;
  return typeof v === 'number' ? v : undefined;
}

/** Known daemon errors with iscsiadm's own text (no transport, bad CHAP pair, unknown flashnode key). */
function knownFailure(ctx: ExecContext, err: unknown): number | undefined {
  if (!(err instanceof IscsiError)) return undefined;
  const own = ['HOST_TRANSPORT_NOT_FOUND', 'NETLINK_OPEN_FAILED', 'CHAP_PAIR_INVALID', 'CHAP_INDEX_INVALID', 'FLASHNODE_UNKNOWN_PARAM', 'FLASHNODE_NOT_FOUND', 'FLASHNODE_VALUE_INVALID', 'FLASHNODE_INDEX_REQUIRED'];
  return own.includes(err.code) ? failWith(ctx, err.errno, err.message) : undefined;
}

/** A kernel operation failed: iferror line + texts; `busy` adds its line and exit 28 on -EBUSY. */
function kernelFailed(ctx: ExecContext, err: unknown, texts: string[], busy?: string): number {
  const known = knownFailure(ctx, err);
  if (known !== undefined) return known;
  const errno = kernelErrno(err);
  if (errno === undefined && !(codeOf(err) ?? '').startsWith('NETLINK')) return unexpected(ctx, err);
  const isBusy = busy !== undefined && errno === EBUSY;
  const r = kernelFailure(errno, ...texts, ...(isBusy ? [busy] : []));
  return fail(ctx, isBusy ? 28 : 1, r);
}

const positive = (errno: number | undefined): number => Math.abs(errno ?? 0);

async function chapShow(cmd: HostCommand, ctx: ExecContext, hostNo: number): Promise<number> {
  try {
    const r = await ctx.api.call('host.chap.list', { hostNo, showSecrets: true });
    const entries = cmd.index === undefined ? r.entries : r.entries.filter((e) => BigInt(e.index) === cmd.index);
    const records = hostRecords('chap', entries.map((e) => e.record));
    ctx.io.doc(() => recordsJson(records, { showSecrets: true }));
    ctx.io.text(renderRecords(records, { showSecrets: true }));
    return 0;
  } catch (err) {
    return kernelFailed(ctx, err, [`get_chap_info failed. errno=${positive(kernelErrno(err))}`]);
  }
}

async function chapSet(cmd: HostCommand, ctx: ExecContext, hostNo: number): Promise<number> {
  const index = Number(BigInt.asUintN(16, cmd.index ?? BigInt(CHAP_DEFAULT_INDEX)));
  try {
    const r = await ctx.api.call('host.chap.set', { hostNo, index, params: cmd.params.map((p) => [p.name, p.value] as [string, string]) });
    ctx.io.doc(() => jsonDocument('host.chap.set', { hostNumber: r.hostNo, index: r.index, type: r.type }));
    return 0;
  } catch (err) {
    return kernelFailed(ctx, err, ['CHAP setting failed'], `CHAP index ${index} is in use.`);
  }
}

async function chapDelete(cmd: HostCommand, ctx: ExecContext, hostNo: number): Promise<number> {
  const index = Number(BigInt.asUintN(16, cmd.index ?? BigInt(CHAP_DEFAULT_INDEX)));
  ctx.io.text({ stdout: [`Deleting CHAP index: ${index}`], stderr: [] });
  try {
    const r = await ctx.api.call('host.chap.delete', { hostNo, index });
    ctx.io.doc(() => jsonDocument('host.chap.delete', { hostNumber: r.hostNo, index: r.index }));
    return 0;
  } catch (err) {
    return kernelFailed(ctx, err, ['CHAP Delete failed.'], `CHAP index ${index} is in use.`);
  }
}

async function stats(ctx: ExecContext, hostNo: number): Promise<number> {
  try {
    const r = await ctx.api.call('host.stats', { hostNo });
    const view = { hostNumber: r.hostNo, counters: r.counters.map(([name, v]) => [name, BigInt(v)] as const) };
    ctx.io.doc(() => hostStatsJson(view));
    ctx.io.text(renderHostStats(view));
    return 0;
  } catch (err) {
    return kernelFailed(ctx, err, [`get_host_stats failed. errno=${positive(kernelErrno(err))}`]);
  }
}

/** The flashnode operation of `-o` (none or show: list / show). */
function flashnodeOpOf(cmd: HostCommand): 'show' | 'new' | 'update' | 'delete' | 'login' | 'logout' | 'invalid' {
  if (cmd.ops.length === 0) return 'show';
  if (cmd.ops.length > 1) return 'invalid';
  const op = cmd.ops[0];
  return op === 'show' || op === 'new' || op === 'update' || op === 'delete' || op === 'login' || op === 'logout' ? op : 'invalid';
}

async function flashnode(cmd: HostCommand, ctx: ExecContext, hostNo: number): Promise<number> {
  const op = flashnodeOpOf(cmd);
  const idx = cmd.index === undefined || cmd.index > 0xffffffffn ? undefined : Number(cmd.index);
  if (op === 'invalid') return failWith(ctx, 7, 'Invalid operation');
  if (op === 'show') return flashnodeShow(ctx, hostNo, idx);
  if (op === 'new') {
    if (cmd.portalType === undefined) return failWith(ctx, 7, 'Invalid type mentioned for flashnode');
    try {
      const r = await ctx.api.call('host.flashnode.op', { hostNo, op: 'new', portalType: cmd.portalType });
      ctx.io.doc(() => jsonDocument('host.flashnode.new', { hostNumber: hostNo, index: r.index }));
      ctx.io.text({ stdout: [`New flashnode for host ${hostNo} added at index ${r.index}.`], stderr: [] });
      return 0;
    } catch (err) {
      return kernelFailed(ctx, err, [`Creation of flashnode for host ${hostNo} failed.`]);
    }
  }
  if (idx === undefined) return failWith(ctx, 7, 'Invalid flashnode index');
  const texts: Readonly<Record<typeof op, readonly [string, string]>> = {
    update: [`Update for flashnode ${idx} of host ${hostNo} successful.`, `Update for flashnode ${idx} of host ${hostNo} failed.`],
    delete: [`Flashnode ${idx} of host ${hostNo} deleted.`, `Deletion of flashnode ${idx} of host ${hostNo} failed.`],
    login: [`Login to flashnode ${idx} of host ${hostNo} successful.`, `Login to flashnode ${idx} of host ${hostNo} failed.`],
    logout: [`Logout of flashnode ${idx} of host ${hostNo} successful.`, `Logout of flashnode ${idx} of host ${hostNo} failed.`],
  };
  const [ok, failed] = texts[op];
  try {
    await ctx.api.call('host.flashnode.op', { hostNo, op, index: idx, ...(op === 'update' ? { params: cmd.params.map((p) => [p.name, p.value] as [string, string]) } : {}) });
    ctx.io.doc(() => jsonDocument(`host.flashnode.${op}`, { hostNumber: hostNo, index: idx }));
    ctx.io.text({ stdout: [ok], stderr: [] });
    return 0;
  } catch (err) {
    return kernelFailed(ctx, err, [failed]);
  }
}

async function flashnodeShow(ctx: ExecContext, hostNo: number, idx: number | undefined): Promise<number> {
  try {
    const r = await ctx.api.call('host.flashnode.list', { hostNo, showSecrets: true, ...(idx === undefined ? {} : { index: idx }) });
    if (idx !== undefined) {
      const records = hostRecords('flashnode', r.flashnodes.map((f) => f.record));
      ctx.io.doc(() => recordsJson(records, { showSecrets: true }));
      ctx.io.text(renderRecords(records, { showSecrets: true }));
      return 0;
    }
    ctx.io.doc(() => jsonDocument('host.flashnode.list', {
      hostNumber: hostNo, transport: r.transport,
      flashnodes: r.flashnodes.map((f) => ({ index: f.index, values: Object.fromEntries(f.record.map((e) => [e.key, e.value])) })),
    }));
    if (r.flashnodes.length === 0) return failWith(ctx, 21, `No flashnodes attached to host ${hostNo}.`);
    ctx.io.text({ stdout: r.flashnodes.map((f) => flashnodeLine(r.transport, f.index, f.record)), stderr: [] });
    return 0;
  } catch (err) {
    return kernelFailed(ctx, err, []);
  }
}

/** Runs a `-C chap|flashnode|stats` action on host `hostNo` (already known to exist in sysfs). */
export function execHostOffload(cmd: HostCommand, ctx: ExecContext, hostNo: number): Promise<number> {
  switch (cmd.action) {
    case 'chap-show': return chapShow(cmd, ctx, hostNo);
    case 'chap-set': return chapSet(cmd, ctx, hostNo);
    case 'chap-delete': return chapDelete(cmd, ctx, hostNo);
    case 'stats': return stats(ctx, hostNo);
    case 'flashnode': return flashnode(cmd, ctx, hostNo);
    default: return Promise.resolve(failWith(ctx, 7, 'Invalid operation.'));
  }
}
