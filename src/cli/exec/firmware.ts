/**
 * Firmware boot targets (iBFT / iscsi_boot): `-m fw`, `-m fw -l [-W]`, `-m discovery -t fw`
 * and `-m discoverydb -t fw -D` (reference open-iscsi.md §6.8, boot-and-isns.md §1.8–§2.5).
 *
 * - The targets are read from `<sysfs>/firmware` here, like iscsiadm's fw_get_targets
 *   (firmware-sysfs.ts); `-m fw` needs no daemon. None: `iscsiadm: Could not get list of
 *   targets from firmware. (err 21)`, exit 21 (22 without a firmware directory).
 * - `-m fw` prints one `# BEGIN RECORD` block per target (render/firmware.ts), exit 0.
 * - `-m fw -l`: iscsiadm 2.1.8 logs in one target after the other and ignores `-W` there
 *   (exec_fw_op calls iscsi_login_portal, which waits): per target `Logging in to [...]`
 *   then its result line; a target whose session already exists prints nothing. The exit
 *   status is 0 whatever the logins did (2.1.8 ignores their result). The daemon logs in
 *   with the boot overrides and marks the sessions as firmware/onboot sessions.
 * - `-m discovery -t fw`: the daemon stores the node records; the `-P 0` lines (or `-P 1`
 *   tree) follow in firmware order; `-l` then logs in like discovery does.
 */
import type { DiscoveryCommand, DiscoveryDbCommand, FwCommand } from '../argv/types.js';
import { renderDiscoveredFlat, renderDiscoveredTree } from '../render/discovery.js';
import { firmwareJson, renderFirmwareRecords } from '../render/firmware.js';
import { actionJson, jsonDocument } from '../render/json.js';
import * as msg from '../render/messages.js';
import { concat, NOTHING, toStdout } from '../render/text.js';
import type { Rendered } from '../render/types.js';
import { isConnectError, type Params } from './api.js';
import type { ExecContext } from './context.js';
import { readFirmwareTargets, type BootContext, type FirmwareScan } from './firmware-sysfs.js';
import { loginEnds, loginItems, loginStarts, type LoginOutcome } from './outcomes.js';
import { fail, unexpected } from './report.js';
import { loginTarget, nodeView } from './views.js';

type FirmwareTargetParams = Params<'firmware.login'>['targets'][number];

/** Scan sysfs, printing the scan's stdout notices and, when nothing was found, the error. */
function scan(ctx: ExecContext): FirmwareScan {
  const s = readFirmwareTargets(ctx.sysfs);
  if (s.notices.length > 0) ctx.io.text(toStdout(s.notices));
  if (s.errno !== 0) fail(ctx, s.errno, msg.fwNoTargets(s.errno));
  return s;
}

function targetParams(c: BootContext): FirmwareTargetParams {
  return {
    target: c.targetName, address: c.targetAddress, port: c.targetPort, initiatorName: c.initiatorName,
    username: c.chapName, password: c.chapPassword, usernameIn: c.chapNameIn, passwordIn: c.chapPasswordIn,
  };
}

/** Targets the daemon can take (firmware may carry names or ports our schemas refuse). */
function usable(ctx: ExecContext, targets: readonly BootContext[]): FirmwareTargetParams[] {
  const out: FirmwareTargetParams[] = [];
  for (const c of targets) {
    if (c.targetName === '' || c.targetAddress === '' || c.targetAddress.length > 255 || c.targetPort < 1 || c.targetPort > 65535) {
      ctx.io.text(msg.error('Could not convert firmware info to node record.'));
      continue;
    }
    out.push(targetParams(c));
  }
  return out;
}

/** One target's lines: `Logging in to [...]` and its result; nothing when its session exists already. */
function oneLogin(o: LoginOutcome): Rendered {
  if (o.error?.errno === 15) return NOTHING;
  const t = loginTarget(o.node);
  return concat(msg.loggingIn(t, o.multiple), o.error ? msg.loginFailed(t, o.error.errno) : msg.loginSucceeded(t));
}

/** What iscsiadm prints per target when iscsid cannot be reached: each login fails with 20. */
export function fwLoginsUnreachable(targets: readonly { target: string; address: string; port: number }[]): Rendered {
  return concat(...targets.map((t) => {
    const lt = { iface: 'default', target: t.target, address: t.address, port: t.port };
    return concat(msg.loggingIn(lt), msg.loginFailed(lt, 20));
  }));
}

async function fwLogin(ctx: ExecContext, s: FirmwareScan): Promise<number> {
  const targets = usable(ctx, s.targets);
  if (targets.length === 0) return 0;
  let r;
  try {
    r = await ctx.api.call('firmware.login', { targets }, { timeoutMs: 0 });
  } catch (err) {
    if (!isConnectError(err)) throw err;
    // The connect failure lines were printed already; iscsiadm still exits 0 here.
    ctx.io.text(fwLoginsUnreachable(targets));
    ctx.io.doc(() => actionJson('login', targets.map((t) => ({ object: firmwareNodeKey(t), ok: false, errno: 20, error: msg.errText(20) })), 0));
    return 0;
  }
  ctx.io.text(concat(...r.results.map(oneLogin)));
  ctx.io.doc(() => actionJson('login', loginItems(r.results), 0));
  return 0;
}

const firmwareNodeKey = (t: FirmwareTargetParams) => ({ target: t.target, address: t.address, port: t.port, tpgt: 1, iface: 'default' });

/** Run `-m fw [-l] [-W]`; returns the exit status. */
export async function execFirmware(cmd: FwCommand, ctx: ExecContext): Promise<number> {
  const s = scan(ctx);
  if (s.errno !== 0) return s.errno;
  if (cmd.action === 'login') {
    try {
      return await fwLogin(ctx, s);
    } catch (err) {
      return unexpected(ctx, err);
    }
  }
  ctx.io.text(renderFirmwareRecords(s.targets));
  ctx.io.doc(() => firmwareJson(s.targets));
  return 0;
}

/** `-m discovery -t fw [-P 1] [-l] [-o op]` and `-m discoverydb -t fw -D`; returns the exit status. */
export async function firmwareDiscovery(ctx: ExecContext, cmd: DiscoveryCommand | DiscoveryDbCommand): Promise<number> {
  const s = scan(ctx);
  if (s.errno !== 0) return s.errno;
  // iscsiadm reads the firmware twice here (exec_fw_disc_op, then discovery_fw for the
  // default iface), so whatever the scan prints appears twice.
  if (s.notices.length > 0) ctx.io.text(toStdout(s.notices));
  const targets = usable(ctx, s.targets);
  if (targets.length === 0) return 0;
  const ops = cmd.ops.filter((o): o is 'new' | 'update' | 'delete' | 'nonpersistent' => ['new', 'update', 'delete', 'nonpersistent'].includes(o));
  try {
    const r = await ctx.api.call('discovery.firmware', { targets, ...(ops.length > 0 ? { ops } : {}), ...(cmd.login ? { login: true } : {}) }, { timeoutMs: 0 });
    ctx.io.text(concat(...r.failed.map((f) => msg.error(f.error.message))));
    const nodes = r.portals.map(nodeView);
    ctx.io.text(cmd.printLevel === 1 ? renderDiscoveredTree(nodes) : renderDiscoveredFlat(nodes));
    if (r.logins) ctx.io.text(concat(loginStarts(r.logins), loginEnds(r.logins)));
    ctx.io.doc(() => jsonDocument('discovery.results', { nodes, ...(r.logins ? { logins: loginItems(r.logins) } : {}), errno: r.firstErrno }));
    return r.firstErrno;
  } catch (err) {
    return unexpected(ctx, err);
  }
}
