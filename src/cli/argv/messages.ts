/**
 * The exact texts iscsiadm 2.1.8 prints for argument errors (observed on Debian 12 and kept
 * as golden fixtures in test/fixtures/iscsiadm/argv/). Facts needed for compatibility, kept
 * in one place; each function returns one line without its newline and without the
 * "<program>: " prefix unless it says otherwise.
 */
import type { CliError } from './types.js';

/** Message templates, keyed by what went wrong. */
export const MSG = {
  usageHint: (prog: string) => `Try \`${prog} --help' for more information.`,
  unrecognizedChar: (c: string) => `unrecognized character '${c}'`,
  modeUnsupported: () => 'mode -1 is not yet supported',
  notAllowed: (label: string, c: string) => `${label} mode: option '-${c}' is not allowed/supported`,
  killNegative: (n: number) => `Invalid killiscsid priority ${n} Priority must be greater than or equal to zero.`,
  killNotZero: (n: number) => `Invalid iscsid priority ${n}. Priority must be 0.`,
  badOp: (arg: string) => `can not recognize operation: '${arg}'`,
  badSid: (arg: string) => `${arg} is an invalid session ID or path`,
  sidNotDir: (arg: string) => `${arg} is not a directory`,
  sidNoDev: (devpath: string) => `Could not get dev for ${devpath}. Possible sysfs incompatibility.`,
  sidNotInPath: (arg: string) => `Unable to find sid in path ${arg}`,
  sidInvalid: (arg: string) => `invalid sid '${arg}'`,
  badHostNo: (arg: string) => `Invalid host no ${arg}. Numerical result out of range.`,
  hostMacUnmatched: () => 'Could not match MAC to host.',
  badIndex: (arg: string) => `Invalid index ${arg}. Numerical result out of range.`,
  /** Printed on stdout, without prefix. */
  badIfaceName: (arg: string) => `Invalid iface name ${arg}. Must be from 1 to 64 characters.`,
  // discovery / discoverydb
  portalNeeded: () => 'Please specify portal as <ipaddr>[:<ipport>]',
  portalNeededIsns: () => 'Please specify portal as <ipaddr>:[<ipport>]',
  slp: () => 'SLP discovery is not fully implemented yet.',
  invalidOperation: () => 'Invalid operation.',
  newUpdateInDiscovery: () => 'Operations new and update for discovery mode is not supported. Use discoverydb mode.',
  dbInvalidOperation: () => 'Invalid operation. Operation not supported.',
  dbMissingType: () => 'Invalid command. Possibly missing discovery --type.',
  dbPortalNotNeeded: () => 'Invalid command. Portal not needed or Possibly missing discovery --type.',
  dbMissingDiscover: () => 'Invalid command. Possibly missing --discover argument.',
  dbUpdateNeedsParams: () => 'Update requires name and value.',
  dbOpNotSupported: () => 'Operation is not supported.',
  // node (and session with -r)
  badLoginAll: (arg: string) => `Invalid loginall option ${arg}.`,
  badLogoutAll: (arg: string) => `Invalid logoutall option ${arg}.`,
  nodeOneIface: () => 'NODE mode only accepts one interface. Using the first one driver  hwaddress  ipaddress .',
  bothLoginLogout: () => 'Invalid parameters. Both login and logout passed in',
  loginWithOp: () => 'Invalid parameters. Login/logout and op passed in',
  nodeLevel: (n: number) => `Invalid info level ${n}. Try 0 or 1.`,
  nodeUpdateNeedsParams: () => 'update requires name and value',
  useIfaceMode: (name: string) => `Cannot modify ${name}. Use iface mode to update this value.`,
  nodeOpNotSupported: () => 'operation is not supported.',
  // session
  sessionNewNeedsSid: () => "session mode: Operation 'new' only allowed with specific session IDs",
  sessionLevel: (n: number) => `Invalid info level ${n}. Try 0 - 3.`,
  // iface
  ifaceOneIface: (first: string) => `iface mode only accepts one interface. Using the first one ${first}.`,
  pingNeedsIface: () => 'Ping requires iface.',
  pingNeedsIp: () => 'Ping requires destination ipaddress.',
  pingSize: (n: number) => `Invalid packet size: ${n}.`,
  pingCount: (n: number) => `Invalid number of packets to transmit: ${n}.`,
  pingInterval: (n: number) => `Invalid timing interval: ${n}.`,
  ifaceNewNeedsIface: () => 'Could not add interface. No interface passed in.',
  ifaceDeleteNeedsIface: () => 'Could not delete interface. No interface passed in.',
  ifaceUpdateNeeds: () => 'Update requires name, value, and iface.',
  ifaceApplyNeedsIface: () => 'Apply requires iface.',
  ifaceLevel: (n: number) => `Invalid info level ${n}. Try 0 - 1.`,
  // host
  hostLevel: (n: number) => `Invalid info level ${n}. Try 0 - 4.`,
  chapNeedsOp: () => 'CHAP mode requires host no and valid operation',
  chapNoCredentials: () => 'Chap username/password not provided.',
  chapBadIndex: () => 'Invalid chap table index.',
  flashnodeBadIndex: () => 'Invalid flashnode index',
  badSubmode: () => 'Invalid Sub Mode',
} as const;

/** Build a CliError. `lines` are stderr lines, already prefixed where needed. */
export function cliError(exitCode: number, stderr: readonly string[], json: boolean, stdout: readonly string[] = []): CliError {
  return { kind: 'cli-error', exitCode, stderr: [...stderr], stdout: [...stdout], json };
}

/** Prefix a message the way iscsiadm's log_error does ("iscsiadm: text"). */
export function prefixed(prog: string, text: string): string {
  return `${prog}: ${text}`;
}
