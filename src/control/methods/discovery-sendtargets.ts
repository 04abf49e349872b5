/**
 * `discovery.sendtargets`: SendTargets discovery at one portal (`iscsiadm -m discovery
 * -t st -p ADDR[:PORT] [-I iface]... [-o op]... [-l]`). An existing `st_config` record
 * supplies the discovery settings (CHAP, timeouts); a missing one is created once discovery
 * worked, unless `nonpersistent`. Node records follow open-iscsi's ops, except that
 * re-discovery keeps keys the user edited (open-iscsi #58/#286). With `login`, every
 * returned portal is logged in (through the bounded login pool).
 * Errors: 21 NO_PORTALS_FOUND (nothing returned; ops were still applied), the session
 * layer's errno when discovery failed on every iface (4, 8, 24, 19, 5).
 */
import { z } from 'zod';
import { serverDiscoveryParams, serverDiscoveryResult } from './discovery-schemas.js';
import { methodSpec } from './spec.js';

export const discoverySendTargets = methodSpec({
  name: 'discovery.sendtargets',
  description: 'SendTargets discovery at a portal; creates/updates node records by ops; optionally logs in.',
  /** `port` defaults to 3260. */
  params: z.strictObject(serverDiscoveryParams),
  result: serverDiscoveryResult('sendtargets'),
});
