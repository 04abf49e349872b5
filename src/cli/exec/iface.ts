/**
 * `-m iface` (reference §6.6): listing (`-P 0`, `-P 1` with bound nodes), one record
 * (`-I x [-o show]`), `-o new|update|delete`, and the offload-only `apply`, `applyall`
 * and `-C ping`. Messages and exit statuses follow iscsiadm 2.1.8, including its
 * quirks (a failed update still exits 0; `-o new` on an existing iface says "added").
 */
import type { IfaceCommand } from '../argv/types.js';
import { actionJson, ifacesJson, recordsJson } from '../render/json.js';
import * as msg from '../render/messages.js';
import { renderIfaceFlat, renderIfaceTree } from '../render/iface.js';
import { renderRecords } from '../render/record.js';
import type { IfaceTreeView } from '../render/types.js';
import type { Result } from './api.js';
import type { ExecContext } from './context.js';
import { keyError } from './records.js';
import { codeOf, fail, failWith, unexpected } from './report.js';
import { ISCSIADM_VERSION, nodeView, patchOf, recordView } from './views.js';

type IfaceSummary = Result<'iface.list'>['ifaces'][number];

function view(i: IfaceSummary): IfaceTreeView {
  return {
    name: i.name, builtin: i.builtin, transport: i.transport, hwAddress: i.hwAddress, ipAddress: i.ipAddress,
    netIfacename: i.netIfacename, initiatorName: i.initiatorName, nodes: i.nodes.map(nodeView),
  };
}

async function list(ctx: ExecContext, tree: boolean): Promise<number> {
  const r = await ctx.api.call('iface.list', {});
  const views = r.ifaces.map(view);
  ctx.io.text(tree ? renderIfaceTree(views) : renderIfaceFlat(views));
  ctx.io.doc(() => ifacesJson(tree ? views : views.map(({ nodes: _n, ...rest }) => rest)));
  return views.length === 0 ? 21 : 0;
}

async function show(ctx: ExecContext, name: string): Promise<number> {
  try {
    const r = await ctx.api.call('iface.show', { name, recordVersion: ISCSIADM_VERSION });
    const records = [recordView('iface', r.record)];
    ctx.io.text(renderRecords(records));
    ctx.io.doc(() => recordsJson(records));
    return 0;
  } catch (err) {
    // iscsiadm 2.1.8 prints idbm's own error line (unprefixed, with its source location), exit 6.
    if (codeOf(err) === 'RECORD_NOT_FOUND') {
      return fail(ctx, 6, { stdout: [], stderr: [`iSCSI ERROR: Failed to open ${ctx.dbRoot}/ifaces/${name} using read mode: 2 No such file or directory # idbm.c:_idbm_recs_read():834`] });
    }
    throw err;
  }
}

function done(ctx: ExecContext, action: string, name: string, errno = 0): number {
  ctx.io.doc(() => actionJson(action, [{ object: { iface: name }, ok: errno === 0, errno, error: errno === 0 ? '' : msg.errText(errno) }], errno));
  return errno;
}

async function create(ctx: ExecContext, name: string): Promise<number> {
  try {
    await ctx.api.call('iface.new', { name });
  } catch (err) {
    if (codeOf(err) === 'BUILTIN_IFACE') {
      return failWith(ctx, 7, `iface ${name} is a special interface and is not stored in ${ctx.dbRoot}/ifaces.`, `Could not create new interface ${name}.`);
    }
    // iscsiadm 2.1.8 rewrites an existing iface and reports it as added.
    if (codeOf(err) !== 'RECORD_EXISTS') throw err;
  }
  ctx.io.text(msg.ifaceCreated(name));
  return done(ctx, 'iface.new', name);
}

/** iscsiadm 2.1.8 exits 0 after a failed iface update; the messages say what went wrong. */
async function update(ctx: ExecContext, name: string, params: IfaceCommand['params']): Promise<number> {
  const quiet = { ...ctx, io: { text: ctx.io.text, doc: () => undefined } };
  try {
    await ctx.api.call('iface.update', { name, values: patchOf(params) });
    ctx.io.text(msg.ifaceUpdated(name));
    return done(ctx, 'iface.update', name);
  } catch (err) {
    const summary = `Could not update iface ${name}: ${msg.errText(7)}`;
    switch (codeOf(err)) {
      case 'RECORD_NOT_FOUND': return failWith(ctx, 7, `Could not read iface info for ${name}.`);
      case 'BUILTIN_IFACE':
        failWith(quiet, 7, `iface ${name} is a special interface and cannot be modified.`, summary);
        done(ctx, 'iface.update', name, 7);
        return 0;
      default: {
        const code = keyError(quiet, err, summary);
        if (code === undefined) throw err;
        done(ctx, 'iface.update', name, code);
        return 0;
      }
    }
  }
}

async function remove(ctx: ExecContext, name: string): Promise<number> {
  try {
    await ctx.api.call('iface.delete', { name });
    ctx.io.text(msg.ifaceDeleted(name));
    return done(ctx, 'iface.delete', name);
  } catch (err) {
    const why = (errno: number): string => `Could not delete iface ${name}: ${msg.errText(errno)}`;
    switch (codeOf(err)) {
      case 'RECORD_NOT_FOUND': return failWith(ctx, 7, `Could not read iface info for ${name}.`, why(7));
      case 'BUILTIN_IFACE': return failWith(ctx, 7, `iface ${name} is a special interface and cannot be deleted.`, why(7));
      case 'SESSION_EXISTS': return failWith(ctx, 15, why(15));
      default: throw err;
    }
  }
}

/** `-o apply` / `-C ping`: the iface must exist; a software (tcp) iface has nothing to push. */
async function offload(ctx: ExecContext, cmd: IfaceCommand, name: string): Promise<number> {
  try {
    await ctx.api.call('iface.show', { name });
  } catch (err) {
    if (codeOf(err) !== 'RECORD_NOT_FOUND') throw err;
    return cmd.action === 'ping' ? failWith(ctx, 21, `Could not read iface ${name} (21).`) : failWith(ctx, 7, `Could not read iface info for ${name}.`);
  }
  if (cmd.action === 'apply') {
    ctx.io.text(msg.error('Nothing to configure.'));
    ctx.io.text(msg.ifaceApplied(name));
    return done(ctx, 'iface.apply', name);
  }
  // Ping goes through an offload card's firmware; usertcp/tcp ifaces have none.
  return fail(ctx, 14, { stdout: [`Ping 1 failed: ${msg.errText(14)}`], stderr: [] });
}

async function dispatch(ctx: ExecContext, cmd: IfaceCommand): Promise<number> {
  const name = cmd.ifaces[0] ?? '';
  switch (cmd.action) {
    case 'list': return list(ctx, false);
    case 'tree': return list(ctx, true);
    case 'show': return show(ctx, name);
    case 'new': return create(ctx, name);
    case 'update': return update(ctx, name, cmd.params);
    case 'delete': return remove(ctx, name);
    case 'apply':
    case 'ping': return offload(ctx, cmd, name);
    case 'applyall': {
      const host = cmd.host?.kind === 'number' ? cmd.host.hostNo : 0;
      return failWith(ctx, 23, `Could not match host${host} to ifaces.`);
    }
  }
}

/** Run a `-m iface` command; returns the exit status. */
export async function execIface(cmd: IfaceCommand, ctx: ExecContext): Promise<number> {
  try {
    return await dispatch(ctx, cmd);
  } catch (err) {
    return unexpected(ctx, err);
  }
}
