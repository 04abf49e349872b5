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
import { discoveryOp } from './discovery-sendtargets.js';
import { loginOutcome } from './outcome-schemas.js';
import { methodSpec } from './spec.js';
import { dbWarning, firstErrno, ifaceName, itemError, nodeKey, portalAddress, tcpPort } from './schemas.js';

export const discoveryIsns = methodSpec({
  name: 'discovery.isns',
  description: 'iSNS discovery at a server; creates/updates node records by ops; optionally logs in.',
  params: z.strictObject({
    address: portalAddress,
    /** Default 3205. */
    port: tcpPort.optional(),
    /** `-I`: discover through these ifaces only (default: every tcp iface, else `default`). */
    ifaces: z.array(ifaceName).min(1).max(64).optional(),
    /** `-o`; none = new + update + delete. */
    ops: z.array(discoveryOp).max(4).optional(),
    /** `-l`: log in to every returned portal. */
    login: z.boolean().optional(),
    /** discoverydb mode: create the isns_config record when it is missing. */
    record: z.boolean().optional(),
  }),
  result: z.object({
    source: z.object({ type: z.literal('isns'), address: portalAddress, port: tcpPort }),
    recordCreated: z.boolean(),
    ifaces: z.array(ifaceName),
    /** One line of `-P 0` output per entry, in discovery order. */
    portals: z.array(nodeKey),
    created: z.array(nodeKey),
    updated: z.array(nodeKey),
    unchanged: z.array(nodeKey),
    skipped: z.array(nodeKey),
    deleted: z.array(nodeKey),
    kept: z.array(nodeKey),
    failed: z.array(z.object({ node: nodeKey, error: itemError })),
    ifaceErrors: z.array(z.object({ iface: ifaceName, error: itemError })),
    logins: z.array(loginOutcome).optional(),
    firstErrno,
    warnings: z.array(dbWarning),
  }),
});
