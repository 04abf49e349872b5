/**
 * `discovery.isns`: iSNS discovery (RFC 4171) at one server, as `iscsiadm -m discovery
 * -t isns -p ADDR[:PORT] [-I iface]... [-o op]... [-l]` and `-m discoverydb -t isns -p ..
 * --discover` (reference boot-and-isns.md §3.6). The server is asked once per iface with
 * that iface's initiator name (iface.initiatorname, else the daemon's); every usable
 * Portal Group becomes a node record (`discovery.type = isns`) by open-iscsi's ops.
 * With `record`, the `isns/<addr>,<port>/isns_config` record is created when missing
 * (discoverydb mode); discovery mode stores none, like iscsiadm.
 * Errors: 25 ISNS_UNREACHABLE / ISNS_STATUS (query), 26 ISNS_STATUS (registration),
 * 21 NO_PORTALS_FOUND, 7 IFACE_NOT_FOUND. Their details carry `statusText` (libisns'
 * text) and, for an unreachable server, `notes` (the lines libisns prints).
 */
import { z } from 'zod';
import { serverDiscoveryParams, serverDiscoveryResult } from './discovery-schemas.js';
import { methodSpec } from './spec.js';

export const discoveryIsns = methodSpec({
  name: 'discovery.isns',
  description: 'iSNS discovery at a server; creates/updates node records by ops; optionally logs in.',
  /** `port` defaults to 3205. */
  params: z.strictObject({
    ...serverDiscoveryParams,
    /** discoverydb mode: create the isns_config record when it is missing. */
    record: z.boolean().optional(),
  }),
  result: serverDiscoveryResult('isns'),
});
