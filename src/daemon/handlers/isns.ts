/**
 * `discovery.isns`: iSNS discovery (src/discovery/isns.ts) through each selected iface,
 * then the node records by open-iscsi's ops (RecordStore.applyDiscovery, which keeps
 * user edits), then optionally logins (reference boot-and-isns.md §3.6).
 *
 * Like iscsiadm 2.1.8: discovery mode stores no `isns_config` record, discoverydb mode
 * (`record`) creates one when missing; a server that cannot be reached or refuses the
 * query fails with errno 25, a refused registration with 26; no portal groups → 21.
 */
import { discoveryIsns } from '../../control/methods/discovery-isns.js';
import type { AnyMethod } from '../../control/method.js';
import { IscsiError } from '../../shared/errors.js';
import { ISNS_PORT } from '../../db/index.js';
import { discoverIsns } from '../../discovery/isns.js';
import { bind, type HandlerContext } from './context.js';
import { runDiscovery, selectIfaces } from './discovery-common.js';

/** Bound on connect and on each iSNS exchange. */
const ISNS_TIMEOUT_MS = 10_000;

type Source = { type: 'isns'; address: string; port: number };

export function isnsMethod(ctx: HandlerContext): AnyMethod {
  return bind(discoveryIsns, async (p) => {
    const source: Source = { type: 'isns', address: p.address, port: p.port ?? ISNS_PORT };
    const entry = await ctx.store.getDiscovery(source);
    const ifaces = await selectIfaces(ctx, p.ifaces);
    const me = ctx.initiator();
    return runDiscovery(ctx, {
      source, ops: p.ops ?? [], login: p.login === true, entry, createRecord: p.record === true, where: `iSNS server ${source.address}:${source.port}`,
    }, ifaces, async (iface) => {
      const name = iface.record['iface.initiatorname'] !== '' ? iface.record['iface.initiatorname'] : me.name;
      const log = ctx.log.child({ discovery: `isns ${source.address}:${source.port}`, iface: iface.name });
      try {
        const result = await discoverIsns({
          server: { host: source.address, port: source.port }, initiatorName: name, timeoutMs: ISNS_TIMEOUT_MS, clock: ctx.clock, logger: log,
        });
        return result.portalGroups.map((pg) => ({ target: pg.name, address: pg.address, port: pg.port, tpgt: pg.tag }));
      } catch (err) {
        const e = err instanceof IscsiError ? err : undefined;
        log.error({ code: e?.code, errno: e?.errno, err }, 'iSNS discovery failed');
        throw err;
      }
    });
  });
}
