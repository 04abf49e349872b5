/**
 * Firmware (iBFT) targets. tsiscsiadm reads them from sysfs, as iscsiadm does
 * (`-m fw` needs no daemon), and hands them to the daemon:
 *
 * - `firmware.login` (`iscsiadm -m fw -l [-W]`): log in to each target with the boot
 *   login overrides (initial_login_retry_max 30, NOP-Out off, scan auto), TPGT 1, iface
 *   `default`, the firmware's initiator name and CHAP; nothing is stored. The sessions
 *   are firmware (onboot) sessions: `--logoutall` and daemon stop leave them running. A
 *   target whose session exists already gets error 15 (iscsiadm prints nothing for it).
 * - `discovery.firmware` (`iscsiadm -m discovery -t fw`, `-m discoverydb -t fw -D`):
 *   create/refresh the firmware node records (`node.discovery_type = fw`, startup onboot,
 *   link under `fw/`) by the usual ops; with `login`, log in to them.
 *
 * Target parameters carry CHAP secrets: they are never logged (control/redact.ts drops
 * `password*` keys from everything the daemon logs or echoes).
 */
import { z } from 'zod';
import { discoveryOps, firmwareDiscoveryResult } from './discovery-schemas.js';
import { loginOutcome } from './outcome-schemas.js';
import { firstErrno, iscsiName, portalAddress, tcpPort } from './schemas.js';
import { methodSpec } from './spec.js';

const credential = z.string().max(255);

/** One firmware target (open-iscsi's boot_context, the parts a login uses). */
export const firmwareTarget = z.strictObject({
  target: iscsiName,
  address: portalAddress,
  port: tcpPort,
  /** '' = the daemon's initiator name. */
  initiatorName: z.string().max(255),
  username: credential,
  password: credential,
  usernameIn: credential,
  passwordIn: credential,
});

const targets = z.array(firmwareTarget).min(1).max(510);

export const firmwareLogin = methodSpec({
  name: 'firmware.login',
  description: 'Log in to firmware (iBFT) boot targets; the sessions are onboot sessions.',
  params: z.strictObject({ targets }),
  result: z.object({ results: z.array(loginOutcome), firstErrno }),
});

export const discoveryFirmware = methodSpec({
  name: 'discovery.firmware',
  description: 'Create/update node records for firmware (iBFT) targets; optionally log in.',
  params: z.strictObject({
    targets,
    ops: discoveryOps,
    login: z.boolean().optional(),
  }),
  /** `portals`: one `-P 0` line per entry, firmware order. */
  result: firmwareDiscoveryResult,
});
