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
import { ConfigError, IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import type { IfaceEntry, NodeKey, SendTargetsEntry, SendTargetsRecord } from '../../db/index.js';
import { checkNodeKey } from '../../db/paths.js';
import { discoverSendTargets } from '../../discovery/sendtargets.js';
import { isValidTargetNameFromPeer } from '../../iscsi/names.js';
import type { SendTargetsResult } from '../../iscsi/sendtargets.js';
import { validateChapConfig } from '../../iscsi/security.js';
import { offloadSendTargets } from '../kernel-discovery.js';
import { diagnoseLoginFailure } from '../login-diagnostics.js';
import { firstErrnoOf, itemErrorOf, type ItemError } from '../outcomes.js';
import { chapFromCredentials } from '../session-options.js';
import { bind, type HandlerContext } from './context.js';

const USERTCP_NAMES = new Set(['tcp', 'usertcp']);

type Source = { type: 'sendtargets'; address: string; port: number };

/** The ifaces to discover through: the named ones, else every tcp iface, else `default`. */
async function selectIfaces(ctx: HandlerContext, names: readonly string[] | undefined): Promise<IfaceEntry[]> {
  if (names) {
    const out: IfaceEntry[] = [];
    for (const name of names) {
      const e = await ctx.store.ifaces.get(name);
      if (!e) throw new ConfigError('IFACE_NOT_FOUND', `iface '${name}' does not exist`, { details: { iface: name } });
      out.push(e);
    }
    return out;
  }
  const stored = (await ctx.store.ifaces.list()).items.filter((e) => USERTCP_NAMES.has(e.record['iface.transport_name']));
  if (stored.length > 0) return stored;
  return [(await ctx.store.ifaces.get('default'))!];
}

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

/** Node keys of a discovery result through `iface`; unusable names are reported, not stored. */
function keysOf(result: SendTargetsResult, iface: string, bad: { node: NodeKey; error: ItemError }[]): NodeKey[] {
  const keys: NodeKey[] = [];
  for (const t of result.targets) {
    for (const p of t.portals) {
      const key: NodeKey = { target: t.name, address: p.host, port: p.port, tpgt: p.tpgt, iface };
      try {
        if (!isValidTargetNameFromPeer(t.name)) throw new ConfigError('INVALID_NAME', `target name '${t.name}' cannot be stored`, { details: { target: t.name } });
        checkNodeKey(key);
        keys.push(key);
      } catch (err) {
        bad.push({ node: key, error: itemErrorOf(err) });
      }
    }
  }
  return keys;
}

export function sendTargetsMethod(ctx: HandlerContext): AnyMethod {
  return bind(discoverySendTargets, async (p) => {
    const source: Source = { type: 'sendtargets', address: p.address, port: p.port ?? 3260 };
    const ops = p.ops ?? [];
    const persist = !ops.includes('nonpersistent');
    const entry: SendTargetsEntry | undefined = await ctx.store.getDiscovery(source);
    const st = entry?.record ?? { ...ctx.store.defaults.sendtargets, 'discovery.sendtargets.address': source.address, 'discovery.sendtargets.port': source.port };
    const ifaces = await selectIfaces(ctx, p.ifaces);
    const found: NodeKey[] = [];
    const bad: { node: NodeKey; error: ItemError }[] = [];
    const ifaceErrors: { iface: string; error: ItemError }[] = [];
    const worked: string[] = [];
    let firstFailure: unknown;
    for (const iface of ifaces) {
      try {
        found.push(...keysOf(await discoverOn(ctx, source, st, iface), iface.name, bad));
        worked.push(iface.name);
      } catch (err) {
        firstFailure ??= err;
        ifaceErrors.push({ iface: iface.name, error: itemErrorOf(err) });
      }
    }
    if (worked.length === 0) throw firstFailure;
    // The st_config record is stored once discovery worked (unless nonpersistent).
    const recordCreated = !entry && persist;
    if (recordCreated) await ctx.store.createDiscovery(source, {}, { overwrite: true });
    const applied = await ctx.store.applyDiscovery(source, found, { ops, isBusy: (k) => ctx.sessions.isBusy(k), ifaces: worked });
    if (applied.created.length + applied.updated.length + applied.deleted.length > 0) {
      ctx.emit({ type: 'discovery.changed', source, created: applied.created, updated: applied.updated, deleted: applied.deleted });
    }
    if (found.length === 0) {
      throw new IscsiError('NO_PORTALS_FOUND', `no portals found at ${source.address}:${source.port}`, {
        errno: ISCSI_ERR.NO_OBJS_FOUND, details: { ...source, deleted: applied.deleted.length },
      });
    }
    const logins = p.login ? await ctx.sessions.loginRecords(applied.records) : undefined;
    const failed = [...bad, ...applied.failed.map((f) => ({ node: f.key, error: itemErrorOf(f.error) }))];
    return {
      source, recordCreated, ifaces: ifaces.map((i) => i.name), portals: found,
      created: applied.created, updated: applied.updated, unchanged: applied.unchanged, skipped: applied.skipped,
      deleted: applied.deleted, kept: applied.kept, failed, ifaceErrors,
      ...(logins ? { logins } : {}),
      firstErrno: firstErrnoOf([...ifaceErrors, ...failed, ...(logins ?? [])]),
      warnings: entry?.warnings ? [...entry.warnings] : [],
    };
  });
}
