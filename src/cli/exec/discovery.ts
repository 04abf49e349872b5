/**
 * `-m discovery` and `-m discoverydb` (reference §6.1): SendTargets discovery (the
 * `-P 0` portal lines or the `-P 1` tree, then the logins of `-l`), the stored
 * discovery records (listing, `-o show|delete`, discoverydb `-o new|update`), and
 * firmware and iSNS discovery (discovery-isns.ts).
 */
import type { DiscoveryCommand, DiscoveryDbCommand, Portal } from '../argv/types.js';
import { actionJson, recordsJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderRecords } from '../render/record.js';
import { concat } from '../render/text.js';
import { isConnectError } from './api.js';
import type { ExecContext } from './context.js';
import { discoveryParams, ifaceMissing, printDiscovered } from './discovered.js';
import { isnsDiscovery } from './discovery-isns.js';
import { listDiscovery } from './discovery-list.js';
import { firmwareDiscovery } from './firmware.js';
import { withLoginProgress } from './progress.js';
import { keyError } from './records.js';
import { cliFailure, codeOf, fail, failWith, unexpected } from './report.js';
import { ISCSIADM_VERSION, patchOf, recordView } from './views.js';

type Command = DiscoveryCommand | DiscoveryDbCommand;

/** `Discovery record [a,p] not found!` (discovery mode, exit 7) or `... not found.` (discoverydb, exit 6). */
function recordMissing(ctx: ExecContext, cmd: Command, p: Portal): number {
  if (cmd.mode === 'discovery') return failWith(ctx, 7, `Discovery record [${p.address},${p.port}] not found!`);
  return fail(ctx, 6, msg.discoveryRecordNotFound(p.address, p.port));
}

function recordType(cmd: Command): 'sendtargets' | 'isns' {
  return cmd.type === 'isns' ? 'isns' : 'sendtargets';
}

/** Whether the stored record for the command's portal exists (undefined: it does). */
async function needRecord(ctx: ExecContext, cmd: Command, p: Portal): Promise<number | undefined> {
  try {
    await ctx.api.call('discovery.show', { type: recordType(cmd), address: p.address, port: p.port });
    return undefined;
  } catch (err) {
    if (codeOf(err) === 'RECORD_NOT_FOUND') return recordMissing(ctx, cmd, p);
    throw err;
  }
}

function discoveryFailed(ctx: ExecContext, err: unknown): number {
  if (isConnectError(err)) return fail(ctx, err.errno, msg.sendTargetsFailed(err.errno));
  if (codeOf(err) === 'NO_PORTALS_FOUND') return fail(ctx, 21, msg.noPortalsFound());
  if (codeOf(err) === 'IFACE_NOT_FOUND') return ifaceMissing(ctx, err);
  if (!(err instanceof Error) || typeof (err as { errno?: unknown }).errno !== 'number') throw err;
  const errno = (err as Error & { errno: number }).errno;
  return fail(ctx, errno, concat(msg.error(err.message), msg.sendTargetsFailed(errno)));
}

/** SendTargets discovery at `p` (with `-l`: then log in to what was found). */
async function sendTargets(ctx: ExecContext, cmd: Command, p: Portal): Promise<number> {
  const params = discoveryParams(cmd, p);
  const progress = cmd.login ? ctx.progress : undefined;
  try {
    // The number of logins is known only once discovery answered; count the records it will use.
    const count = async (): Promise<number> => (await ctx.api.call('node.list', { address: p.address, port: p.port })).nodes.length;
    const r = await withLoginProgress(ctx.api, progress, count, () => ctx.api.call('discovery.sendtargets', params, { timeoutMs: 0 }));
    return printDiscovered(ctx, cmd, r);
  } catch (err) {
    return discoveryFailed(ctx, err);
  }
}

async function showRecord(ctx: ExecContext, cmd: Command, p: Portal): Promise<number> {
  try {
    const r = await ctx.api.call('discovery.show', { type: recordType(cmd), address: p.address, port: p.port, showSecrets: cmd.show, recordVersion: ISCSIADM_VERSION });
    const records = [recordView('discovery', r.record)];
    ctx.io.text(renderRecords(records, { showSecrets: cmd.show }));
    ctx.io.doc(() => recordsJson(records, { showSecrets: cmd.show }));
    return 0;
  } catch (err) {
    if (codeOf(err) === 'RECORD_NOT_FOUND') return recordMissing(ctx, cmd, p);
    throw err;
  }
}

function changed(ctx: ExecContext, action: string, p: Portal, type: string): number {
  ctx.io.doc(() => actionJson(action, [{ object: { type, address: p.address, port: p.port }, ok: true, errno: 0, error: '' }], 0));
  return 0;
}

async function deleteRecord(ctx: ExecContext, cmd: Command, p: Portal): Promise<number> {
  try {
    await ctx.api.call('discovery.delete', { type: recordType(cmd), address: p.address, port: p.port });
    return changed(ctx, 'discovery.delete', p, recordType(cmd));
  } catch (err) {
    if (codeOf(err) === 'RECORD_NOT_FOUND') return recordMissing(ctx, cmd, p);
    throw err;
  }
}

async function updateRecord(ctx: ExecContext, cmd: Command, p: Portal, create: boolean): Promise<number> {
  const type = recordType(cmd);
  const values = patchOf(cmd.params);
  try {
    if (create) {
      try {
        await ctx.api.call('discovery.new', { type, address: p.address, port: p.port, values });
      } catch (err) {
        // iscsiadm 2.1.8 rewrites an existing record and says "added" again.
        if (codeOf(err) !== 'RECORD_EXISTS') throw err;
        if (cmd.params.length > 0) await ctx.api.call('discovery.update', { type, address: p.address, port: p.port, values });
      }
      ctx.io.text(msg.newDiscoveryRecord(p.address, p.port));
      return changed(ctx, 'discovery.new', p, type);
    }
    await ctx.api.call('discovery.update', { type, address: p.address, port: p.port, values });
    return changed(ctx, 'discovery.update', p, type);
  } catch (err) {
    if (codeOf(err) === 'RECORD_NOT_FOUND') return recordMissing(ctx, cmd, p);
    return keyError(ctx, err, undefined) ?? unexpected(ctx, err);
  }
}

/** `discoverydb --discover -n k -v v`: the record gets the values first (created when missing). */
async function applyValues(ctx: ExecContext, cmd: DiscoveryDbCommand, p: Portal): Promise<number | undefined> {
  if (cmd.params.length === 0) return undefined;
  const key = { type: recordType(cmd), address: p.address, port: p.port };
  const values = patchOf(cmd.params);
  try {
    try {
      await ctx.api.call('discovery.update', { ...key, values });
    } catch (err) {
      if (codeOf(err) !== 'RECORD_NOT_FOUND') throw err;
      await ctx.api.call('discovery.new', { ...key, values });
    }
    return undefined;
  } catch (err) {
    return keyError(ctx, err, undefined) ?? unexpected(ctx, err);
  }
}

async function discoverDb(ctx: ExecContext, cmd: DiscoveryDbCommand, p: Portal): Promise<number> {
  if (cmd.type === 'isns') return (await applyValues(ctx, cmd, p)) ?? isnsDiscovery(ctx, cmd, p, true);
  return (await applyValues(ctx, cmd, p)) ?? sendTargets(ctx, cmd, p);
}

async function discoveryMode(ctx: ExecContext, cmd: DiscoveryCommand): Promise<number> {
  const p = cmd.portal;
  switch (cmd.action) {
    case 'list': return listDiscovery(ctx, cmd.printLevel);
    case 'fw': return firmwareDiscovery(ctx, cmd);
    case 'isns': return p ? isnsDiscovery(ctx, cmd, p, false) : failWith(ctx, 7, 'Please specify portal as <ipaddr>:[<ipport>]');
    default: break;
  }
  if (p === undefined) return failWith(ctx, 7, 'Please specify portal as <ipaddr>[:<ipport>]');
  if (cmd.action === 'sendtargets') return sendTargets(ctx, cmd, p);
  const stop = await needRecord(ctx, cmd, p);
  if (stop !== undefined) return stop;
  switch (cmd.action) {
    case 'record-discover': return sendTargets(ctx, cmd, p);
    case 'record-show': return showRecord(ctx, cmd, p);
    case 'record-delete': return deleteRecord(ctx, cmd, p);
    case 'error': return cliFailure(ctx, cmd.deferredError!.error);
  }
}

async function discoveryDbMode(ctx: ExecContext, cmd: DiscoveryDbCommand): Promise<number> {
  const p = cmd.portal;
  switch (cmd.action) {
    case 'list': return listDiscovery(ctx, cmd.printLevel);
    case 'fw': return firmwareDiscovery(ctx, cmd);
    default: break;
  }
  if (p === undefined) return failWith(ctx, 7, 'Please specify portal as <ipaddr>[:<ipport>]');
  switch (cmd.action) {
    case 'new-record': return updateRecord(ctx, cmd, p, true);
    case 'discover': return discoverDb(ctx, cmd, p);
    case 'show': return showRecord(ctx, cmd, p);
    case 'delete': return deleteRecord(ctx, cmd, p);
    case 'update': return updateRecord(ctx, cmd, p, false);
    case 'error': {
      const stop = await needRecord(ctx, cmd, p);
      return stop ?? cliFailure(ctx, cmd.deferredError!.error);
    }
  }
}

/** Run a `-m discovery` / `-m discoverydb` command; returns the exit status. */
export async function execDiscovery(cmd: Command, ctx: ExecContext): Promise<number> {
  try {
    return await (cmd.mode === 'discovery' ? discoveryMode(ctx, cmd) : discoveryDbMode(ctx, cmd));
  } catch (err) {
    return unexpected(ctx, err);
  }
}
