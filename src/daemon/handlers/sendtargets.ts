/**
 * `discovery.sendtargets`: SendTargets discovery through each selected iface, then the
 * node records by open-iscsi's ops (RecordStore.applyDiscovery, which keeps user edits),
 * then optionally logins to what was returned (reference §5.6).
 *
 * The discovery session uses the st_config record's credentials (discovery CHAP is
 * separate from session CHAP), login/response timeouts and MaxRecvDataSegmentLength, and
 * is retried up to discovery.sendtargets.reopen_max times on retryable failures.
 */
import { discoverySendTargets } from '../../control/methods/discovery-sendtargets.js';
import type { AnyMethod } from '../../control/method.js';
import type { IfaceEntry, SendTargetsEntry, SendTargetsRecord } from '../../db/index.js';
import { discoverSendTargets } from '../../discovery/sendtargets.js';
import type { SendTargetsResult } from '../../iscsi/sendtargets.js';
import { validateChapConfig } from '../../iscsi/security.js';
import { offloadSendTargets } from '../kernel-discovery.js';
import { diagnoseLoginFailure } from '../login-diagnostics.js';
import { chapFromCredentials } from '../session-options.js';
import { bind, type HandlerContext } from './context.js';
import { runDiscovery, selectIfaces, type DiscoveredPortal } from './discovery-common.js';

type Source = { type: 'sendtargets'; address: string; port: number };

/** One SendTargets exchange through `iface`, retried on retryable failures. */
async function discoverOn(ctx: HandlerContext, source: Source, st: Readonly<SendTargetsRecord>, iface: IfaceEntry): Promise<SendTargetsResult> {
  const notes: string[] = [];
  const chap = chapFromCredentials({
    username: st['discovery.sendtargets.auth.username'], password: st['discovery.sendtargets.auth.password'],
    usernameIn: st['discovery.sendtargets.auth.username_in'], passwordIn: st['discovery.sendtargets.auth.password_in'],
    algorithms: st['node.session.auth.chap_algs'],
  }, notes);
  if (chap) validateChapConfig(chap);
  const log = ctx.log.child({ discovery: `${source.address}:${source.port}`, iface: iface.name });
  for (const n of notes) log.warn({}, n);
  const me = ctx.initiator();
  const name = iface.record['iface.initiatorname'] !== '' ? iface.record['iface.initiatorname'] : me.name;
  const attempts = Math.max(1, st['discovery.sendtargets.reopen_max'] + 1);
  const mrdsl = st['discovery.sendtargets.iscsi.MaxRecvDataSegmentLength'];
  for (let attempt = 1; ; attempt++) {
    try {
      const viaKernel = await offloadSendTargets(ctx.kernel, iface.record, { // offload ifaces with CAP_TEXT_NEGO (kernel-discovery.ts)
        address: source.address, port: source.port, initiatorName: name, ...(me.alias ? { initiatorAlias: me.alias } : {}), isid: ctx.discoveryIsid(), ...(chap ? { chap } : {}),
        loginTimeoutMs: Math.max(1, st['discovery.sendtargets.timeo.login_timeout']) * 1000, responseTimeoutMs: Math.max(1, st['discovery.sendtargets.timeo.active_timeout']) * 1000, clock: ctx.clock, log,
      });
      if (viaKernel) return viaKernel;
      return await discoverSendTargets({
        transport: ctx.transport, portal: { host: source.address, port: source.port },
        initiatorName: name, ...(me.alias ? { initiatorAlias: me.alias } : {}), isid: ctx.discoveryIsid(),
        ...(chap ? { chap } : {}),
        ...(mrdsl >= 512 && mrdsl <= 16777215 ? { offer: { maxRecvDataSegmentLength: mrdsl - (mrdsl % 4) } } : {}),
        loginTimeoutMs: Math.max(1, st['discovery.sendtargets.timeo.login_timeout']) * 1000,
        responseTimeoutMs: Math.max(1, st['discovery.sendtargets.timeo.active_timeout']) * 1000,
        clock: ctx.clock, logger: log,
      });
    } catch (err) {
      const d = diagnoseLoginFailure(err);
      const final = !d.retryable || attempt >= attempts;
      log[final ? 'error' : 'warn']({ code: d.code, errno: d.errno, cause: d.cause, action: d.action, attempt, final }, 'SendTargets discovery failed');
      if (final) throw err;
      await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, ctx.discoveryRetryDelayMs));
    }
  }
}

/** The portals of a SendTargets answer, target by target. */
function portalsOf(result: SendTargetsResult): DiscoveredPortal[] {
  return result.targets.flatMap((t) => t.portals.map((p) => ({ target: t.name, address: p.host, port: p.port, tpgt: p.tpgt })));
}

export function sendTargetsMethod(ctx: HandlerContext): AnyMethod {
  return bind(discoverySendTargets, async (p) => {
    const source: Source = { type: 'sendtargets', address: p.address, port: p.port ?? 3260 };
    const entry: SendTargetsEntry | undefined = await ctx.store.getDiscovery(source);
    const st = entry?.record ?? { ...ctx.store.defaults.sendtargets, 'discovery.sendtargets.address': source.address, 'discovery.sendtargets.port': source.port };
    const ifaces = await selectIfaces(ctx, p.ifaces);
    // The st_config record is stored once discovery worked (unless nonpersistent).
    return runDiscovery(ctx, {
      source, ops: p.ops ?? [], login: p.login === true, entry, createRecord: true, where: `${source.address}:${source.port}`,
    }, ifaces, async (iface) => portalsOf(await discoverOn(ctx, source, st, iface)));
  });
}
